/**
 * Writes the render test fixtures (test/render/fixtures/): synthetic citizens taken from
 * `sampleRecords` with a fixed seed, plus one hand-made record whose name and residence carry every
 * Vietnamese tone mark, each as a `cardline render --record` file with its portrait JPEG. The
 * fixtures are committed, so the render tests do not change when the sample generator does; run
 * this only to rebuild them (`node bin/run-ts.js test/render/make-fixtures.ts`), then regenerate
 * the golden images (test/render/golden.test.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { drawPortrait, sampleRecords } from '../../src/sample/generate.ts';
import vectors from '../vectors/mrz-td1-vectors.json' with { type: 'json' };

const dir = path.join(import.meta.dirname, 'fixtures');
const SEED = 'render-golden';
/** Positions in the sample of seed 'render-golden' and what each exercises. */
const PICKS: readonly { readonly index: number; readonly name: string }[] = [
  { index: 1, name: 'adult-no-expiry' }, // issued on the 60th birthday: "Không thời hạn", MRZ expiry 991231
  { index: 3, name: 'under-6' }, // no portrait, no portrait box
  { index: 35, name: 'long-name' }, // "Công Tằng Tôn Nữ Thị Phương Trâm": two lines, MRZ name shortened
  { index: 14, name: 'year-only-birth' }, // birth date known by year only
];

mkdirSync(path.join(dir, 'portraits'), { recursive: true });
const sample = [...sampleRecords({ count: 40, seed: SEED })];
for (const pick of PICKS) {
  const s = sample[pick.index]!;
  const record: Record<string, unknown> = { ...s.record };
  if (s.portraitSeed !== undefined) {
    writeFileSync(path.join(dir, 'portraits', `${pick.name}.jpg`), await drawPortrait(s.portraitSeed));
    record.portrait = `portraits/${pick.name}.jpg`;
  }
  writeFileSync(path.join(dir, `${pick.name}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

// Every vowel letter with every tone (and đ), lower case in the residence, upper case in the place
// of birth registration; the name carries the five tone marks on several vowels.
const VOWELS = 'a à á ả ã ạ ă ằ ắ ẳ ẵ ặ â ầ ấ ẩ ẫ ậ e è é ẻ ẽ ẹ ê ề ế ể ễ ệ i ì í ỉ ĩ ị o ò ó ỏ õ ọ ô ồ ố ổ ỗ ộ ơ ờ ớ ở ỡ ợ u ù ú ủ ũ ụ ư ừ ứ ử ữ ự y ỳ ý ỷ ỹ ỵ đ';
const tones = {
  pid: '001190123456', // Hà Nội (001), female born in the 1900s (1), 1990 (90)
  fullName: 'Đặng Thị Ẵm Hĩm Thuỵ Nhẫn',
  birthDate: '1990-05-17',
  sex: 'F',
  placeOfBirthRegistration: VOWELS.toUpperCase(),
  residence: VOWELS,
  issueDate: '2025-03-14',
  previousIdNumber: '012345678',
  portrait: 'portraits/tones.jpg',
};
writeFileSync(path.join(dir, 'portraits', 'tones.jpg'), await drawPortrait(424242));
writeFileSync(path.join(dir, 'tones.json'), `${JSON.stringify(tones, null, 2)}\n`);

// A minor (under 14) with parents: the QR payload carries their names.
const minor = sample.find((s, i) => i > 3 && s.record.fatherName && s.record.motherName && s.record.birthDate.startsWith('201') && s.portraitSeed !== undefined)!;
writeFileSync(path.join(dir, 'portraits', 'minor.jpg'), await drawPortrait(minor.portraitSeed!));
writeFileSync(path.join(dir, 'minor.json'), `${JSON.stringify({ ...minor.record, portrait: 'portraits/minor.jpg' }, null, 2)}\n`);

// A generic TD1 document: ICAO 9303 Part 5's specimen, the fields of the shared vector ICAO-P5-specimen.
const specimen = vectors.vectors.find((v) => v.id === 'ICAO-P5-specimen')!;
const td1 = { ...specimen.fields, portrait: 'portraits/td1-specimen.jpg' };
writeFileSync(path.join(dir, 'portraits', 'td1-specimen.jpg'), await drawPortrait(90303));
writeFileSync(path.join(dir, 'td1-specimen.json'), `${JSON.stringify(td1, null, 2)}\n`);
console.log(`fixtures written to ${path.relative(process.cwd(), dir)}`);

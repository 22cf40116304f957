/**
 * MRZ composition speed: the three TD1 lines (name transliteration and shortening, validity,
 * check digits) for sampled records, on one core.
 */
import { parseCivilDate, parsePartialDate } from '../src/domain/dates.ts';
import { composeVietnameseMrz, type VietnameseHolder } from '../src/domain/mrz/compose.ts';
import { sampleRecords } from '../src/sample/generate.ts';
import { bench, info } from './report.ts';

const COUNT = 100_000;
const holders: VietnameseHolder[] = [];
for (const { record } of sampleRecords({ count: COUNT, seed: 'bench-mrz' })) {
  holders.push({
    pid: record.pid,
    fullName: record.fullName,
    birthDate: parsePartialDate(record.birthDate)!,
    sex: record.sex,
    issueDate: parseCivilDate(record.issueDate)!,
  });
}
let sink = 0;
const run = (): number => {
  const t0 = performance.now();
  for (const h of holders) sink += composeVietnameseMrz(h).lines[2].length;
  return performance.now() - t0;
};
run(); // warm-up: JIT and the transliteration cache
const ms = Math.min(run(), run(), run());
info(`${COUNT} records composed in ${ms.toFixed(0)} ms (best of 3; checksum ${sink})`);
bench('mrz_compose_per_s', (COUNT / ms) * 1000, 'records/s');

/**
 * Vietnamese names in the MRZ: ICAO 9303 Part 3 (diacritics dropped, apostrophes omitted,
 * hyphens and spaces as fillers; a truncated name ends in a letter) and the căn cước
 * profile (family name = primary identifier; Đ → D). Shortening rule: docs/mrz.md.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { composeNameLine, cutName, vietnameseNameLine } from './name-line.ts';
import { transliterateName } from './transliterate.ts';

const line = (text: string): string => text.padEnd(30, '<');

describe('transliterateName', () => {
  it.each([
    ['Nguyễn', 'NGUYEN'],
    ['Đặng Đức Đạt', 'DANG<DUC<DAT'],
    ['đ', 'D'],
    ['ĂÂÊÔƠƯ ăâêôơư', 'AAEOOU<AAEOOU'],
    // the five tones on each vowel: sắc, huyền, hỏi, ngã, nặng
    ['áàảãạ ấầẩẫậ ắằẳẵặ éèẻẽẹ ếềểễệ íìỉĩị óòỏõọ ốồổỗộ ớờởỡợ úùủũụ ứừửữự ýỳỷỹỵ', 'AAAAA<AAAAA<AAAAA<EEEEE<EEEEE<IIIII<OOOOO<OOOOO<OOOOO<UUUUU<UUUUU<YYYYY'],
    ["H'Hen", 'HHEN'],
    ['H’Hen', 'HHEN'],
    ['Nguyễn-Trần', 'NGUYEN<TRAN'],
    ['Müller', 'MULLER'],
    ['Straße', 'STRASSE'],
    ['Nguyễn', 'NGUYEN'], // NFD input (combining marks) gives the same result
  ])('%s → %s', (name, expected) => {
    expect(transliterateName(name)).toStrictEqual({ ok: true, text: expected });
  });

  it('reports the position and code point of a letter with no transliteration', () => {
    expect(transliterateName('Anh Жан')).toStrictEqual({ ok: false, position: 5, codePoint: 'U+0416' });
    expect(transliterateName('Lan1')).toStrictEqual({ ok: false, position: 4, codePoint: 'U+0031' });
  });
});

describe('vietnameseNameLine', () => {
  it.each([
    { name: 'Nguyễn Văn An', expected: 'NGUYEN<<VAN<AN', abbreviated: false, truncated: false, why: 'VN-S1' },
    { name: 'Trần Thị Bích Ngọc', expected: 'TRAN<<THI<BICH<NGOC', abbreviated: false, truncated: false, why: 'VN-S2' },
    { name: 'Đặng Đức Đạt', expected: 'DANG<<DUC<DAT', abbreviated: false, truncated: false, why: 'VN-S4: Đ → D' },
    { name: '  Lê   Thị  Hoa ', expected: 'LE<<THI<HOA', abbreviated: false, truncated: false, why: 'extra spaces' },
    { name: 'Sơn', expected: 'SON', abbreviated: false, truncated: false, why: 'a one-word name is the primary identifier alone' },
    { name: "H'Hen Niê", expected: 'HHEN<<NIE', abbreviated: false, truncated: false, why: 'apostrophe omitted' },
    { name: 'Nguyễn-Trần Minh Khôi', expected: 'NGUYEN<TRAN<<MINH<KHOI', abbreviated: false, truncated: false, why: 'hyphen → filler' },
    {
      name: 'Nguyễn Huỳnh Phương Thảo Nguyên',
      expected: 'NGUYEN<<HUYNH<PHUONG<T<NGUYEN',
      abbreviated: true,
      truncated: false,
      why: '32 characters: the last middle name becomes an initial and it fits',
    },
    {
      name: 'Công Tằng Tôn Nữ Thị Phương Khuê',
      expected: 'CONG<<TANG<TON<NU<THI<P<KHUE',
      abbreviated: true,
      truncated: false,
      why: '33 characters: one initial is enough',
    },
    {
      name: 'Hoàng Trọng Nguyễn Phước Vĩnh Khang',
      expected: 'HOANG<<TRONG<NGUYEN<P<V<KHANG',
      abbreviated: true,
      truncated: false,
      why: 'initials from the last middle name back, until it fits',
    },
    {
      name: 'Tôn Thất Hoàng Phương Khánh Nguyệt Minh Châu Anh Thư Ngọc Bích Hồng Nhung',
      expected: 'TON<<T<H<P<K<N<M<C<A<T<N<B<H<N',
      abbreviated: true,
      truncated: true,
      why: 'all middle names as initials still too long: cut, a letter in position 30',
    },
    {
      name: 'Công An Bình Cường Dũng Em Phúc Giang Hà Ích Khánh Lâm Mai Nhung',
      expected: 'CONG<<A<B<C<D<E<P<G<H<I<K<L<NH',
      abbreviated: true,
      truncated: true,
      why: 'the cut would leave a filler in position 30: the last initial gives way to the given name',
    },
  ])('$name → $expected ($why)', ({ name, expected, abbreviated, truncated }) => {
    expect(vietnameseNameLine(name)).toStrictEqual({ ok: true, line: line(expected), abbreviated, truncated });
  });

  it('refuses names without a transliteration, naming only the code point', () => {
    expect(vietnameseNameLine('Nguyễn 王')).toStrictEqual({ ok: false, message: 'character U+738B has no MRZ transliteration' });
    expect(vietnameseNameLine("' -")).toStrictEqual({ ok: false, message: 'the name has no letters' });
  });
});

describe('composeNameLine (generic)', () => {
  it.each([
    [['ERIKSSON'], ['ANNA', 'MARIA'], 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'],
    [['CACADOR', 'DE', 'ARAUJO'], ['ANDRE', 'ESTEV'], 'CACADOR<DE<ARAUJO<<ANDRE<ESTEV'],
    [['CACADOR', 'DE', 'ARAUJO'], ['ANDRE', 'ESTEVES'], 'CACADOR<DE<ARAUJO<<ANDRE<ESTEV'],
    [['MUSTERMANN'], [], 'MUSTERMANN<<<<<<<<<<<<<<<<<<<<'],
  ])('%j %j → %s', (primary, secondary, expected) => {
    expect(composeNameLine(primary, secondary).line).toBe(expected);
  });
});

describe('properties', () => {
  const word = fc.stringMatching(/^[A-Z]{1,12}$/);
  it('every name line is 30 MRZ characters; a truncated one ends in a letter; one that fits is kept whole', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 2 }), fc.array(word, { maxLength: 8 }), (primary, secondary) => {
        const result = composeNameLine(primary, secondary);
        expect(result.line).toMatch(/^[A-Z<]{30}$/);
        const full = [primary.join('<'), secondary.join('<')].filter((p) => p !== '').join('<<');
        if (result.truncated) {
          expect(result.line[29]).toMatch(/[A-Z]/);
          expect(full.length).toBeGreaterThan(30);
        } else {
          expect(result.line).toBe(line(secondary.length ? full : primary.join('<')));
        }
      }),
    );
  });

  it('cutName always leaves a letter in position 30 of a name longer than 30', () => {
    fc.assert(
      fc.property(word, fc.array(word, { minLength: 1, maxLength: 14 }), (primary, secondary) => {
        const full = `${primary}<<${secondary.join('<')}`;
        fc.pre(full.length > 30);
        expect(cutName(full)[29]).toMatch(/[A-Z]/);
      }),
    );
  });

  it('a Vietnamese name keeps its family name first and, when it fits after abbreviation, its given name whole', () => {
    const vnWord = fc.constantFrom('Nguyễn', 'Trần', 'Lê', 'Thị', 'Văn', 'Hoàng', 'Phương', 'Ngọc', 'Đức', 'Khuê', 'Nguyệt', 'Ánh');
    fc.assert(
      fc.property(fc.array(vnWord, { minLength: 2, maxLength: 9 }), (words) => {
        const result = vietnameseNameLine(words.join(' '));
        if (!result.ok) throw new Error(result.message);
        const mrzWords = words.map((w) => (transliterateName(w) as { text: string }).text);
        expect(result.line.startsWith(`${mrzWords[0]}<<`)).toBe(true);
        if (!result.truncated) expect(result.line.replace(/<+$/, '').endsWith(`<${mrzWords.at(-1)}`)).toBe(true);
        else expect(result.line[29]).toMatch(/[A-Z]/);
      }),
    );
  });
});

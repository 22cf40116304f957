/**
 * qr-mask.ts against bwip-js itself (the reference: BWIPP's QR encoder). Re-masking bwip-js's
 * mask-000 symbol must give bwip-js's own symbol for each of the eight masks, and the penalty
 * choice must pick the symbol bwip-js picks when left to choose. Payloads: the render fixtures'
 * QR texts (docs/qr-payload.md), whose sizes give symbols with and without version information.
 */
import bwipjs from 'bwip-js';
import { describe, expect, it } from 'vitest';
import { bestMask, readFormat, remask } from '../../src/render/qr-mask.ts';
import { qrMatrixMask0, type QrMatrix } from '../../src/render/qr-matrix.ts';

const PAYLOADS = [
  // test/render/fixtures/adult-no-expiry.json
  '058064803691||Trần Văn Long|29111964|Nam|Số 248, đường Hùng Vương, Phường 2, Quận 10, TP Hồ Chí Minh|29112024||',
  // test/render/fixtures/tones.json (every tone mark: a long UTF-8 payload, version 7 or more)
  `001190123456|012345678|Đặng Thị Ẵm Hĩm Thuỵ Nhẫn|17051990|Nữ|${'a à á ả ã ạ ă ằ ắ ẳ ẵ ặ â ầ ấ ẩ ẫ ậ e è é ẻ ẽ ẹ ê ề ế ể ễ ệ i ì í ỉ ĩ ị o ò ó ỏ õ ọ ô ồ ố ổ ỗ ộ ơ ờ ớ ở ỡ ợ u ù ú ủ ũ ụ ư ừ ứ ử ữ ự y ỳ ý ỷ ỹ ỵ đ'}|14032025||`,
  // a short one: version below 7, no version information
  '001190123456||A|1990|Nam|B|14032025|Cha|Mẹ',
];

/** bwip-js's own symbol; `bwippMask` 1–8 is pattern 000–111, undefined lets bwip-js choose. */
function bwip(payload: string, bwippMask?: number): QrMatrix {
  const options = { eclevel: 'M', parsefnc: true, ...(bwippMask === undefined ? {} : { mask: bwippMask }) } as bwipjs.BwippOptions;
  const [symbol] = bwipjs.raw('qrcode', `^ECI000026${payload}`, options);
  const s = symbol as { pixx: number; pixs: number[] };
  return { size: s.pixx, modules: s.pixs };
}

const modules = (m: QrMatrix): number[] => Array.from(m.modules);

describe('QR masking', () => {
  it.each(PAYLOADS.map((p, i) => [i, p] as const))('payload %i: remask gives bwip-js\'s symbol for every mask', (_i, payload) => {
    const base = qrMatrixMask0(payload, 'M');
    expect(readFormat(base)).toStrictEqual({ ecBits: 0, mask: 0 }); // M is 00 in the format bits
    for (let k = 0; k < 8; k++) {
      const mine = remask(base, k);
      expect(readFormat(mine).mask).toBe(k);
      expect(modules(mine)).toStrictEqual(modules(bwip(payload, k + 1)));
    }
  });

  it.each(PAYLOADS.map((p, i) => [i, p] as const))('payload %i: the penalty choice is bwip-js\'s choice', (_i, payload) => {
    expect(modules(bestMask(qrMatrixMask0(payload, 'M')))).toStrictEqual(modules(bwip(payload)));
  });

  it('a different mask gives a different symbol (the comparison can tell them apart)', () => {
    const base = qrMatrixMask0(PAYLOADS[0]!, 'M');
    expect(modules(remask(base, 3))).not.toStrictEqual(modules(remask(base, 4)));
  });
});

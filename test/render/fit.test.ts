/**
 * Text fitting (src/render/fit.ts): wrap, then shrink to the minimum size, then cut with "…" —
 * never wider than the box — and the warnings the layout reports for each step.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fitText, SHRINK_STEP_PT } from '../../src/render/fit.ts';
import { openFont } from '../../src/render/fonts.ts';
import { CardRenderer } from '../../src/render/index.ts';
import { PT_PER_MM } from '../../src/render/layout.ts';
import { fixture } from './helpers.ts';

const font = openFont('regular', createRequire(import.meta.url).resolve('@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf'));
const widthOf = (text: string, size: number): number => font.widthPt(text, size);

describe('fitText', () => {
  it('keeps a text that fits at its size, on one line', () => {
    const fit = fitText('Ninh Thuận', font, { sizePt: 7, minSizePt: 5.5, widthPt: 100, maxLines: 2 });
    expect(fit).toMatchObject({ sizePt: 7, lines: ['Ninh Thuận'], shrunk: false, truncated: false, wordSplit: false });
    expect(fit.widthsPt[0]).toBeCloseTo(widthOf('Ninh Thuận', 7), 9);
  });

  it('wraps at spaces before it shrinks', () => {
    const text = 'Số 248, đường Hùng Vương';
    const box = widthOf('Số 248, đường', 7) + 1;
    const fit = fitText(text, font, { sizePt: 7, minSizePt: 5.5, widthPt: box, maxLines: 2 });
    expect(fit.lines).toStrictEqual(['Số 248, đường', 'Hùng Vương']);
    expect(fit.shrunk).toBe(false);
  });

  it('shrinks in 0.25 pt steps to the largest size that fits', () => {
    const text = 'Công Tằng Tôn Nữ Thị Phương Trâm';
    const box = widthOf(text, 6.3);
    const fit = fitText(text, font, { sizePt: 8, minSizePt: 5, widthPt: box, maxLines: 1 });
    expect(fit.sizePt).toBe(6.25);
    expect((8 - fit.sizePt) / SHRINK_STEP_PT).toBe(7);
    expect(fit).toMatchObject({ lines: [text], shrunk: true, truncated: false });
  });

  it('cuts with "…" at the minimum size when even that does not fit, never wider than the box', () => {
    const text = 'a à á ả ã ạ ă ằ ắ ẳ ẵ ặ â ầ ấ ẩ ẫ ậ e è é ẻ ẽ ẹ ê ề ế ể ễ ệ i ì í ỉ ĩ ị o ò ó ỏ õ ọ';
    const box = 60;
    const fit = fitText(text, font, { sizePt: 7, minSizePt: 5.5, widthPt: box, maxLines: 2 });
    expect(fit).toMatchObject({ sizePt: 5.5, shrunk: true, truncated: true });
    expect(fit.lines).toHaveLength(2);
    expect(fit.lines[1]!.endsWith('…')).toBe(true);
    // What is shown is the text's beginning, every letter intact.
    expect(text.startsWith(`${fit.lines[0]} ${fit.lines[1]!.slice(0, -1)}`)).toBe(true);
    for (const [i, line] of fit.lines.entries()) {
      expect(fit.widthsPt[i]).toBeCloseTo(widthOf(line, 5.5), 6);
      expect(fit.widthsPt[i]).toBeLessThanOrEqual(box);
    }
  });

  it('splits a word longer than a line rather than losing it, and says so', () => {
    const word = 'Nguyễnnnnnnnnnnnnnnnnnnnnnnn';
    const box = widthOf(word, 5) * 0.6;
    const fit = fitText(word, font, { sizePt: 5, minSizePt: 5, widthPt: box, maxLines: 2 });
    expect(fit).toMatchObject({ truncated: false, wordSplit: true });
    expect(fit.lines.join('')).toBe(word);
  });
});

describe('fitting on a card', () => {
  it('reports a shrunk field by side and element, and no text op is wider than its box', async () => {
    const input = fixture('adult-no-expiry');
    // Too long for two lines at 8.5 pt, fits at 8.25 pt (the template's minimum is 6 pt).
    const name = 'Tôn Thất Nguyễn Phước Bửu Long Hoàng Thái Sơn Minh Đức Quang';
    const card = await new CardRenderer().renderCard({ ...input, record: { ...input.record, fullName: name } });
    const w = card.warnings.find((x) => x.element === 'fullName');
    expect(w).toMatchObject({ side: 'front', element: 'fullName', kind: 'shrunk' });
    expect(w!.message).toBe('front: fullName shrunk from 8.5 pt to 8.25 pt to fit 2 line(s) of 57.6 mm');
    const nameOps = card.layout.sides.front.filter((op) => op.kind === 'text' && name.toUpperCase().includes(op.text));
    expect(nameOps.map((op) => (op.kind === 'text' ? op.text : '')).join(' ')).toBe(name.toUpperCase());
    for (const op of nameOps) if (op.kind === 'text') expect(op.widthPt).toBeLessThanOrEqual(57.6 * PT_PER_MM + 1e-9);
  });
});

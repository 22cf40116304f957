/**
 * QR data masking (ISO/IEC 18004 §7.8): choosing among the eight mask patterns the one with the
 * lowest penalty score. bwip-js evaluates all eight in its PostScript engine, which costs two thirds
 * of its encoding time (about 20 ms of 30 for a card's payload); here bwip-js encodes once with a
 * fixed mask, and the symbol is re-masked and scored in plain JavaScript. Re-masking gives exactly
 * bwip-js's own symbol for every mask, and the penalty is scored as BWIPP scores it, so the result
 * is the symbol bwip-js would have chosen (test/render/qr-mask.test.ts checks both).
 */
import type { QrMatrix } from './qr-matrix.ts';

/** Mask condition per pattern reference 000–111 (§7.8.2, Table 10): i = row, j = column. */
const MASKS: readonly ((i: number, j: number) => boolean)[] = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_i, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i * j) % 3) + ((i + j) % 2)) % 2 === 0,
];

const FORMAT_XOR = 0x5412;

function version(size: number): number {
  const v = (size - 17) / 4;
  if (!Number.isInteger(v) || v < 1 || v > 40) throw new Error(`not a QR symbol size: ${size} modules`);
  return v;
}

/** Centres of the alignment patterns along one axis (§6.3.6, Annex E). */
export function alignmentCentres(v: number): number[] {
  if (v === 1) return [];
  const size = 17 + 4 * v;
  const count = Math.floor(v / 7) + 2;
  const step = v === 32 ? 26 : Math.ceil((v * 4 + 4) / (count * 2 - 2)) * 2;
  const centres = [6];
  for (let pos = size - 7; centres.length < count; pos -= step) centres.splice(1, 0, pos);
  return centres;
}

/** 1 for every module that masking leaves alone: finders, separators, timing, alignment, format and version information. */
export function functionModules(size: number): Uint8Array {
  const v = version(size);
  const f = new Uint8Array(size * size);
  const mark = (r0: number, c0: number, rows: number, cols: number): void => {
    for (let r = r0; r < r0 + rows; r++) for (let c = c0; c < c0 + cols; c++) f[r * size + c] = 1;
  };
  mark(0, 0, 9, 9); // finder, separator, format information
  mark(0, size - 8, 9, 8);
  mark(size - 8, 0, 8, 9); // includes the dark module at (size − 8, 8)
  mark(6, 0, 1, size); // timing patterns
  mark(0, 6, size, 1);
  const centres = alignmentCentres(v);
  const last = centres.length - 1;
  centres.forEach((r, a) =>
    centres.forEach((c, b) => {
      if ((a === 0 && b === 0) || (a === 0 && b === last) || (a === last && b === 0)) return;
      mark(r - 2, c - 2, 5, 5);
    }),
  );
  if (v >= 7) {
    mark(0, size - 11, 6, 3);
    mark(size - 11, 0, 3, 6);
  }
  return f;
}

/** Module positions [row, column] of format bit 0–14, first and second copy (§7.9.1, Figure 25). */
function formatPositions(size: number): { first: [number, number][]; second: [number, number][] } {
  const first: [number, number][] = [];
  const second: [number, number][] = [];
  for (let i = 0; i <= 5; i++) first.push([i, 8]);
  first.push([7, 8], [8, 8], [8, 7]);
  for (let i = 9; i < 15; i++) first.push([8, 14 - i]);
  for (let i = 0; i < 8; i++) second.push([8, size - 1 - i]);
  for (let i = 8; i < 15; i++) second.push([size - 15 + i, 8]);
  return { first, second };
}

function formatBits(ecBits: number, mask: number): number {
  const data = (ecBits << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | (rem & 0x3ff)) ^ FORMAT_XOR;
}

/** The error correction level bits and mask pattern reference written in a symbol. */
export function readFormat(m: QrMatrix): { ecBits: number; mask: number } {
  const { first } = formatPositions(m.size);
  let bits = 0;
  first.forEach(([r, c], i) => {
    if (m.modules[r * m.size + c] === 1) bits |= 1 << i;
  });
  const data = (bits ^ FORMAT_XOR) >>> 10;
  return { ecBits: data >>> 3, mask: data & 7 };
}

/** The same symbol with mask pattern `to` instead of the one it carries. */
export function remask(m: QrMatrix, to: number, fn: Uint8Array = functionModules(m.size)): QrMatrix {
  const { size } = m;
  const { ecBits, mask: from } = readFormat(m);
  const out = Uint8Array.from(m.modules);
  const f0 = MASKS[from]!;
  const f1 = MASKS[to]!;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const k = i * size + j;
      if (fn[k] === 1) continue;
      if (f0(i, j) !== f1(i, j)) out[k] = out[k]! ^ 1;
    }
  }
  const bits = formatBits(ecBits, to);
  const { first, second } = formatPositions(size);
  for (const copy of [first, second]) copy.forEach(([r, c], i) => (out[r * size + c] = (bits >>> i) & 1));
  return { size, modules: out };
}

/**
 * Penalty score (§7.8.3, Table 11): N1 runs of five or more, N2 2 × 2 blocks, N3 finder-like
 * 1:1:3:1:1 patterns with four light modules (or the symbol's edge) on a side, N4 the dark
 * proportion. Scored as BWIPP scores them (run-length encoded lines, the pattern at any module
 * width), so the mask chosen is the one bwip-js itself would choose.
 */
export function penalty(m: QrMatrix): number {
  const { size, modules: q } = m;
  const runs = new Int32Array(size + 2);
  let score = 0;
  for (const rowWise of [false, true]) {
    for (let a = 0; a < size; a++) {
      // Run lengths, starting with a light run (0 when the line starts dark).
      let n = 0;
      let colour = 0;
      runs[0] = 0;
      for (let b = 0; b < size; b++) {
        const v = rowWise ? q[a * size + b]! : q[b * size + a]!;
        if (v === colour) runs[n]!++;
        else {
          colour = v;
          runs[++n] = 1;
        }
      }
      n++;
      for (let k = 0; k < n; k++) if (runs[k]! >= 5) score += runs[k]! - 2;
      for (let j = 3; j <= n - 3; j += 2) {
        const r = runs[j]!;
        if (r % 3 !== 0) continue;
        const unit = r / 3;
        if (runs[j - 2] !== unit || runs[j - 1] !== unit || runs[j + 1] !== unit || runs[j + 2] !== unit) continue;
        if (j === 3 || j + 4 >= n || runs[j - 3]! >= 4 || runs[j + 3]! >= 4) score += 40;
      }
    }
  }
  for (let r = 0; r + 1 < size; r++) {
    for (let c = 0; c + 1 < size; c++) {
      const v = q[r * size + c];
      if (v === q[r * size + c + 1] && v === q[(r + 1) * size + c] && v === q[(r + 1) * size + c + 1]) score += 3;
    }
  }
  let dark = 0;
  for (let k = 0; k < size * size; k++) dark += q[k]!;
  score += 10 * Math.floor(Math.abs(dark * 20 - size * size * 10) / (size * size));
  return score;
}

/** The symbol re-masked with the pattern of lowest penalty (the lowest reference on a tie). */
export function bestMask(m: QrMatrix): QrMatrix {
  const fn = functionModules(m.size);
  let best: QrMatrix | undefined;
  let bestScore = Infinity;
  for (let k = 0; k < MASKS.length; k++) {
    const candidate = remask(m, k, fn);
    const s = penalty(candidate);
    if (s < bestScore) {
      best = candidate;
      bestScore = s;
    }
  }
  return best!;
}

/**
 * `cardline render` from outside, as the operator and the QA station use it: a record file and an
 * imported batch to laser-job PDFs, PNG previews and a proof sheet; bad input exits 2 naming the
 * field, never printing personal values.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardline, cliUsers, jsonLine } from '../helpers/cli.ts';
import { FIXTURES, readPdf, readPng } from './helpers.ts';

let work: string;
let dataDir: string;
const env = () => ({ CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '' });
/** An operator imports; a QA user renders a batch (docs/security.md, role matrix). */
let as: Record<'op' | 'qa', NodeJS.ProcessEnv>;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-render-'));
  dataDir = path.join(work, 'data');
  as = await cliUsers(env(), { op: 'operator', qa: 'qa' });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('cardline render --record', () => {
  it('writes front and back PDFs, PNG previews at the asked resolution and a proof sheet', async () => {
    const out = path.join(work, 'record');
    const r = await cardline(['render', '--record', path.join(FIXTURES, 'adult-no-expiry.json'), '--out', out, '--png', '100', '--proof', '--json'], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const files = ['adult-no-expiry-front.pdf', 'adult-no-expiry-front.png', 'adult-no-expiry-back.pdf', 'adult-no-expiry-back.png', 'proof.pdf'];
    expect(jsonLine(r.stdout)).toStrictEqual({ rendered: 1, failed: 0, warnings: 0, files: files.map((f) => path.join(out, f)) });
    expect((await readdir(out)).sort()).toStrictEqual([...files].sort());

    const front = await readPdf(await readFile(path.join(out, 'adult-no-expiry-front.pdf')));
    expect(front.items.map((i) => i.str)).toContain('TRẦN VĂN LONG');
    const back = await readPdf(await readFile(path.join(out, 'adult-no-expiry-back.pdf')));
    expect(back.items.filter((i) => i.font === 'OCRB-Regular').map((i) => i.str)).toStrictEqual([
      'IDVNM0648036911058064803691<<4',
      '6411297M9912315VNM<<<<<<<<<<<4',
      'TRAN<<VAN<LONG<<<<<<<<<<<<<<<<',
    ]);
    const png = await readFile(path.join(out, 'adult-no-expiry-front.png'));
    expect(png.subarray(0, 8)).toStrictEqual(PNG_SIGNATURE);
    // 85.60 × 53.98 mm at 100 dpi.
    const raster = await readPng(path.join(out, 'adult-no-expiry-front.png'));
    expect([raster.width, raster.height]).toStrictEqual([337, 213]);
    const proof = await readPdf(await readFile(path.join(out, 'proof.pdf')));
    expect(proof.pages).toBe(2);
    expect(proof.text).toContain('adult-no-expiry');
  });

  it('picks the generic TD1 template for a TD1 field set', async () => {
    const out = path.join(work, 'td1');
    const r = await cardline(['render', '--record', path.join(FIXTURES, 'td1-specimen.json'), '--out', out], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toContain(`rendered 1 card(s) to ${out}`);
    const back = await readPdf(await readFile(path.join(out, 'td1-specimen-back.pdf')));
    expect(back.items.filter((i) => i.font === 'OCRB-Regular').map((i) => i.str)[0]).toBe('I<UTOD231458907<<<<<<<<<<<<<<<');
  });

  it('reports texts cut to fit on standard error, by field name only', async () => {
    const r = await cardline(['render', '--record', path.join(FIXTURES, 'tones.json'), '--out', path.join(work, 'tones')], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('warning: tones: back: placeOfBirthRegistration cut with "…": it does not fit 2 line(s) of 58.5 mm even at 5.5 pt\n');
  });

  it('exits 2 when a holder of 6 or over has no portrait, without printing the record', async () => {
    const { writeFile } = await import('node:fs/promises');
    const record = JSON.parse(await readFile(path.join(FIXTURES, 'long-name.json'), 'utf8')) as Record<string, unknown>;
    delete record.portrait;
    const file = path.join(work, 'no-portrait.json');
    await writeFile(file, JSON.stringify(record));
    const r = await cardline(['render', '--record', file, '--out', path.join(work, 'no-portrait')], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cardline: ${file}: portrait: is required: the holder is 6 or over on the issue date, and the card carries a portrait\n`);
  });

  const record = path.join(FIXTURES, 'adult-no-expiry.json');
  const out = (): string => path.join(work, 'bad');
  it.each<[string, () => string[], RegExp]>([
    ['neither --record nor --batch', () => ['--out', out()], /give exactly one of --record FILE and --batch ID/],
    ['both --record and --batch', () => ['--record', record, '--batch', 'X', '--out', out()], /give exactly one of --record FILE and --batch ID/],
    ['--png out of range', () => ['--record', record, '--out', out(), '--png', '20'], /--png must be a whole number of dots per inch from 36 to 1200, got '20'/],
    ['an unknown template', () => ['--record', record, '--out', out(), '--template', 'nope'], /--template nope: no such template; the templates are icao-td1-generic, vn-cancuoc-2024/],
    ['a missing record file', () => ['--record', path.join(work, 'missing.json'), '--out', out()], /cannot read .*missing\.json: ENOENT/],
    ['an unknown batch', () => ['--batch', '20990101-abcdef', '--out', out()], /batch 20990101-abcdef does not exist/],
  ])('exits 2 for %s, saying what is wrong', async (_what, args, message) => {
    const r = await cardline(['render', ...args()], { env: as.qa });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('cardline render --batch', () => {
  it('renders every record of an imported batch by seq, with a proof sheet of all of them', async () => {
    const sample = path.join(work, 'sample');
    expect((await cardline(['sample', '--count', '10', '--seed', 'render-cli', '--out', sample], { env: env() })).code).toBe(0);
    const imported = await cardline(['import', path.join(sample, 'batch.jsonl'), '--json'], { env: as.op });
    expect(imported.code).toBe(0);
    const { batchId, accepted } = jsonLine(imported.stdout) as { batchId: string; accepted: number };
    expect(accepted).toBe(10);

    const out = path.join(work, 'batch');
    const r = await cardline(['render', '--batch', batchId, '--out', out, '--proof', '--json'], { env: as.qa });
    expect(r.code).toBe(0);
    const summary = jsonLine(r.stdout) as { rendered: number; failed: number };
    expect(summary).toMatchObject({ rendered: 10, failed: 0 });
    const seqs = Array.from({ length: 10 }, (_, i) => `seq-${String(i + 1).padStart(6, '0')}`);
    expect((await readdir(out)).sort()).toStrictEqual([...seqs.flatMap((s) => [`${s}-back.pdf`, `${s}-front.pdf`]), 'proof.pdf'].sort());

    // The laser job of seq 1 carries the first record of the file.
    const first = JSON.parse((await readFile(path.join(sample, 'batch.jsonl'), 'utf8')).split('\n')[0]!) as { pid: string };
    const front = await readPdf(await readFile(path.join(out, 'seq-000001-front.pdf')));
    expect(front.items.map((i) => i.str)).toContain(first.pid);
    // 10 cards: two sheets of fronts and backs; labels name the batch and seq, never the holder.
    const proofPdf = await readFile(path.join(out, 'proof.pdf'));
    const proof = await readPdf(proofPdf, 3);
    expect(proof.pages).toBe(4);
    expect(proof.items.filter((i) => i.str.startsWith(batchId)).map((i) => i.str)).toStrictEqual([
      `${batchId} — fronts — sheet 2`,
      `${batchId} seq 9`,
      `${batchId} seq 10`,
    ]);
  });
});

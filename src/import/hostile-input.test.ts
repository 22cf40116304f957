/**
 * The importer against hostile batch folders and files (issue 15 finding 6): portraits that are
 * symbolic links, lead out of the folder through a linked folder, are FIFOs or huge; a CSV whose
 * unterminated quote turns millions of lines into quarantine entries (the report is capped); and
 * properties of the capped report and of the reader's messages.
 */
import { createCanvas } from '@napi-rs/canvas';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { mkdir, open, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, tempDataDir, type StoreFixture } from '../../test/helpers/store-backends.ts';
import { RECORD_FIELDS } from '../domain/record.ts';
import { BatchStore } from '../store/batch-store.ts';
import { importBatch } from './importer.ts';
import { QuarantineReport, reasonOf } from './quarantine-report.ts';
import { readRecords, type ReaderEvent } from './record-reader.ts';

const today = { year: 2026, month: 11, day: 27 };

async function jpeg(width: number, height: number): Promise<Buffer> {
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#d8dde3';
  g.fillRect(0, 0, width, height);
  return canvas.encode('jpeg', 80);
}

const adult = (n: number, portrait: string) => ({
  pid: `001090${String(n).padStart(6, '0')}`,
  fullName: 'Nguyễn Văn An',
  birthDate: '1990-01-15',
  sex: 'M',
  issueDate: '2024-08-01',
  placeOfBirthRegistration: 'Hà Nội',
  residence: 'Hà Nội',
  portrait,
});

interface Report {
  entries: { line: number; kind: string; issues: { field: string; message: string }[] }[];
  notListed: { kind: string; reason: string; count: number }[];
  summary: Record<string, unknown>;
}

let fx: StoreFixture;
let store: BatchStore;
let work: string;

beforeAll(async () => {
  fx = await BACKENDS[0]!.setup();
  store = new BatchStore(fx.db, fx.keys);
  work = await tempDataDir();
});
afterAll(async () => {
  await fx?.cleanup();
});

const run = (file: string, extra: Partial<Parameters<typeof importBatch>[0]> = {}) =>
  importBatch({ file, store, reportDir: path.join(work, 'reports'), actor: 'tester', today, ...extra });

describe('portraits from a hostile batch folder', () => {
  it('quarantines links, FIFOs, huge files and paths out of the folder without opening them', async () => {
    const batchDir = path.join(work, 'batch');
    const outside = path.join(work, 'outside');
    await mkdir(path.join(batchDir, 'portraits'), { recursive: true });
    await mkdir(outside);
    const good = await jpeg(360, 480);
    await writeFile(path.join(batchDir, 'portraits', 'ok.jpg'), good);
    await writeFile(path.join(outside, 'secret.jpg'), good); // a valid JPEG: only the path rules can refuse it
    await symlink(path.join(outside, 'secret.jpg'), path.join(batchDir, 'portraits', 'link-out.jpg'));
    await symlink('ok.jpg', path.join(batchDir, 'portraits', 'link-in.jpg'));
    await symlink(outside, path.join(batchDir, 'linked-folder'));
    // A FIFO: opening it for reading (without O_NONBLOCK) would block the import for ever.
    execFileSync('mkfifo', [path.join(batchDir, 'portraits', 'fifo.jpg')]);
    await symlink('fifo.jpg', path.join(batchDir, 'portraits', 'link-fifo.jpg'));
    // 3 GiB, sparse: read in whole it would exhaust memory; the size is checked first.
    const huge = await open(path.join(batchDir, 'portraits', 'huge.jpg'), 'w');
    await huge.truncate(3 * 1024 ** 3);
    await huge.close();

    const portraits = ['portraits/ok.jpg', 'portraits/link-out.jpg', 'portraits/link-in.jpg', 'linked-folder/secret.jpg',
      'portraits/fifo.jpg', 'portraits/link-fifo.jpg', 'portraits/huge.jpg', '../outside/secret.jpg', 'portraits/../../outside/secret.jpg'];
    const file = path.join(batchDir, 'batch.jsonl');
    await writeFile(file, portraits.map((p, i) => JSON.stringify(adult(i + 1, p))).join('\n'));
    const summary = await run(file, { chunkSize: 4 });
    expect(summary).toMatchObject({ accepted: 1, quarantined: 8 });
    const report = JSON.parse(await readFile(summary.reportPath, 'utf8')) as Report;
    const link = 'is a symbolic link; portraits must be regular files inside the batch folder';
    expect(report.entries).toStrictEqual([
      { line: 2, kind: 'rejected', issues: [{ field: 'portrait', message: link }] },
      { line: 3, kind: 'rejected', issues: [{ field: 'portrait', message: link }] },
      { line: 4, kind: 'rejected', issues: [{ field: 'portrait', message: "leads outside the batch file's folder (through a symbolic link)" }] },
      { line: 5, kind: 'rejected', issues: [{ field: 'portrait', message: 'is not a regular file' }] },
      { line: 6, kind: 'rejected', issues: [{ field: 'portrait', message: link }] },
      { line: 7, kind: 'rejected', issues: [{ field: 'portrait', message: 'is larger than 2 MiB' }] },
      { line: 8, kind: 'rejected', issues: [{ field: 'portrait', message: "must stay inside the batch file's folder" }] },
      { line: 9, kind: 'rejected', issues: [{ field: 'portrait', message: "must stay inside the batch file's folder" }] },
    ]);
    expect(await store.recordPortrait(summary.batchId, 1)).toStrictEqual(good);
  }, 60_000);
});

describe('a 12 MB CSV with an unterminated quote', () => {
  it('gives reports under 5 MB that still name every reason and count every line', async () => {
    const dir = path.join(work, 'csv');
    await mkdir(dir);
    const file = path.join(dir, 'broken.csv');
    // The header, one record whose quoted residence never closes, then 3 million short rows: each
    // row is re-read after the quote fails and has the wrong number of fields.
    const rows = 3_000_000;
    const head = `${RECORD_FIELDS.join(',')}\n001090000001,Nguyễn Văn An,1990-01-15,M,VNM,Hà Nội,"Hà Nội\n`;
    await writeFile(file, Buffer.concat([Buffer.from(head), Buffer.alloc(rows * 4, 'x,y\n')]));
    expect((await stat(file)).size).toBeGreaterThan(12_000_000);

    const summary = await run(file, { chunkSize: 1000 });
    expect(summary).toMatchObject({ accepted: 0, quarantined: rows + 1 });
    const jsonSize = (await stat(summary.reportPath)).size;
    const textSize = (await stat(summary.reportTextPath)).size;
    expect(jsonSize + textSize).toBeLessThan(5_000_000);
    expect(jsonSize + textSize).toBeLessThan(100_000); // docs/record-format.md says so

    const report = JSON.parse(await readFile(summary.reportPath, 'utf8')) as Report;
    expect(report.entries[0]).toMatchObject({ line: 2, issues: [{ field: '(line)', message: expect.stringMatching(/^unterminated quoted field starting at line 2/) }] });
    expect(report.entries).toHaveLength(101);
    expect(report.notListed).toStrictEqual([
      { kind: 'rejected', reason: '(line): # fields, the header (line #) has #; check for a missing or extra comma, or quote values that contain commas', count: rows - 100 },
    ]);
    expect(report.summary).toStrictEqual({ accepted: 0, quarantined: rows + 1, warnings: 0, status: 'failed', entriesNotListed: rows - 100, auditHead: expect.anything() });
    const text = await readFile(summary.reportTextPath, 'utf8');
    expect(text).toContain(`${rows - 100} more line(s) not listed one by one (the first 100 of each reason are), by reason:\n  ${rows - 100} × rejected: (line): # fields`);
    expect(text).not.toContain('Nguyễn');
  }, 300_000);
});

describe('the capped quarantine report (property)', () => {
  const issue = fc.record({
    field: fc.constantFrom('pid', 'fullName', '(line)', 'portrait', 'x'.repeat(500)),
    message: fc.oneof(fc.constantFrom('is required', 'must be exactly 12 digits'), fc.nat().map((n) => `line ${n} is bad`), fc.string({ maxLength: 2000 })),
  });
  const entry = fc.record({ warning: fc.boolean(), issues: fc.array(issue, { minLength: 1, maxLength: 40 }) });

  it('lists the first entries of each reason in full, counts the rest, and stays within its budget', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 300 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1_000, max: 50_000 }), async (entries, perReason, maxBytes) => {
        n += 1;
        const report = await QuarantineReport.create(path.join(work, 'prop-reports'), `p${n}`, 'x.csv', { perReason, maxBytes });
        entries.forEach((e, i) => (e.warning ? report.warn(i + 1, e.issues[0]!.field, e.issues[0]!.message) : report.reject(i + 1, e.issues)));
        const paths = await report.close({ accepted: 0, status: 'failed' });
        const json = JSON.parse(await readFile(paths.json, 'utf8')) as Report;
        const listed = json.entries.length;
        const notListed = json.notListed.reduce((s, o) => s + o.count, 0);
        expect(listed + notListed).toBe(entries.length);
        expect(json.summary.entriesNotListed).toBe(notListed);
        // Per reason: at most perReason listed.
        const byReason = new Map<string, number>();
        for (const e of json.entries) {
          const key = `${e.kind}: ${reasonOf(entries[e.line - 1]!.warning ? [entries[e.line - 1]!.issues[0]!] : entries[e.line - 1]!.issues)}`;
          byReason.set(key, (byReason.get(key) ?? 0) + 1);
          expect(e.issues.length).toBeLessThanOrEqual(21);
          for (const i of e.issues) expect(i.message.length).toBeLessThanOrEqual(301);
        }
        for (const count of byReason.values()) expect(count).toBeLessThanOrEqual(perReason);
        // The budget: the listed entries, plus at most one entry's worth (≤ 21 issues × ~420 bytes).
        expect((await stat(paths.json)).size).toBeLessThan(maxBytes + 21 * 500 + 300 * 1000 + 1000);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield await Promise.resolve(data);
}

describe('the reader never echoes record content in its messages (property)', () => {
  // Personal values stand in as unique markers; a message may name lines, offsets and fields only.
  const marker = fc.integer({ min: 0, max: 999 }).map((n) => `Nguyễn Thị Mẫu${n}`);
  const piece = fc.oneof(marker, fc.constantFrom('"', ',', '\n', '\r\n', '""', '{', '}', ':', '{"fullName":', '\u00ff', ' '));
  for (const format of ['jsonl', 'csv'] as const) {
    it(format, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(piece, { maxLength: 60 }), fc.array(marker, { minLength: 1, maxLength: 3 }), async (pieces, extra) => {
          const body = [...pieces, ...extra].join('');
          const data = Buffer.from(format === 'csv' ? `a,b,c\n${body}` : body);
          const events: ReaderEvent[] = [];
          for await (const ev of readRecords(once(data), format)) events.push(ev);
          for (const ev of events) {
            if (ev.kind !== 'error') continue;
            expect(ev.message).not.toMatch(/Mẫu|Nguy|Thị/u);
            expect(ev.message.length).toBeLessThan(600);
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});

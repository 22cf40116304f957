/**
 * The importer against a real database (SQLite and PostgreSQL): accepted records are stored
 * and read back, bad ones are quarantined with line, field and reason, and garbage of any kind
 * never stops the good records around it.
 */
import { createCanvas } from '@napi-rs/canvas';
import fc from 'fast-check';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, tempDataDir, type StoreFixture } from '../../test/helpers/store-backends.ts';
import { parsePartialDate, parseCivilDate } from '../domain/dates.ts';
import { composeVietnameseMrz } from '../domain/mrz/compose.ts';
import { checkTd1 } from '../domain/mrz/validate.ts';
import { centurySexDigit } from '../domain/personal-id.ts';
import { verifyAuditChain } from '../store/audit.ts';
import { BatchStore } from '../store/batch-store.ts';
import { importBatch, ImportFileError } from './importer.ts';

const today = { year: 2026, month: 11, day: 27 };

async function jpeg(width: number, height: number): Promise<Buffer> {
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#d8dde3';
  g.fillRect(0, 0, width, height);
  g.fillStyle = '#a0785a';
  g.beginPath();
  g.ellipse(width / 2, height / 2, width / 4, height / 3, 0, 0, Math.PI * 2);
  g.fill();
  return canvas.encode('jpeg', 80);
}

const adult = (n: number, extra: Record<string, unknown> = {}) => ({
  pid: `001090${String(n).padStart(6, '0')}`,
  fullName: 'Nguyễn Văn An',
  birthDate: '1990-01-15',
  sex: 'M',
  issueDate: '2024-08-01',
  placeOfBirthRegistration: 'Hà Nội',
  residence: 'Hà Nội',
  portrait: 'portraits/ok.jpg',
  ...extra,
});

const child = (n: number) => ({
  pid: `079322${String(n).padStart(6, '0')}`,
  fullName: 'Trần Thị Bảo Ngọc',
  birthDate: '2022-03-05',
  sex: 'F',
  issueDate: '2024-08-01',
  placeOfBirthRegistration: 'TP Hồ Chí Minh',
  residence: 'TP Hồ Chí Minh',
});

interface ReportEntry {
  line: number;
  kind: 'rejected' | 'warning';
  issues: { field: string; message: string }[];
}

async function readReport(reportPath: string): Promise<{ entries: ReportEntry[]; summary: Record<string, unknown> }> {
  return JSON.parse(await readFile(reportPath, 'utf8')) as { entries: ReportEntry[]; summary: Record<string, unknown> };
}

describe.each(BACKENDS)('importBatch on $name', (backend) => {
  let fx: StoreFixture;
  let store: BatchStore;
  let dir: string;

  beforeAll(async () => {
    fx = await backend.setup();
    store = new BatchStore(fx.db, fx.keys);
    dir = await tempDataDir();
    await mkdir(path.join(dir, 'portraits'));
    await writeFile(path.join(dir, 'portraits/ok.jpg'), await jpeg(360, 480));
    await writeFile(path.join(dir, 'portraits/small.jpg'), await jpeg(240, 320));
    await writeFile(path.join(dir, 'portraits/not.jpg'), 'this is text');
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  const run = (file: string, name?: string) =>
    importBatch({ file, store, reportDir: path.join(dir, 'reports'), actor: 'tester', today, chunkSize: 3, ...(name ? { name } : {}) });

  it('warns, not rejects, when a card issued from 1 July 2025 names a province that no longer exists or a district (issue 20 item 9)', async () => {
    const old = 'Thôn 4, xã Yên Minh, huyện Yên Minh, Hà Giang';
    const lines = [
      JSON.stringify(adult(11, { pid: '002090000011', issueDate: '2025-07-01', residence: old, placeOfBirthRegistration: 'Hà Giang' })),
      JSON.stringify(adult(12, { pid: '002090000012', issueDate: '2025-06-30', residence: old, placeOfBirthRegistration: 'Hà Giang' })),
      JSON.stringify(adult(13, { pid: '002090000013', issueDate: '2025-08-01', residence: 'Số 5, phố Hàng Bạc, phường Hoàn Kiếm, Hà Nội', placeOfBirthRegistration: 'Tuyên Quang' })),
      JSON.stringify(adult(14, { pid: '046090000014', issueDate: '2025-09-01', residence: 'Tổ 2, phường Phú Hội, Thừa Thiên Huế', placeOfBirthRegistration: 'Huế' })),
    ];
    const file = path.join(dir, `reform-${backend.name}.jsonl`);
    await writeFile(file, `${lines.join('\n')}\n`);
    const summary = await run(file);
    expect(summary).toMatchObject({ accepted: 4, quarantined: 0 });
    const report = await readReport(summary.reportPath);
    const merged = (from: string, to: string) => `names the province ${from}, which no longer exists: since 1 July 2025 it is part of ${to}`;
    expect(report.entries).toStrictEqual([
      { line: 1, kind: 'warning', issues: [{ field: 'residence', message: merged('Hà Giang', 'Tuyên Quang') }] },
      { line: 1, kind: 'warning', issues: [{ field: 'residence', message: 'has a district-level unit, a level the 1 July 2025 reform abolished (addresses are commune/ward, then province)' }] },
      { line: 1, kind: 'warning', issues: [{ field: 'placeOfBirthRegistration', message: merged('Hà Giang', 'Tuyên Quang') }] },
      { line: 4, kind: 'warning', issues: [{ field: 'residence', message: merged('Thừa Thiên Huế', 'Huế') }] },
    ]);
    expect(report.summary).toStrictEqual({ accepted: 4, quarantined: 0, warnings: 4, status: 'imported', entriesNotListed: 0, auditHead: expect.objectContaining({ id: expect.any(Number) }) });
    // The warning names provinces only: the rest of the address is personal data.
    expect(JSON.stringify(report.entries)).not.toContain('Yên Minh');
  });

  it('imports a JSON Lines file, quarantining each bad record with line, field and reason', async () => {
    const lines = [
      JSON.stringify(adult(1)),
      JSON.stringify(child(1)),
      JSON.stringify(adult(1)), // duplicate of line 1
      JSON.stringify(adult(2, { portrait: 'portraits/missing.jpg' })),
      JSON.stringify(adult(3, { portrait: 'portraits/small.jpg' })),
      JSON.stringify(adult(4, { portrait: 'portraits/not.jpg' })),
      JSON.stringify(adult(5, { portrait: '../outside.jpg' })),
      JSON.stringify(adult(7, { portrait: 'portraits' })),
      JSON.stringify({ ...child(2), portrait: 'portraits/ok.jpg' }),
      '{"pid": 1}',
      '',
      JSON.stringify(adult(6, { fullName: 'Công Tằng Tôn Nữ Thị Phương Khuê', sex: 'F', pid: '001190000006' })),
    ];
    const file = path.join(dir, `batch-${backend.name}.jsonl`);
    await writeFile(file, `\uFEFF${lines.join('\r\n')}\r\n`);
    const summary = await run(file);
    expect(summary).toMatchObject({ format: 'jsonl', accepted: 3, quarantined: 8, namesShortened: 1 });

    const report = await readReport(summary.reportPath);
    expect(report.entries).toStrictEqual([
      { line: 3, kind: 'rejected', issues: [{ field: 'pid', message: 'duplicate personal ID: same as line 1 of this batch' }] },
      { line: 4, kind: 'rejected', issues: [{ field: 'portrait', message: 'file not found' }] },
      { line: 5, kind: 'rejected', issues: [{ field: 'portrait', message: 'is 240 × 320 px; at least 300 × 400 (width × height) is required' }] },
      { line: 6, kind: 'rejected', issues: [{ field: 'portrait', message: 'is not a usable JPEG: not a JPEG: it does not start with the SOI marker FFD8' }] },
      { line: 7, kind: 'rejected', issues: [{ field: 'portrait', message: "must stay inside the batch file's folder" }] },
      { line: 8, kind: 'rejected', issues: [{ field: 'portrait', message: 'is not a regular file' }] },
      {
        line: 9,
        kind: 'rejected',
        issues: [{ field: 'portrait', message: 'is not allowed: the holder is under 6 on the issue date and gets a card without portrait' }],
      },
      {
        line: 10,
        kind: 'rejected',
        issues: [
          { field: 'pid', message: 'must be a text of 12 digits (as a JSON number it would lose its leading zeros)' },
          { field: 'fullName', message: 'is required' },
          { field: 'birthDate', message: 'is required' },
          { field: 'sex', message: 'is required' },
          { field: 'placeOfBirthRegistration', message: 'is required' },
          { field: 'residence', message: 'is required' },
          { field: 'issueDate', message: 'is required' },
        ],
      },
      { line: 12, kind: 'warning', issues: [{ field: 'fullName', message: 'shortened in the MRZ (initials or cut): check the name line' }] },
    ]);
    const { auditHead: printed, ...totals } = report.summary as { auditHead: { id: number; hash: string } };
    expect(totals).toStrictEqual({ accepted: 3, quarantined: 8, warnings: 1, status: 'imported', entriesNotListed: 0 });
    // The head printed in the report is the row before the batch.imported row, and anchors the chain.
    expect(printed.id).toBe((await store.auditHead())!.id - 1);
    expect(await verifyAuditChain(fx.db, fx.keys, { anchor: printed.hash })).toMatchObject({ ok: true, anchorRow: printed.id });

    const batch = await store.getBatch(summary.batchId);
    expect(batch).toMatchObject({ status: 'imported', acceptedCount: 3, quarantinedCount: 8, name: path.basename(file) });
    expect(await store.recordPersonal(summary.batchId, 1)).toMatchObject({ pid: '001090000001', fullName: 'Nguyễn Văn An', nationality: 'VNM' });
    expect(await store.recordPortrait(summary.batchId, 1)).toStrictEqual(await readFile(path.join(dir, 'portraits/ok.jpg')));
    expect(await store.recordPortrait(summary.batchId, 2)).toBeUndefined();
  });

  it('imports CSV and refuses a second open batch with the same PIDs', async () => {
    const header = 'pid,fullName,birthDate,sex,issueDate,placeOfBirthRegistration,residence,portrait,religion';
    const row = (r: Record<string, unknown>) =>
      [r.pid, r.fullName, r.birthDate, r.sex, r.issueDate, r.placeOfBirthRegistration, `"${String(r.residence)}, ""khu phố 3"""`, r.portrait ?? '', ''].join(',');
    const file = path.join(dir, `batch-${backend.name}.csv`);
    await writeFile(file, [header, row(adult(20)), row(child(20)), 'too,few,fields', row(adult(1))].join('\n'));
    const summary = await run(file, 'csv batch');
    const report = await readReport(summary.reportPath);
    expect(summary).toMatchObject({ format: 'csv', accepted: 2, quarantined: 2 });
    expect(report.entries.map((e) => [e.line, e.issues[0]!.field])).toStrictEqual([
      // The residence's last part ("khu phố 3") names no province: delivered to UNSORTED, a warning.
      [2, 'deliveryOffice'],
      [3, 'deliveryOffice'],
      [4, '(line)'],
      [5, 'pid'],
    ]);
    expect(report.entries[3]!.issues[0]!.message).toMatch(/^duplicate personal ID: already in open batch \d{8}-[0-9a-f]{6} \(line 1 of its file\)$/);
    expect(await store.recordPersonal(summary.batchId, 1)).toMatchObject({ residence: 'Hà Nội, "khu phố 3"' });
  });

  it('stops before creating a batch when the CSV header names an unknown or repeated column', async () => {
    const file = path.join(dir, `bad-header-${backend.name}.csv`);
    await writeFile(file, 'pid,fullname,sex,sex\n1,2,3,4\n');
    const before = (await store.listBatches()).length;
    await expect(run(file)).rejects.toThrow(
      new ImportFileError(
        `${file} line 1: unknown column "fullname"; repeated column "sex" in the CSV header; the columns are pid, fullName, birthDate, sex, nationality, placeOfBirthRegistration, residence, issueDate, portrait, ethnicity, religion, placeOfOrigin, fatherName, motherName, spouseName, previousIdNumber, identifyingMarks, deliveryOffice (docs/record-format.md)`,
      ),
    );
    expect((await store.listBatches()).length).toBe(before);
  });

  it('marks a batch with no acceptable record as failed and still writes the report', async () => {
    const file = path.join(dir, `nothing-${backend.name}.jsonl`);
    await writeFile(file, 'garbage\n{"pid":"x"}\n');
    const summary = await run(file);
    expect(summary).toMatchObject({ accepted: 0, quarantined: 2 });
    expect(await store.getBatch(summary.batchId)).toMatchObject({ status: 'failed', failureReason: 'no record was accepted' });
    expect((await readReport(summary.reportPath)).summary).toMatchObject({ status: 'failed' });
  });

  it('names a missing file', async () => {
    await expect(run(path.join(dir, 'nope.jsonl'))).rejects.toThrow(/cannot open .*nope\.jsonl: ENOENT/);
  });
});

describe('garbage never stops the good records (property, SQLite)', () => {
  let fx: StoreFixture;
  let store: BatchStore;
  let dir: string;

  beforeAll(async () => {
    fx = await BACKENDS[0]!.setup();
    store = new BatchStore(fx.db, fx.keys);
    dir = await tempDataDir();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), // arbitrary bytes, invalid UTF-8 included
    fc.constant(Buffer.from([0xc0, 0xaf, 0x7b, 0x7d])), // overlong encoding
    fc.constant(Buffer.from('{"pid":"001090000001","fullName":"A"')), // cut off
    fc.constant(Buffer.alloc(70 * 1024, 0x61)), // longer than a record may be
    fc.constant(Buffer.from('[1,2,3]')),
    fc.constant(Buffer.from('{"fullName":"Lê Thị Hoa"}')), // missing fields
    fc.constant(Buffer.from('\uFEFF{"pid":"x"}')), // a BOM in the middle of the file
  );

  it('imports every good record and gives every bad line its own reason', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ arbitrary: fc.constant<'good'>('good'), weight: 2 }, { arbitrary: garbage, weight: 1 }), { minLength: 1, maxLength: 25 }),
        fc.constantFrom('\n', '\r\n'),
        async (plan, eol) => {
          run += 1;
          const parts: Buffer[] = [];
          const goodLines: number[] = [];
          plan.forEach((item, i) => {
            if (item === 'good') {
              goodLines.push(i + 1);
              parts.push(Buffer.from(JSON.stringify(child(run * 100 + i))));
            } else {
              // A garbage item must stay on its own line: line breaks inside it would shift the count.
              parts.push(Buffer.from(item.map((b) => (b === 0x0a || b === 0x0d ? 0x20 : b))));
            }
          });
          const file = path.join(dir, `prop-${run}.jsonl`);
          await writeFile(file, Buffer.concat(parts.flatMap((p) => [p, Buffer.from(eol)])));
          const summary = await importBatch({ file, store, reportDir: path.join(dir, 'reports'), actor: 't', today, chunkSize: 4 });
          const report = await readReport(summary.reportPath);
          expect(summary.accepted).toBe(goodLines.length);
          const rejected = report.entries.filter((e) => e.kind === 'rejected').map((e) => e.line);
          const blank = plan.flatMap((item, i) => (item !== 'good' && item.every((b) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) ? [i + 1] : []));
          const expectedBad = plan.flatMap((item, i) => (item === 'good' || blank.includes(i + 1) ? [] : [i + 1]));
          // A garbage line that happens to be valid JSON of a valid record does not occur: it lacks a PID.
          expect(rejected).toStrictEqual(expectedBad);
          for (const entry of report.entries) expect(entry.issues.length).toBeGreaterThan(0);
          await store.releasePids(summary.batchId);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('every accepted record yields a valid MRZ (property over the acceptance rules)', () => {
  it('holds for arbitrary combinations of field values', async () => {
    const { validateRecord } = await import('../domain/record.ts');
    const word = fc.constantFrom('Nguyễn', 'Trần', 'Thị', 'Văn', 'Đặng', 'Ỷ', 'Phương', "H'Hen", 'Niê', 'Khuê', 'Ánh', 'Müller', 'Lan-Anh', 'ß');
    const record = fc.record({
      pid: fc.oneof(fc.stringMatching(/^\d{12}$/), fc.constantFrom('001090000001', '079305000002', '048155000003')),
      fullName: fc.array(word, { minLength: 1, maxLength: 9 }).map((w) => w.join(' ')),
      birthDate: fc.oneof(
        fc.date({ min: new Date('1900-01-01'), max: new Date('2026-11-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
        fc.integer({ min: 1900, max: 2026 }).map(String),
        fc.constantFrom('1990-01-15', '2005-06-30', '1955-03-10', '2012-02-29'),
      ),
      sex: fc.constantFrom('M', 'F'),
      issueDate: fc.date({ min: new Date('2024-07-01'), max: new Date('2026-11-27'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      placeOfBirthRegistration: fc.constant('Hà Nội'),
      residence: fc.constant('Hà Nội'),
    });
    // Most PIDs are made to agree with sex and birth year, so that most records get through.
    const consistent = fc.tuple(record, fc.boolean(), fc.constantFrom('001', '079', '048', '107'), fc.stringMatching(/^\d{6}$/)).map(
      ([r, randomPid, place, serial]) => {
        if (randomPid) return r;
        const year = Number(r.birthDate.slice(0, 4));
        return { ...r, pid: `${place}${centurySexDigit(year, r.sex)}${String(year % 100).padStart(2, '0')}${serial}` };
      },
    );
    let accepted = 0;
    fc.assert(
      fc.property(consistent, (r) => {
        const checked = validateRecord(r, { portraitRules: false, today });
        if (!checked.ok) return;
        accepted += 1;
        const { lines } = composeVietnameseMrz({
          pid: checked.value.record.pid,
          fullName: checked.value.record.fullName,
          birthDate: parsePartialDate(checked.value.record.birthDate)!,
          sex: checked.value.record.sex,
          issueDate: parseCivilDate(checked.value.record.issueDate)!,
        });
        expect(checkTd1(lines)).toStrictEqual({ valid: true, icaoValid: true, vnProfileValid: true, errors: [], notes: [] });
      }),
      { numRuns: 20_000 },
    );
    expect(accepted).toBeGreaterThan(5_000);
  });
});

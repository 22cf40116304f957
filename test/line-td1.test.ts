/**
 * Templates per product (issue 14 deliverable 3): a batch of generic ICAO TD1 documents runs end to
 * end on the demo line (config/lines/demo-opcua.yaml, its stations, cycles and fault rates; a
 * raised timeScale and free ports) whose line file names `template: icao-td1-generic`. The
 * product's own preparation (the TD1 template rendered, DG1 and DG2 signed — no DG13) and QA
 * (chip read through BAC and verified, OCR'd MRZ) run, judged against the simulator's ledger.
 * The documents are synthetic, in the field set of `cardline mrz compose` (docs/mrz.md), stored
 * through the real batch store.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../simulators/modbus/modbus-server.ts';
import { dg1Digest } from '../simulators/ledger.ts';
import { openContext, type AppContext } from '../src/cli/context.ts';
import { parseLineConfig } from '../src/config/line-config.ts';
import { LdsBuilder } from '../src/domain/lds/build.ts';
import { composeTd1 } from '../src/domain/mrz/compose.ts';
import { parseTd1Input } from '../src/domain/mrz/td1-input.ts';
import { ensureDemoPki } from '../src/pki/index.ts';
import { decodeJob } from '../src/plc/job-data.ts';
import { runBatch } from '../src/app/run-line.ts';
import { writeRunReport } from '../src/cli/run-report.ts';
import { RecordPreparer } from '../src/line/prepare.ts';
import { CardRenderer } from '../src/render/index.ts';
import { checkInvariants } from './helpers/invariants.ts';
import { readPdf } from './render/helpers.ts';

const COUNT = 24;
const DEMO = path.resolve(import.meta.dirname, '../config/lines/demo-opcua.yaml');
const PORTRAIT = path.resolve(import.meta.dirname, 'render/fixtures/portraits/td1-specimen.jpg');
const NAMES: readonly [string, string][] = [
  ['ERIKSSON', 'ANNA MARIA'],
  ['Nguyễn', 'Thị Bích Ngọc'],
  ['Müller', 'Jürgen'],
  ['Đặng', 'Văn Hùng'],
  ['DE LA CRUZ', 'JOSÉ'],
  ['ØSTERGÅRD', 'SØREN'],
];

/** The TD1 field set of document i (odd ones without portrait). */
function td1(i: number): Record<string, unknown> {
  const [primary, secondary] = NAMES[i % NAMES.length]!;
  return {
    format: 'TD1',
    documentCode: 'ID',
    issuingState: 'UTO',
    documentNumber: `T${String(1000 + i).padStart(8, '0')}`,
    optionalData1: '',
    birthDate: `${1950 + i}-0${1 + (i % 9)}-1${i % 10}`,
    sex: i % 3 === 0 ? 'F' : i % 3 === 1 ? 'M' : '<',
    expiryDate: i % 5 === 0 ? null : `2034-0${1 + (i % 9)}-15`,
    nationality: 'UTO',
    optionalData2: '',
    primaryIdentifier: primary,
    secondaryIdentifier: secondary,
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a batch of generic TD1 documents on the demo line with icao-td1-generic', () => {
  it('prepares the TD1 card and chip, and produces every document once, as the ledger shows', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cardline-td1-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const ctx: AppContext = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
    cleanups.push(() => ctx.close());

    const portrait = await readFile(PORTRAIT);
    const batch = await ctx.batches.createBatch({ name: 'td1-documents', sourceFile: 'td1 (test)', actor: 't' });
    const docs = Array.from({ length: COUNT }, (_, i) => td1(i));
    for (const d of docs) expect(parseTd1Input(d).ok, JSON.stringify(d)).toBe(true);
    const added = await ctx.batches.addRecords(
      batch.id,
      docs.map((d, i) => ({
        seq: i + 1,
        lineNo: i + 1,
        // The store's duplicate key: the issuing state and the document number.
        pid: `${d.issuingState as string}${d.documentNumber as string}`,
        cardVariant: i % 2 === 0 ? 'with-portrait' : 'without-portrait',
        personal: d,
        ...(i % 2 === 0 ? { portrait } : {}),
      })),
    );
    expect(added.accepted).toHaveLength(COUNT);
    await ctx.batches.finishImport(batch.id, { accepted: COUNT, quarantined: 0, reportPath: '', actor: 't' });

    const raw = parse(await readFile(DEMO, 'utf8')) as { simulation: Record<string, unknown> & { opcua: Record<string, unknown> } } & Record<string, unknown>;
    const { controlPort: _control, ...simulation } = raw.simulation;
    const line = parseLineConfig(
      { ...raw, template: 'icao-td1-generic', simulation: { ...simulation, timeScale: 10, initialBlanks: COUNT * 3, opcua: { ...raw.simulation.opcua, port: await freePort() } } },
      'config/lines/demo-opcua.yaml (test: free ports, timeScale 10, icao-td1-generic)',
    );
    expect(line.template).toBe('icao-td1-generic');

    // What the preparer makes of one document: the TD1 layout on the laser job, DG1 and DG2 on the chip.
    const pki = await ensureDemoPki(ctx.dataDir, { warn: () => undefined });
    const preparer = new RecordPreparer(ctx.batches, await LdsBuilder.create(pki.signer), new CardRenderer(), { template: line.template, cardStock: line.cardStock });
    const first = await preparer.prepare(batch.id, 1);
    const expected = composeTd1((parseTd1Input(docs[0]) as { ok: true; value: Parameters<typeof composeTd1>[0] }).value).lines;
    expect(first.mrz).toStrictEqual(expected);
    expect(first.dataGroups).toStrictEqual([1, 2]);
    expect((await preparer.prepare(batch.id, 2)).dataGroups).toStrictEqual([1]);
    const laser = decodeJob(first.laserJob);
    const chip = decodeJob(first.chipJob);
    if (!laser.ok || laser.value.kind !== 'laser' || !chip.ok || chip.value.kind !== 'chip') throw new Error('the preparer made no laser or chip job');
    expect(chip.value.files.map((f) => f.fid)).toStrictEqual(['011E', '0101', '0102', '011D']);
    const front = await readPdf(laser.value.sides[0]!.data);
    expect(front.text).toContain('ERIKSSON');
    expect(front.text).not.toContain('CĂN CƯỚC');

    const result = await runBatch(ctx, { lineFile: DEMO, line, batchId: batch.id, recoverAfterMs: 100 });
    expect(result.status).toBe('completed');
    const report = await checkInvariants({ db: ctx.db, batches: ctx.batches, dataDir: ctx.dataDir, batchId: batch.id });
    expect(report.violations).toStrictEqual([]);
    expect(report.produced).toBe(COUNT);
    // The batch report's proof sheet shows the produced documents in their own template.
    const written = await writeRunReport(ctx, result, { proof: true });
    expect(written.proof).toBeDefined();
    const proof = await readPdf(await readFile(written.proof!));
    expect(proof.text).toContain('ERIKSSON');
    expect(proof.text).not.toContain('CĂN CƯỚC');
    // Each document's card in the stacker or in its delivery pack carries its own TD1 MRZ in DG1 (the ledger keeps its digest).
    const stacked = new Set([...report.ledger.stacker, ...report.ledger.packs.flatMap((p) => p.cards)].map((c) => c.dg1Digest));
    for (const d of docs) {
      const lines = composeTd1((parseTd1Input(d) as { ok: true; value: Parameters<typeof composeTd1>[0] }).value).lines;
      expect(stacked.has(dg1Digest(lines.join('')))).toBe(true);
    }
  }, 300_000);
});

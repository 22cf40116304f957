/**
 * A station kind added from a test-only entry of the station-kind table — a pack-label printer
 * between QA and the output — runs cards end to end without a change to the controller, the card
 * machine or the simulator: its place in the route, its job, its judge and its simulator physics
 * are all the entry gives. And a kind the table does not know is a config error that names the
 * file, the line and the key (and, in code, a type error).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerFile, readLedger } from '../simulators/ledger.ts';
import { extendStationPhysics } from '../simulators/model/physics.ts';
import { SimLine } from '../simulators/sim-line.ts';
import { testLine } from '../simulators/testing/test-line.ts';
import { openContext, type AppContext } from '../src/cli/context.ts';
import { loadLineConfig, parseLineConfig, stationUnits } from '../src/config/line-config.ts';
import { importBatch } from '../src/import/importer.ts';
import { LineController } from '../src/line/controller.ts';
import { decodeResult, encodeJob } from '../src/plc/job-data.ts';
import { RESULT_CODES } from '../src/plc/result-codes.ts';
import { writeSample } from '../src/sample/generate.ts';
import { extendStationKinds, stationKinds, type StationKind } from '../src/stations/kinds.ts';
import { LineStore } from '../src/store/line-store.ts';
import { checkInvariants } from './helpers/invariants.ts';
import { closeLinks, connectLinks, memoryLinks } from './helpers/memory-links.ts';
import { TestPreparer, testJudge } from './helpers/test-preparer.ts';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The label of a record's pack: what the printer must print (no personal data). */
const labelOf = (batchId: string, seq: number): Buffer => Buffer.from(`PACK ${batchId} #${seq}`);

// The test-only table entry: everything the line needs to know about a label printer.
const LABELER = extendStationKinds('labeler', {
  place: 45,
  role: 'work',
  description: 'prints the pack label of the record on the card carrier (test-only kind)',
  required: false,
  jobKind: 'laser',
  job: (p) => encodeJob({ v: 1, kind: 'laser', sides: [{ side: 'back', mediaType: 'text/plain', data: labelOf(p.batchId, p.seq) }] }),
  judge: ({ prepared, data }) => {
    const decoded = decodeResult(data);
    const printed = decoded.ok && decoded.value.kind === 'laser' ? decoded.value.engravedSha256 : undefined;
    return Promise.resolve(printed === sha256(labelOf(prepared.batchId, prepared.seq)) ? { ok: true } : { ok: false, code: 'PRINT_GRADE_LOW', detail: 'the pack label reads wrong' });
  },
  heads: false,
  stacker: false,
});

// Its simulator physics: it prints what it was sent, except on every fifth blank, whose label smudges.
extendStationPhysics(LABELER, (card, job) => {
  if (job.kind !== 'laser') throw new Error('labeler: not a print job');
  const label = job.sides[0]!.data;
  const printed = card.seq % 5 === 0 ? Buffer.concat([label, Buffer.from('~')]) : label;
  return { result: RESULT_CODES.Good, data: { v: 1, kind: 'laser', engravedSha256: sha256(printed) }, left: false };
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cardline-kind-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('a station kind added from a table entry', () => {
  it('takes its place in the route between QA and the output (the packer, a built-in kind, comes after the output)', () => {
    expect(stationKinds()).toStrictEqual(['feeder', 'encoder', 'laser', 'qa', 'labeler', 'output', 'packer']);
  });

  it('runs every card through the label printer; a misprinted label sends the card to the reject bin and its record is re-made', async () => {
    const dir = await tempDir();
    const ctx: AppContext = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
    cleanups.push(() => ctx.close());
    const count = 16;
    const sample = await writeSample({ count, seed: 'kind', outDir: path.join(dir, 'in'), portraitPool: 3 });
    const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 't', today: { year: 2026, month: 11, day: 27 } });
    const { source: _source, ...base } = testLine({ id: 'kind', heads: 2, initialBlanks: count * 3, timeScale: 1000, heartbeatMs: 50 });
    const labeler = { id: 'labeler', kind: LABELER, transport: 'opcua', cycle: { meanMs: 100, distribution: 'fixed' } };
    const line = parseLineConfig({ ...base, stations: [...base.stations, labeler] }, 'label-line.yaml');
    expect(stationUnits(line).map((u) => u.unitId)).toContain('labeler');

    const sim = SimLine.open({ line, dataDir: ctx.dataDir });
    cleanups.push(() => Promise.resolve(sim.stop()));
    const links = memoryLinks(sim);
    await connectLinks(links);
    cleanups.push(() => closeLinks(links));
    const store = new LineStore(ctx.db, line.id);
    const controller = new LineController(line, links, store, new TestPreparer(ctx.batches), testJudge, { actor: 't', wip: 8, autoRecover: true, recoverAfterMs: 50 });
    const outcome = await controller.run(imported.batchId, { resume: false, status: 'imported' });
    sim.stop();

    expect(outcome.status).toBe('completed');
    const report = await checkInvariants({ db: ctx.db, batches: ctx.batches, dataDir: ctx.dataDir, batchId: imported.batchId });
    expect(report.violations).toStrictEqual([]);
    expect(report.produced + report.failed).toBe(imported.accepted);

    // Every stacked card passed the label printer, and its label was judged good.
    const ledger = await readLedger(ledgerFile(ctx.dataDir));
    const labelled = new Set(ledger.flatMap((e) => (e.ev === 'entered' && e.unit === 'labeler' ? [e.card] : [])));
    const stacked = ledger.flatMap((e) => (e.ev === 'stacked' ? [e.card] : []));
    expect(stacked).toHaveLength(report.produced);
    for (const serial of stacked) expect(labelled.has(serial), serial).toBe(true);
    const events: { card_serial: string; event: string; reason: string | null }[] = await ctx.db('card_events').where({ batch_id: imported.batchId }).whereIn('event', ['labeler.passed', 'labeler.failed']).select('card_serial', 'event', 'reason');
    const passed = new Set(events.filter((e) => e.event === 'labeler.passed').map((e) => e.card_serial));
    for (const serial of stacked) expect(passed.has(serial), serial).toBe(true);

    // The smudged labels: judged, rejected with their reason, in the simulator's reject bin, re-made.
    const misprinted = events.filter((e) => e.event === 'labeler.failed');
    expect(misprinted.length).toBeGreaterThan(0);
    const spoiled: { card_serial: string; reason: string }[] = await ctx.db('spoil_log').where({ batch_id: imported.batchId }).select('card_serial', 'reason');
    for (const m of misprinted) {
      expect(m.reason).toBe('PRINT_GRADE_LOW');
      expect(spoiled.find((s) => s.card_serial === m.card_serial)?.reason).toBe('PRINT_GRADE_LOW');
      expect(stacked).not.toContain(m.card_serial);
    }
    expect(report.ledger.rejectBin.length).toBe(report.spoiled);
  }, 120_000);

  it('an unknown kind in a line file is a config error naming the file, the line and the key', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'bad.yaml');
    const { source: _source, ...base } = testLine({ id: 'bad' });
    const stations = base.stations.map((s) => ({ id: s.id, kind: s.kind, transport: s.transport, cycle: { meanMs: 100 } }));
    const yaml = [
      'id: bad',
      'simulation: { opcua: { port: 4840 } }',
      'opcuaSecurity: { mode: None, policy: None }',
      'stations:',
      ...stations.map((s) => `  - { id: ${s.id}, kind: ${s.kind}, transport: opcua, cycle: { meanMs: 100 } }`),
      '  - id: wrapper',
      '    kind: shrink-wrapper',
      '    transport: opcua',
      '    cycle: { meanMs: 100 }',
    ].join('\n');
    await writeFile(file, yaml);
    await expect(loadLineConfig(file)).rejects.toThrow(/bad\.yaml line 11: stations\[5\]\.kind: unknown station kind "shrink-wrapper"; kinds: feeder, encoder, laser, qa, labeler, output/);
  });

  it('a kind outside the table is a type error', () => {
    // @ts-expect-error -- 'shrink-wrapper' is not a key of the station-kind table
    const kind: StationKind = 'shrink-wrapper';
    expect(stationKinds()).not.toContain(kind);
  });
});

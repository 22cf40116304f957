/**
 * The line controller on the in-process simulator (StationLinks straight on the units' tag stores,
 * no sockets), with a real SQLite store: a batch runs to completion with failures at every
 * station; judged against the simulator's ledger.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { summarizeLedger, ledgerFile } from '../simulators/ledger.ts';
import { SimLine } from '../simulators/sim-line.ts';
import { testLine } from '../simulators/testing/test-line.ts';
import { openContext, type AppContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';
import { LineController } from '../src/line/controller.ts';
import { HandshakeLink } from '../src/plc/handshake-link.ts';
import { MemoryTransport } from '../src/plc/memory-transport.ts';
import type { StationLink } from '../src/plc/station-link.ts';
import { writeSample } from '../src/sample/generate.ts';
import { LineStore } from '../src/store/line-store.ts';
import { TestPreparer, testJudge } from './helpers/test-preparer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(count: number, failures: NonNullable<Parameters<typeof testLine>[0]>['failures'] = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'cardline-ctl-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const ctx: AppContext = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
  cleanups.push(() => ctx.close());
  const sample = await writeSample({ count, seed: 'ctl', outDir: path.join(dir, 'in'), portraitPool: 5 });
  const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 't', today: { year: 2026, month: 11, day: 27 } });
  const line = testLine({ id: 'ctl', heads: 3, initialBlanks: count * 3, timeScale: 1000, heartbeatMs: 50, failures });
  const sim = SimLine.open({ line, dataDir: ctx.dataDir });
  cleanups.push(() => Promise.resolve(sim.stop()));
  const links = new Map<string, StationLink>();
  for (const unitId of sim.stores.keys()) links.set(unitId, new HandshakeLink(unitId, new MemoryTransport(sim.store(unitId)), { heartbeatMs: 2000 }));
  await Promise.all([...links.values()].map((l) => l.connect()));
  cleanups.push(async () => {
    for (const l of links.values()) await l.close();
  });
  const store = new LineStore(ctx.db, line.id);
  return { ctx, sim, line, links, store, batchId: imported.batchId, accepted: imported.accepted };
}

describe('LineController on the in-process simulator', () => {
  it('produces every record once with failures at every station, and the ledger agrees', async () => {
    const { ctx, sim, line, links, store, batchId, accepted } = await setup(60, {
      feeder: { blankDefect: 0.05 },
      encoder: { chipWriteFailure: 0.04, emptyChipWrite: 0.04, partialChipWrite: 0.03 },
      laser: { misregistration: 0.04 },
      qa: { ocrMismatch: 0.04 },
    });
    const controller = new LineController(line, links, store, new TestPreparer(ctx.batches), testJudge, { actor: 't', wip: 10, autoRecover: true, recoverAfterMs: 50 });
    const outcome = await controller.run(batchId, { resume: false, status: 'imported' });
    expect(outcome.status).toBe('completed');
    const accounting = await store.accounting(batchId);
    expect(accounting.records.total).toBe(accepted);
    expect(accounting.records.produced + accounting.records.failed).toBe(accepted);
    expect(accounting.records.pending).toBe(0);
    expect(accounting.cards.blanksConsumed).toBe(accounting.cards.good + accounting.cards.spoiled);
    expect(accounting.cards.inLine).toBe(0);

    const ledger = await summarizeLedger(ledgerFile(ctx.dataDir));
    expect(ledger.stacker).toHaveLength(accounting.records.produced);
    expect(ledger.inMachine).toStrictEqual([]);
    // Every stacked card carries its own record's DG1, and no two records share one.
    const records = await store.records(batchId);
    const bySerial = new Map(ledger.stacker.map((c) => [c.cardSerial, c.dg1Mrz]));
    const preparer = new TestPreparer(ctx.batches);
    for (const r of records.filter((x) => x.status === 'produced')) {
      const expected = (await preparer.prepare(batchId, r.seq)).mrz.join('');
      expect(bySerial.get(r.cardSerial!)).toBe(expected);
    }
    expect(accounting.cards.spoiled).toBeGreaterThan(0);
    expect(ledger.rejectBin.length).toBe(accounting.cards.spoiled);
    sim.stop();
  }, 120_000);
});

/**
 * A line ending in a packer (station kind `packer`, after the output), in process over the memory
 * transport: every good card lands in exactly one delivery pack of its record's office, the packs of
 * an office are full except remainders and one last pack, every pack closes, the simulator's ledger
 * holds exactly the packs `cardline pack list` would show — and an inspector's reject after packing
 * takes the card out of its pack, whose re-made card fills it again (manifest v2).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimLine } from '../simulators/sim-line.ts';
import { testLine } from '../simulators/testing/test-line.ts';
import { openContext, type AppContext } from '../src/cli/context.ts';
import { parseLineConfig, type LineConfig } from '../src/config/line-config.ts';
import { importBatch } from '../src/import/importer.ts';
import { inspectorReject } from '../src/line/batch-actions.ts';
import { LineController } from '../src/line/controller.ts';
import { writeSample } from '../src/sample/generate.ts';
import { LineStore } from '../src/store/line-store.ts';
import { checkInvariants } from './helpers/invariants.ts';
import { closeLinks, connectLinks, memoryLinks } from './helpers/memory-links.ts';
import { checkPacks } from './helpers/packs.ts';
import { TestPreparer, testJudge } from './helpers/test-preparer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function packerLine(id: string, packer: { packPockets: number; packSize: number }, failures = true): LineConfig {
  const { source: _source, ...base } = testLine({
    id,
    heads: 2,
    initialBlanks: 400,
    // A station waits 30 s (simulated) for a card's job: 300 ms here, room for a loaded test machine.
    timeScale: 100,
    heartbeatMs: 50,
    failures: failures ? { feeder: { blankDefect: 0.03 }, encoder: { chipWriteFailure: 0.04, emptyChipWrite: 0.02 }, laser: { misregistration: 0.03 }, qa: { ocrMismatch: 0.03 } } : {},
  });
  const station = { id: 'packer', kind: 'packer', transport: 'opcua', cycle: { meanMs: 100, distribution: 'fixed' }, failures: failures ? { jam: 0.02 } : {}, ...packer };
  return parseLineConfig({ ...base, stations: [...base.stations, station] }, `${id}.yaml`);
}

async function runLine(line: LineConfig, count: number, seed: string, ctx?: AppContext, batchId?: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'cardline-packer-line-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  if (!ctx) {
    ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
    const c = ctx;
    cleanups.push(() => c.close());
  }
  if (!batchId) {
    const sample = await writeSample({ count, seed, outDir: path.join(dir, 'in'), portraitPool: 3 });
    batchId = (await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 't', today: { year: 2026, month: 11, day: 27 } })).batchId;
  }
  const sim = SimLine.open({ line, dataDir: ctx.dataDir });
  const links = memoryLinks(sim);
  await connectLinks(links);
  const store = new LineStore(ctx.db, line.id);
  const controller = new LineController(line, links, store, new TestPreparer(ctx.batches), testJudge, { actor: 't', wip: 10, autoRecover: true, recoverAfterMs: 50 });
  const outcome = await controller.run(batchId, { resume: false, status: (await ctx.batches.getBatch(batchId))!.status as 'imported' });
  await closeLinks(links);
  return { ctx, batchId, outcome, sim, store };
}

describe('a line with a packer', () => {
  it('packs every good card into one pack of its office; packs close full, as remainders or last; the ledger agrees with pack list', async () => {
    const line = packerLine('packer-a', { packPockets: 3, packSize: 4 });
    const { ctx, batchId, outcome, sim, store } = await runLine(line, 60, 'packer-a');
    sim.model.unloadPacks();
    sim.stop();
    expect(outcome.status).toBe('completed');
    expect(outcome.progress.packsClosed).toBeGreaterThan(0);
    const invariants = await checkInvariants({ db: ctx.db, batches: ctx.batches, dataDir: ctx.dataDir, batchId });
    expect(invariants.violations).toStrictEqual([]);
    const packs = await checkPacks({ store, dataDir: ctx.dataDir, batchId, packSize: 4 });
    expect(packs.violations).toStrictEqual([]);
    expect(packs.cards).toBe(invariants.produced);
    expect(packs.remainders).toBeGreaterThan(0);
    expect(invariants.spoiled).toBeGreaterThan(0);
  }, 180_000);

  it('an inspector’s reject after packing reopens the pack; the re-made card fills it; the manifest goes to version 2', async () => {
    const line = packerLine('packer-b', { packPockets: 8, packSize: 3 }, false);
    const first = await runLine(line, 9, 'packer-b');
    expect(first.outcome.status).toBe('completed');
    const before = await first.store.packs.packs(first.batchId);
    const full = before.find((p) => p.cards.length === 3)!;
    const out = full.cards[1]!;
    // The inspector takes the card out of its pack (physically too), then the batch runs again.
    expect(first.sim.model.removeFromPack(out.cardSerial, 'INSPECTOR_REJECT')).toBe(true);
    first.sim.stop();
    await inspectorReject(first.store, out.cardSerial, { reason: 'INSPECTOR_REJECT', by: 'inspector' });
    expect(await first.store.packs.pack(full.packId)).toMatchObject({ closed: false, manifestVersion: 1, removed: [{ cardSerial: out.cardSerial, seq: out.seq, reason: 'INSPECTOR_REJECT' }] });

    const second = await runLine(line, 9, 'packer-b', first.ctx, first.batchId);
    second.sim.model.unloadPacks();
    second.sim.stop();
    expect(second.outcome.status).toBe('completed');
    const after = await second.store.packs.pack(full.packId);
    expect(after).toMatchObject({ closed: true, manifestVersion: 2 });
    expect(after!.cards).toHaveLength(3);
    expect(after!.cards.map((c) => c.seq)).toContain(out.seq);
    expect(after!.cards.map((c) => c.cardSerial)).not.toContain(out.cardSerial);
    const invariants = await checkInvariants({ db: first.ctx.db, batches: first.ctx.batches, dataDir: first.ctx.dataDir, batchId: first.batchId });
    expect(invariants.violations).toStrictEqual([]);
    expect((await checkPacks({ store: second.store, dataDir: first.ctx.dataDir, batchId: first.batchId, packSize: 3 })).violations).toStrictEqual([]);
  }, 180_000);
});

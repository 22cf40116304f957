/**
 * The line controller on the in-process simulator (StationLinks straight on the units' tag stores,
 * no sockets), with a real SQLite store: a batch runs to completion with failures at every
 * station; judged against the simulator's ledger. An inspector's reject of a stacked card during the
 * run reaches the running controller, which re-makes the record first in the feed queue.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dg1Digest, summarizeLedger, ledgerFile } from '../simulators/ledger.ts';
import { SimLine } from '../simulators/sim-line.ts';
import { testLine } from '../simulators/testing/test-line.ts';
import { openContext, type AppContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';
import { LineController, type RunningReject } from '../src/line/controller.ts';
import { writeSample } from '../src/sample/generate.ts';
import { LineStore } from '../src/store/line-store.ts';
import { closeLinks, connectLinks, memoryLinks } from './helpers/memory-links.ts';
import { TestPreparer, testJudge } from './helpers/test-preparer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(count: number, failures: NonNullable<Parameters<typeof testLine>[0]>['failures'] = {}, timeScale = 1000) {
  const dir = await mkdtemp(path.join(tmpdir(), 'cardline-ctl-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const ctx: AppContext = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
  cleanups.push(() => ctx.close());
  const sample = await writeSample({ count, seed: 'ctl', outDir: path.join(dir, 'in'), portraitPool: 5 });
  const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 't', today: { year: 2026, month: 11, day: 27 } });
  const line = testLine({ id: 'ctl', heads: 3, initialBlanks: count * 3, timeScale, heartbeatMs: 50, failures });
  const sim = SimLine.open({ line, dataDir: ctx.dataDir });
  cleanups.push(() => Promise.resolve(sim.stop()));
  const links = memoryLinks(sim);
  await connectLinks(links);
  cleanups.push(() => closeLinks(links));
  const store = new LineStore(ctx.db, line.id);
  return { ctx, sim, line, links, store, batchId: imported.batchId, accepted: imported.accepted };
}

describe('LineController on the in-process simulator', () => {
  it('re-makes a card an inspector rejects during the run first in the feed queue, without stopping the line', async () => {
    // A slower line than the other tests': no station may give up waiting for a job (NO_JOB_IN_TIME) on a loaded machine.
    const { ctx, sim, line, links, store, batchId, accepted } = await setup(40, {}, 100);
    const controller = new LineController(line, links, store, new TestPreparer(ctx.batches), testJudge, { actor: 't', wip: 8, autoRecover: true, recoverAfterMs: 50 });
    // The feeds in the order they were committed, and the inspector's reject of the first stacked card.
    const fed: { serial: string; seq: number; attempt: number }[] = [];
    let victim: { serial: string; seq: number } | undefined;
    let rejected: Promise<RunningReject> | undefined;
    /** Feeds committed before the reject's commit (the re-make is queued just before it). */
    let fedBeforeReject = -1;
    store.journal.addCommitListener((ops) => {
      for (const op of ops) {
        if (op.op === 'card.fed') fed.push({ serial: op.cardSerial, seq: op.seq, attempt: op.attempt });
        if (op.op === 'card.ended' && op.status === 'spoiled' && op.cardSerial === victim?.serial) fedBeforeReject = fed.length;
        if (op.op === 'card.ended' && op.status === 'good' && !victim) {
          victim = { serial: op.cardSerial, seq: fed.find((f) => f.serial === op.cardSerial)!.seq };
          rejected = controller.inspectorReject(op.cardSerial, { reason: 'INSPECTOR_REJECT', by: 'inspector', note: 'scratched' });
        }
      }
    });
    const outcome = await controller.run(batchId, { resume: false, status: 'imported' });
    expect(outcome.status).toBe('completed');
    expect(await rejected).toStrictEqual({ batchId, seq: victim!.seq, record: 'queued for re-make' });

    const accounting = await store.accounting(batchId);
    expect(accounting.records).toMatchObject({ total: accepted, produced: accepted, failed: 0, pending: 0 });
    expect(accounting.cards).toMatchObject({ blanksConsumed: accepted + 1, good: accepted, spoiled: 1, inLine: 0 });
    expect(await store.card(victim!.serial)).toMatchObject({ status: 'spoiled', reason: 'INSPECTOR_REJECT' });
    const record = (await store.records(batchId)).find((r) => r.seq === victim!.seq)!;
    expect(record).toMatchObject({ status: 'produced', attempts: 2 });
    expect(record.cardSerial).not.toBe(victim!.serial);
    // First in the queue: after the reject, only the feeds already under way when it was queued (the
    // feeder's card in work and the next one staged at its infeed) go before the re-make.
    const remadeAt = fed.findIndex((f) => f.seq === victim!.seq && f.attempt === 2);
    expect(fedBeforeReject).toBeGreaterThan(0);
    expect(remadeAt).toBeGreaterThanOrEqual(fedBeforeReject);
    expect(remadeAt - fedBeforeReject).toBeLessThanOrEqual(2);
    // The ledger: the stacker holds every good card and the one the inspector took out; the reject bin none.
    const ledger = await summarizeLedger(ledgerFile(ctx.dataDir));
    const good = (await store.batchCards(batchId)).filter((c) => c.status === 'good').map((c) => c.cardSerial);
    expect(ledger.stacker.map((c) => c.cardSerial).sort()).toStrictEqual([...good, victim!.serial].sort());
    expect(ledger.rejectBin).toStrictEqual([]);
    const audit: { actor: string }[] = await ctx.db('audit_log').where({ action: 'qa.reject', subject_id: victim!.serial }).select('actor');
    expect(audit).toStrictEqual([{ actor: 'inspector' }]);
    // A controller whose run has ended takes no reject (the store's path does), and a reason must be a code.
    await expect(controller.inspectorReject(record.cardSerial!, { reason: 'INSPECTOR_REJECT', by: 'inspector' })).rejects.toThrow(/is ending on line .*: reject card .* once the run has ended/);
    await expect(controller.inspectorReject(record.cardSerial!, { reason: 'SCRATCHED', by: 'inspector' })).rejects.toThrow(/--reason SCRATCHED is not a reason code/);
    expect(await store.card(record.cardSerial!)).toMatchObject({ status: 'good' });
    sim.stop();
  }, 120_000);

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
    const bySerial = new Map(ledger.stacker.map((c) => [c.cardSerial, c.dg1Digest]));
    const preparer = new TestPreparer(ctx.batches);
    for (const r of records.filter((x) => x.status === 'produced')) {
      const expected = dg1Digest((await preparer.prepare(batchId, r.seq)).mrz);
      expect(bySerial.get(r.cardSerial!)).toBe(expected);
    }
    expect(accounting.cards.spoiled).toBeGreaterThan(0);
    expect(ledger.rejectBin.length).toBe(accounting.cards.spoiled);
    sim.stop();
  }, 120_000);

  it('relinquishes a line it no longer holds without touching it, and a resumed run completes the batch', async () => {
    // Time scale 10: a 100 ms cycle takes 10 ms, the stations' 30 s no-job timeout 3 s.
    const { ctx, sim, line, links, store, batchId, accepted } = await setup(30, {}, 10);
    const first = new LineController(line, links, store, new TestPreparer(ctx.batches), testJudge, { actor: 't', wip: 10 });
    const running = first.run(batchId, { resume: false, status: 'imported' });
    running.catch(() => undefined);
    while (first.progress().good < 5 || first.progress().inLine < 3) await new Promise((resolve) => setTimeout(resolve, 2));
    first.relinquish(new Error('line ctl was taken over'));
    await expect(running).rejects.toThrow('line ctl was taken over');
    // The operator's keys reach a controller that no longer drives the line: they change nothing.
    expect(first.pause()).toBe(false);
    first.abort('cancel');
    await store.journal.settled();
    await new Promise((resolve) => setTimeout(resolve, 20));

    // From now on nobody drives the line: no job, acknowledgement or command reaches a PLC.
    const orders: string[] = [];
    const offs = [...sim.stores].map(([unitId, tags]) =>
      tags.onChange((changes, by) => {
        if (by === 'host' && (changes.JobReady === true || changes.DoneAck === true || changes.CmdChangeRequest === true)) orders.push(`${unitId}: ${JSON.stringify(changes)}`);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const off of offs) off();
    expect(orders).toStrictEqual([]);
    // The cards it was working on are left in the line, not sent to the reject bin; the batch runs on.
    const left = await store.accounting(batchId);
    expect(left.cards.inLine).toBeGreaterThan(0);
    expect(left.records.cancelled).toBe(0);
    expect((await store.spoilLog(batchId)).filter((s) => s.reason === 'LINE_ABORTED')).toStrictEqual([]);
    expect((await ctx.batches.getBatch(batchId))?.status).toBe('running');
    const unacknowledged = [...sim.stores.values()].filter((t) => t.get('Done') && !t.get('DoneAck'));
    expect(unacknowledged.length).toBeGreaterThan(0);

    // The controller that takes the line over (its own process, its own links) resumes the batch:
    // every record ends, and the ledger agrees.
    await closeLinks(links);
    const links2 = memoryLinks(sim);
    cleanups.push(() => closeLinks(links2));
    const second = new LineController(line, links2, store, new TestPreparer(ctx.batches), testJudge, {
      actor: 't',
      wip: 10,
      autoRecover: true,
      recoverAfterMs: 50,
      // Connected once it listens, as `cardline run` does: the results the PLCs kept are reported then.
      connect: (_unitId, link) => link.connect(),
    });
    const outcome = await second.run(batchId, { resume: true, status: 'running' });
    expect(outcome.status).toBe('completed');
    const accounting = await store.accounting(batchId);
    expect(accounting.records.produced + accounting.records.failed).toBe(accepted);
    expect(accounting.cards.inLine).toBe(0);
    expect(accounting.cards.blanksConsumed).toBe(accounting.cards.good + accounting.cards.spoiled);
    const ledger = await summarizeLedger(ledgerFile(ctx.dataDir));
    expect(ledger.stacker).toHaveLength(accounting.records.produced);
    expect(new Set(ledger.stacker.map((c) => c.dg1Digest)).size).toBe(ledger.stacker.length);
    expect(ledger.rejectBin.length).toBe(accounting.cards.spoiled);
    sim.stop();
  }, 120_000);
});

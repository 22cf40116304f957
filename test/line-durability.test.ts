/**
 * Persisted before acknowledged, traced: on a real line (the in-process simulator, a real SQLite or
 * PostgreSQL store) every DoneAck the PLCs receive comes after the commit holding that job's result
 * is done — and a commit is done only once synced, on every connection the controller's store opens
 * (SQLite synchronous FULL/EXTRA, PostgreSQL synchronous_commit on). An acknowledgement sent before
 * its commit, or a result committed in a later group than its ack, fails the trace.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimLine } from '../simulators/sim-line.ts';
import { testLine } from '../simulators/testing/test-line.ts';
import { openContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';
import { LineController } from '../src/line/controller.ts';
import { HandshakeLink } from '../src/plc/handshake-link.ts';
import { MemoryTransport } from '../src/plc/memory-transport.ts';
import type { StationLink } from '../src/plc/station-link.ts';
import { writeSample } from '../src/sample/generate.ts';
import { LineStore } from '../src/store/line-store.ts';
import { createTempPgDatabase } from './helpers/pg.ts';
import { TestPreparer, testJudge } from './helpers/test-preparer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(['sqlite', 'postgres'] as const)('DoneAck after the synced commit on %s', (backend) => {
  it('every acknowledgement follows the commit of its result, and every connection syncs its commits', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cardline-durable-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    let url = '';
    if (backend === 'postgres') {
      const pg = await createTempPgDatabase();
      cleanups.push(() => pg.drop());
      url = pg.url;
    }
    const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: url });
    cleanups.push(() => ctx.close());
    const sample = await writeSample({ count: 12, seed: 'durable', outDir: path.join(dir, 'in'), portraitPool: 3 });
    const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 't', today: { year: 2026, month: 11, day: 27 } });
    const line = testLine({ id: `durable-${backend}`, heads: 3, initialBlanks: 40, timeScale: 1000, heartbeatMs: 50, failures: { encoder: { chipWriteFailure: 0.1 } } });
    const sim = SimLine.open({ line, dataDir: ctx.dataDir });
    cleanups.push(() => Promise.resolve(sim.stop()));

    // One clock for both sides of the trace: the journal's finished commits and the PLCs' DoneAck writes.
    let tick = 0;
    // A unit's results are keyed by job id, and job id 0 (a card that got no job in time) recurs:
    // each key keeps its commits in order, and each acknowledgement takes the first one left.
    const committedAt = new Map<string, number[]>();
    const acks: { key: string; at: number }[] = [];
    const links = new Map<string, StationLink>();
    for (const [unitId, tags] of sim.stores) {
      tags.onChange((changes, by) => {
        if (by === 'host' && changes.DoneAck === true) acks.push({ key: `${unitId}#${tags.get('ResultJobId')}`, at: ++tick });
      });
      links.set(unitId, new HandshakeLink(unitId, new MemoryTransport(tags), { heartbeatMs: 2000 }));
    }
    await Promise.all([...links.values()].map((l) => l.connect()));
    cleanups.push(async () => {
      for (const l of links.values()) await l.close();
    });
    const store = new LineStore(ctx.db, line.id);
    store.journal.onCommitted = (ops) => {
      const at = ++tick;
      for (const op of ops) {
        if (op.op === 'event' && op.event.endsWith('.done') && op.unit) {
          const key = `${op.unit}#${String(op.detail?.['jobId'])}`;
          committedAt.set(key, [...(committedAt.get(key) ?? []), at]);
        }
      }
    };

    const controller = new LineController(line, links, store, new TestPreparer(ctx.batches), testJudge, { actor: 't', wip: 6, autoRecover: true, recoverAfterMs: 50 });
    const outcome = await controller.run(imported.batchId, { resume: false, status: 'imported' });
    expect(outcome.status).toBe('completed');

    // Feeder, three head visits at most, laser, QA, output: several acknowledgements a card.
    expect(acks.length).toBeGreaterThanOrEqual(imported.accepted * 4);
    const early = acks.filter((a) => {
      const commit = committedAt.get(a.key)?.shift();
      return commit === undefined || !(commit < a.at);
    });
    expect(early, 'DoneAck written before (or without) the commit of its result').toStrictEqual([]);

    // The connections the controller's store used: every one syncs its commits.
    if (backend === 'sqlite') {
      const rows = await ctx.db.raw<{ synchronous: number }[]>('PRAGMA synchronous');
      expect([2, 3]).toContain(rows[0]!.synchronous);
    } else {
      const ids = new Set<number>();
      const settings = await Promise.all(
        Array.from({ length: 10 }, () =>
          ctx.db.transaction(async (trx) => {
            const r = await trx.raw<{ rows: { s: string; pid: number }[] }>("select current_setting('synchronous_commit') as s, pg_backend_pid() as pid, pg_sleep(0.05)");
            ids.add(r.rows[0]!.pid);
            return r.rows[0]!.s;
          }),
        ),
      );
      expect(ids.size).toBe(10);
      expect(new Set(settings)).toStrictEqual(new Set(['on']));
    }
  }, 120_000);
});

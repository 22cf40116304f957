/**
 * The site runtime over a real simulated line (OPC UA over loopback) and a real SQLite store: the
 * line starts idle with its stations watched; queue changes are persisted, audited with the user
 * and published; a batch starts from the queue, pauses, resumes and completes; refusals name the
 * reason; the observers see the line's links and its committed journal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthUser } from '../src/auth/session.ts';
import { SiteRequestError, type ObservedLine } from '../src/site/runtime.ts';
import type { RunEnd } from '../src/site/line-agent.ts';
import type { JournalOp } from '../src/store/line-store.ts';
import { siteFixture, until, type SiteFixture } from './helpers/site.ts';

const op: AuthUser = { name: 'op-anh', role: 'operator' };
let fx: SiteFixture;

beforeAll(async () => {
  fx = await siteFixture('site');
}, 30_000);
afterAll(async () => {
  await fx.cleanup();
});

async function refusal(p: Promise<unknown>): Promise<SiteRequestError> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SiteRequestError);
  return error as SiteRequestError;
}

describe('a site of one simulated line', () => {
  it('queues, starts, pauses, resumes and completes a batch; every change audited and published', async () => {
    const a = await fx.importSample(6, 'site-a');
    const b = await fx.importSample(8, 'site-b');
    const attached: ObservedLine[] = [];
    const committed: JournalOp[] = [];
    const ends: RunEnd[] = [];
    const { site, events } = fx.site({
      observers: [
        {
          attach: (line) => {
            attached.push(line);
            return line.onCommitted((ops) => committed.push(...ops));
          },
        },
      ],
      onRunEnded: (_lineId, end) => ends.push(end),
    });
    const lineId = 'site-line';
    try {
      await site.open();
      expect(attached.map((l) => l.lineId)).toEqual([lineId]);
      expect([...attached[0]!.links.keys()]).toEqual(['feeder', 'encoder.1', 'laser', 'qa', 'output']);
      const idle = await site.line(lineId);
      expect(idle).toMatchObject({ id: lineId, phase: 'idle', simulated: true, batch: null, queue: [] });
      expect(idle.drivenBy).toMatch(/this server/);
      // The links connect at once: the stations show while the line is idle.
      await until('every unit connected', async () => (await site.line(lineId)).stations.every((s) => s.units.every((u) => u.connected && u.state !== 'unknown')));
      const shown = await site.line(lineId);
      expect(shown.stations.map((s) => s.kind)).toEqual(['feeder', 'encoder', 'laser', 'qa', 'output']);
      expect(shown.stations[0]!.units[0]!.heartbeatAgeMs).not.toBeNull();
      expect(shown.stock.blanksAvailable).toBeGreaterThanOrEqual(0);

      // The queue: persisted, in order, refusals by reason.
      expect(await site.enqueue(lineId, a, op)).toEqual([a]);
      expect(await site.enqueue(lineId, b, op)).toEqual([a, b]);
      expect(await site.reorder(lineId, [b, a], op)).toEqual([b, a]);
      expect((await refusal(site.enqueue(lineId, a, op))).status).toBe(409);
      expect((await refusal(site.enqueue(lineId, 'nope', op))).status).toBe(404);
      expect((await refusal(site.enqueue('no-line', a, op))).status).toBe(404);
      expect((await refusal(site.reorder(lineId, [a], op))).status).toBe(422);
      expect(await site.dequeue(lineId, a, op)).toEqual([b]);
      expect((await refusal(site.dequeue(lineId, a, op))).status).toBe(404);
      expect((await site.line(lineId)).queue).toEqual([b]);
      expect((await refusal(site.pause(lineId, op))).message).toMatch(/line site-line is idle: only a running line can pause/);

      // Start takes the first queued batch off the queue.
      const started = await site.start(lineId, {}, op);
      expect(started.batchId).toBe(b);
      expect((await site.line(lineId)).queue).toEqual([]);
      expect((await refusal(site.start(lineId, { batchId: a }, op))).message).toMatch(new RegExp(`line site-line is running with batch ${b}: one batch at a time`));
      await until('two good cards', () => (site.agent(lineId).progress()?.good ?? 0) >= 2);
      await site.pause(lineId, op);
      expect((await site.line(lineId)).phase).toBe('paused');
      expect((await refusal(site.pause(lineId, op))).status).toBe(409);
      await site.resume(lineId, op);
      await until('the batch completed', () => ends.length === 1);
      expect(ends[0]).toMatchObject({ batchId: b, outcome: 'completed' });
      const view = await site.line(lineId);
      expect(view.phase).toBe('idle');
      expect(view.batch).toBeNull();
      expect((await fx.ctx.batches.getBatch(b))?.status).toMatch(/completed|reconciled/);

      // What the observers saw: the journal's commits for this batch, card steps among them.
      expect(committed.some((o) => o.op === 'card.fed')).toBe(true);
      expect(committed.some((o) => o.op === 'batch.status')).toBe(true);

      // Events: queue changes and batch changes, with the user for operator acts; never personal data.
      const types = events.map((e) => (e.type === 'batch' ? `batch:${e.status}${e.by ? `:${e.by}` : ''}` : e.type));
      expect(types).toEqual(['queue', 'queue', 'queue', 'queue', 'queue', 'batch:running:op-anh', 'batch:paused:op-anh', 'batch:running:op-anh', 'batch:completed']);

      // The audit log names the operator for every change.
      const audit = await fx.ctx.db('audit_log').where({ subject_id: lineId }).orderBy('id').select('action', 'actor');
      // The run's own entries (the simulated magazine's first load) are the operator's too.
      expect(audit.map((r: { action: string }) => r.action)).toEqual(['line.enqueue', 'line.enqueue', 'line.reorder', 'line.dequeue', 'stock.loaded', 'line.start', 'line.pause', 'line.resume']);
      expect(new Set(audit.map((r: { actor: string }) => r.actor))).toEqual(new Set(['op-anh']));

      // A second batch on the same session: the links stayed connected between batches.
      await site.enqueue(lineId, a, op);
      await site.start(lineId, {}, op);
      await until('the second batch completed', () => ends.length === 2);
      expect(ends[1]).toMatchObject({ batchId: a, outcome: 'completed' });
    } finally {
      await site.stop();
    }
    // Stopped: the lease is free for another controller.
    expect(await fx.ctx.db('line_leases').where({ line_id: lineId }).first()).toBeUndefined();
  }, 60_000);
});

/**
 * Issue 16's planned restart: stop() drains the line (no more blanks fed, the cards inside finish),
 * pauses it at a point where no card is half-acknowledged, leaves the batch paused and releases the
 * lease; a new Site over the same store starts it with resume and completes it without making any
 * card suspect (only a crash does, test/line-hard-quit.test.ts), and the batch balances.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthUser } from '../src/auth/session.ts';
import { shownStatus } from '../src/line/batch-actions.ts';
import type { RunEnd } from '../src/site/line-agent.ts';
import { LineLease } from '../src/store/line-lease.ts';
import { LineStore } from '../src/store/line-store.ts';
import { siteFixture, until, type SiteFixture } from './helpers/site.ts';

const op: AuthUser = { name: 'op-binh', role: 'operator' };
let fx: SiteFixture;

beforeAll(async () => {
  fx = await siteFixture('stop', { timeScale: 10 });
}, 30_000);
afterAll(async () => {
  await fx.cleanup();
});

describe('a planned stop of the site', () => {
  it('leaves the batch paused with no card in the line; a resumed start completes it with no card suspect', async () => {
    const lineId = 'stop-line';
    const batchId = await fx.importSample(14, 'stop');
    const ends: RunEnd[] = [];
    const { site } = fx.site({ onRunEnded: (_l, end) => ends.push(end) });
    await site.open();
    await site.enqueue(lineId, batchId, op);
    await site.start(lineId, {}, op);
    await until('three good cards', () => (site.agent(lineId).progress()?.good ?? 0) >= 3);
    const inLineAtStop = site.agent(lineId).progress()!.inLine;
    expect(inLineAtStop, 'cards were in the line when the stop came').toBeGreaterThan(0);
    await site.stop();

    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ batchId, outcome: 'stopped' });
    const store = new LineStore(fx.ctx.db, lineId);
    expect((await fx.ctx.batches.getBatch(batchId))?.status).toBe('paused');
    const paused = await store.accounting(batchId);
    expect(paused.cards.inLine).toBe(0);
    expect(paused.records.pending).toBeGreaterThan(0);
    expect(await LineLease.holder(fx.ctx.db, lineId)).toBeUndefined();
    // No server holds it: `batch show` says interrupted, and resume continues it.
    expect(await shownStatus(fx.ctx.db, { id: batchId, status: 'paused' })).toBe('interrupted');

    // The server comes back (a new Site: new session, new simulator, same store).
    const again = fx.site({ onRunEnded: (_l, end) => ends.push(end) });
    await again.site.open();
    try {
      const refused = await again.site.start(lineId, { batchId }, op).then(() => undefined, (e: unknown) => e as Error);
      expect(refused?.message).toMatch(new RegExp(`batch ${batchId} is paused: a previous run did not finish; continue it with resume`));
      await again.site.start(lineId, { batchId, resume: true }, op);
      await until('the batch completed', () => ends.length === 2, 45_000);
      expect(ends[1], ends[1]?.error?.stack).toMatchObject({ batchId, outcome: 'completed' });
    } finally {
      await again.site.stop();
    }
    const done = await store.accounting(batchId);
    expect(done.records).toMatchObject({ total: 14, pending: 0 });
    expect(done.cards.inLine).toBe(0);
    expect(done.cards.blanksConsumed).toBe(done.cards.good + done.cards.spoiled);
    // Nothing was suspect: no card marked, no card spoiled for the restart.
    expect(await fx.ctx.db('cards').where({ batch_id: batchId, suspect: true }).count({ n: '*' }).first()).toMatchObject({ n: 0 });
    const reasons = (await fx.ctx.db('spoil_log').where({ batch_id: batchId }).select('reason')).map((r: { reason: string }) => r.reason);
    expect(reasons).not.toContain('SUSPECT_AFTER_RESTART');
    expect(reasons).not.toContain('LINE_PURGED');
  }, 90_000);
});

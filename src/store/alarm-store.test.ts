// The alarm store on both backends: an alarm's life and history, filters, and an acknowledgement
// that lands with its audit entry or not at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmStore, type AlarmRecord } from './alarm-store.ts';
import { listAudit } from './audit.ts';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';

describe.each(BACKENDS)('AlarmStore on $name', (backend) => {
  let fx: StoreFixture;
  let store: AlarmStore;
  beforeAll(async () => {
    fx = await backend.setup();
    store = new AlarmStore(fx.db);
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  const alarm = (id: string, lineId: string, raisedAt: string): AlarmRecord => ({
    id,
    lineId,
    unitId: 'encoder-1',
    condition: 'reject.repeated',
    message: 'encoder-1: 3 rejects in a row with CHIP_WRITE_FAILED',
    priority: 'high',
    state: 'active-unacknowledged',
    raisedAt,
    clearedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
  });

  it('keeps an alarm’s states, times and history', async () => {
    await store.raise(alarm('AL-1', 'L1', '2026-12-07T10:00:00.000Z'));
    await store.changeState('AL-1', 'cleared-unacknowledged', '2026-12-07T10:01:00.000Z');
    expect(await store.get('AL-1')).toMatchObject({ state: 'cleared-unacknowledged', clearedAt: '2026-12-07T10:01:00.000Z', raisedAt: '2026-12-07T10:00:00.000Z' });
    // Re-raised before anybody acknowledged it: active again, no clearing time.
    await store.changeState('AL-1', 'active-unacknowledged', '2026-12-07T10:02:00.000Z');
    expect(await store.get('AL-1')).toMatchObject({ state: 'active-unacknowledged', clearedAt: null });
    expect(await store.acknowledge('AL-1', 'active-unacknowledged', 'active-acknowledged', 'op-anna', '2026-12-07T10:03:00.000Z')).toBe(true);
    await store.changeState('AL-1', 'cleared', '2026-12-07T10:04:00.000Z');
    expect(await store.get('AL-1')).toStrictEqual({
      ...alarm('AL-1', 'L1', '2026-12-07T10:00:00.000Z'),
      state: 'cleared',
      clearedAt: '2026-12-07T10:04:00.000Z',
      acknowledgedAt: '2026-12-07T10:03:00.000Z',
      acknowledgedBy: 'op-anna',
    });
    expect((await store.history('AL-1')).map((h) => [h.state, h.actor, h.at])).toStrictEqual([
      ['active-unacknowledged', null, '2026-12-07T10:00:00.000Z'],
      ['cleared-unacknowledged', null, '2026-12-07T10:01:00.000Z'],
      ['active-unacknowledged', null, '2026-12-07T10:02:00.000Z'],
      ['active-acknowledged', 'op-anna', '2026-12-07T10:03:00.000Z'],
      ['cleared', null, '2026-12-07T10:04:00.000Z'],
    ]);
    const audit = (await listAudit(fx.db, { subjectId: 'AL-1' })).map((a) => [a.actor, a.action, a.details]);
    expect(audit).toStrictEqual([['op-anna', 'alarm.acknowledge', { lineId: 'L1', unitId: 'encoder-1', condition: 'reject.repeated', priority: 'high', from: 'active-unacknowledged', to: 'active-acknowledged' }]]);
  });

  it('refuses an acknowledgement of a state the alarm has left, writing nothing', async () => {
    await store.raise(alarm('AL-2', 'L2', '2026-12-07T11:00:00.000Z'));
    expect(await store.acknowledge('AL-2', 'cleared-unacknowledged', 'cleared', 'op-anna', '2026-12-07T11:01:00.000Z')).toBe(false);
    expect(await store.acknowledge('AL-none', 'active-unacknowledged', 'active-acknowledged', 'op-anna', '2026-12-07T11:01:00.000Z')).toBe(false);
    expect(await store.get('AL-2')).toMatchObject({ state: 'active-unacknowledged', acknowledgedBy: null });
    expect(await listAudit(fx.db, { subjectId: 'AL-2' })).toStrictEqual([]);
  });

  it('lists newest first, by line, open or active only, up to a limit', async () => {
    await store.raise(alarm('AL-3', 'L2', '2026-12-07T12:00:00.000Z'));
    await store.changeState('AL-3', 'cleared-unacknowledged', '2026-12-07T12:01:00.000Z');
    const ids = async (filter: Parameters<AlarmStore['list']>[0]) => (await store.list(filter)).map((a) => a.id);
    expect(await ids({})).toStrictEqual(['AL-3', 'AL-2', 'AL-1']);
    expect(await ids({ lineId: 'L2' })).toStrictEqual(['AL-3', 'AL-2']);
    expect(await ids({ openOnly: true })).toStrictEqual(['AL-3', 'AL-2']);
    expect(await ids({ activeOnly: true })).toStrictEqual(['AL-2']);
    expect(await ids({ limit: 1 })).toStrictEqual(['AL-3']);
  });
  it('lists the alarms of a period on given lines: active at some time in it, oldest first', async () => {
    // The period 2026-12-09 06:00–14:00 on line P1.
    await store.raise(alarm('P-before', 'P1', '2026-12-09T05:00:00.000Z'));
    await store.changeState('P-before', 'cleared-unacknowledged', '2026-12-09T05:30:00.000Z');
    await store.raise(alarm('P-across', 'P1', '2026-12-09T05:50:00.000Z'));
    await store.changeState('P-across', 'cleared-unacknowledged', '2026-12-09T06:10:00.000Z');
    await store.raise(alarm('P-still', 'P1', '2026-12-09T04:00:00.000Z'));
    await store.raise(alarm('P-inside', 'P1', '2026-12-09T09:00:00.000Z'));
    await store.raise(alarm('P-after', 'P1', '2026-12-09T14:00:00.000Z'));
    await store.raise(alarm('P-other-line', 'P2', '2026-12-09T09:00:00.000Z'));
    const ids = (await store.ofPeriod(['P1'], new Date('2026-12-09T06:00:00.000Z'), new Date('2026-12-09T14:00:00.000Z'))).map((a) => a.id);
    expect(ids).toStrictEqual(['P-still', 'P-across', 'P-inside']);
    expect((await store.ofPeriod(['P1', 'P2'], new Date('2026-12-09T08:00:00.000Z'), new Date('2026-12-09T10:00:00.000Z'))).map((a) => a.id)).toStrictEqual(['P-still', 'P-inside', 'P-other-line']);
  });
});

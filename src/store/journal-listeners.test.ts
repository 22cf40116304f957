// The journal's commit listeners: several at once (the durability trace, the event stream, the
// alarm board), each removable, each called once a group is committed, and none able to break a
// commit or the other listeners.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineStore, type JournalOp } from './line-store.ts';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';

describe('Journal commit listeners', () => {
  let fx: StoreFixture;
  let store: LineStore;
  beforeAll(async () => {
    fx = await BACKENDS[0]!.setup();
    store = new LineStore(fx.db, 'L-listen');
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  const op = (event: string): JournalOp => ({ op: 'station', unit: 'feeder', event });

  it('calls every listener after the commit, until it is removed', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const offA = store.journal.addCommitListener((ops) => {
      a.push(...ops.map((o) => (o.op === 'station' ? o.event : o.op)));
    });
    const offB = store.journal.addCommitListener((ops) => b.push(...ops.map((o) => (o.op === 'station' ? o.event : o.op))));
    await Promise.all([store.journal.append(op('one')), store.journal.append(op('two'))]);
    expect(a).toStrictEqual(['one', 'two']);
    expect(b).toStrictEqual(['one', 'two']);
    const rows = await fx.db('station_events').where({ line_id: 'L-listen' }).orderBy('id').select('event');
    expect(rows.map((r: { event: string }) => r.event)).toStrictEqual(['one', 'two']);

    offA();
    await store.journal.append(op('three'));
    expect(a).toStrictEqual(['one', 'two']);
    expect(b).toStrictEqual(['one', 'two', 'three']);
    offB();
    await store.journal.append(op('four'));
    expect(b).toStrictEqual(['one', 'two', 'three']);
  });

  it('a listener that throws breaks neither the commit nor the other listeners', async () => {
    const errors: unknown[] = [];
    store.journal.onListenerError = (error) => errors.push(error);
    const offBad = store.journal.addCommitListener(() => {
      throw new Error('listener bug');
    });
    const seen: number[] = [];
    const offGood = store.journal.addCommitListener((ops) => seen.push(ops.length));
    await expect(store.journal.append(op('five'))).resolves.toBeUndefined();
    expect(seen).toStrictEqual([1]);
    expect(errors.map((e) => (e as Error).message)).toStrictEqual(['listener bug']);
    offBad();
    offGood();
  });

  it('onCommitted keeps its single-listener form next to the listener set', async () => {
    const legacy: number[] = [];
    const added: number[] = [];
    const off = store.journal.addCommitListener((ops) => added.push(ops.length));
    store.journal.onCommitted = (ops) => legacy.push(ops.length);
    store.journal.onCommitted = (ops) => legacy.push(ops.length * 10);
    await store.journal.append(op('six'));
    expect(legacy).toStrictEqual([10]);
    store.journal.onCommitted = undefined;
    await store.journal.append(op('seven'));
    expect(legacy).toStrictEqual([10]);
    expect(added).toStrictEqual([1, 1]);
    off();
  });

  it('tells each listener how long its durable commit took, within the time the appender waited', async () => {
    const commits: { ops: number; synced: boolean; seconds: number }[] = [];
    const off = store.journal.addCommitListener((ops, commit) => commits.push({ ops: ops.length, ...commit }));
    const before = performance.now();
    await Promise.all([store.journal.append(op('eight')), store.journal.append(op('nine'))]);
    const waited = (performance.now() - before) / 1000;
    off();
    // One group, written and synced: its time is positive and no longer than the appenders' wait.
    expect(commits.map((c) => ({ ops: c.ops, synced: c.synced }))).toStrictEqual([{ ops: 2, synced: true }]);
    expect(commits[0]!.seconds).toBeGreaterThan(0);
    expect(commits[0]!.seconds).toBeLessThanOrEqual(waited);
  });
});

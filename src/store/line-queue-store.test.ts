/** The lines' batch queues on SQLite and PostgreSQL: order, one line a batch, refusals by reason. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';
import { BatchStore } from './batch-store.ts';
import { LineQueueStore, QueueError } from './line-queue-store.ts';

describe.each(BACKENDS)('LineQueueStore on $name', (backend) => {
  let fx: StoreFixture;
  let queues: LineQueueStore;
  const ids: string[] = [];

  beforeAll(async () => {
    fx = await backend.setup();
    const batches = new BatchStore(fx.db, fx.keys);
    for (let i = 0; i < 4; i++) ids.push((await batches.createBatch({ name: `q${i}`, sourceFile: 'q.jsonl', actor: 'tester' })).id);
    queues = new LineQueueStore(fx.db);
  });
  afterAll(async () => {
    await fx.cleanup();
  });

  const reason = async (p: Promise<unknown>): Promise<string> => {
    const error = await p.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(QueueError);
    return (error as QueueError).reason;
  };

  it('keeps the order batches were queued in, and a new order as given', async () => {
    const [a, b, c, d] = ids as [string, string, string, string];
    expect(await queues.enqueue('line-a', a, 'op')).toEqual([a]);
    expect(await queues.enqueue('line-a', b, 'op')).toEqual([a, b]);
    expect(await queues.enqueue('line-a', c, 'op')).toEqual([a, b, c]);
    expect(await queues.reorder('line-a', [c, a, b])).toEqual([c, a, b]);
    expect(await queues.queue('line-a')).toEqual([c, a, b]);
    expect(await queues.dequeue('line-a', a)).toEqual([c, b]);
    // Appended after the renumbered rest.
    expect(await queues.enqueue('line-a', d, 'op')).toEqual([c, b, d]);
    expect(await queues.lineOf(d)).toBe('line-a');
    expect(await queues.lineOf(a)).toBeUndefined();
  });

  it('refuses a batch twice, a batch waiting on another line, a missing batch and a wrong order', async () => {
    const [a, b] = ids as [string, string];
    expect(await reason(queues.enqueue('line-a', b, 'op'))).toBe('already-queued');
    expect(await reason(queues.enqueue('line-b', b, 'op'))).toBe('queued-elsewhere');
    expect(await reason(queues.dequeue('line-b', b))).toBe('not-queued');
    expect(await reason(queues.dequeue('line-a', a))).toBe('not-queued');
    const current = await queues.queue('line-a');
    expect(await reason(queues.reorder('line-a', current.slice(1)))).toBe('not-a-permutation');
    expect(await reason(queues.reorder('line-a', [...current.slice(1), current[1]!]))).toBe('not-a-permutation');
    expect(await queues.queue('line-a')).toEqual(current);
    expect(await queues.queue('line-b')).toEqual([]);
  });
});

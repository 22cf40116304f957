// BatchStore.batchRecords: a batch's records decrypted in seq order, a page at a time (what
// `cardline render --batch` reads). On both store backends.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchStore, type NewRecord } from './batch-store.ts';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';

function record(seq: number, extra: Partial<NewRecord> = {}): NewRecord {
  return {
    seq,
    lineNo: seq + 1,
    pid: String(randomInt(1e11, 1e12 - 1)),
    cardVariant: 'with-portrait',
    personal: { fullName: `Nguyễn Thị Số ${seq}`, birthDate: '1990-01-31' },
    ...extra,
  };
}

describe.each(BACKENDS)('BatchStore.batchRecords on $name', (backend) => {
  let fx: StoreFixture;
  let store: BatchStore;
  beforeAll(async () => {
    fx = await backend.setup();
    store = new BatchStore(fx.db, fx.keys);
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('yields every record in seq order with its personal fields and portrait, across pages', async () => {
    const batch = await store.createBatch({ name: 'render', sourceFile: 'in/b.jsonl', actor: 'op' });
    // Seqs with a gap (a rejected duplicate leaves one), some records without a portrait.
    const records = [1, 2, 3, 5, 6, 7, 8].map((seq) =>
      record(seq, seq % 3 === 0 ? { cardVariant: 'without-portrait' } : { portrait: Buffer.from(`jpeg-${seq}`) }),
    );
    await store.addRecords(batch.id, records);
    const other = await store.createBatch({ name: 'other', sourceFile: 'in/o.jsonl', actor: 'op' });
    await store.addRecords(other.id, [record(1)]);

    const read = [];
    for await (const r of store.batchRecords(batch.id, 3)) read.push(r);
    expect(read).toStrictEqual(
      records.map((r) => ({ seq: r.seq, personal: { ...r.personal, pid: r.pid }, portrait: r.portrait })),
    );
  });

  it('yields nothing for an unknown batch, and refuses a bad page size', async () => {
    const read = [];
    for await (const r of store.batchRecords('20990101-000000')) read.push(r);
    expect(read).toStrictEqual([]);
    await expect(store.batchRecords('x', 0).next()).rejects.toThrow(/pageSize must be a whole number/);
  });
});

/**
 * The lines' batch queues, persisted: which batches wait for which line, in the order an operator
 * will start them (`cardline serve`). A batch waits on one line at most. Every change is one
 * transaction; the positions are renumbered 0…n-1 on each.
 */
import type { Knex } from 'knex';

export class QueueError extends Error {
  override name = 'QueueError';
  constructor(
    message: string,
    readonly reason: 'queued-elsewhere' | 'already-queued' | 'not-queued' | 'not-a-permutation',
  ) {
    super(message);
  }
}

interface QueueRow {
  batch_id: string;
  line_id: string;
  position: number | string;
}

export class LineQueueStore {
  constructor(private readonly db: Knex) {}

  /** The batch ids waiting on `lineId`, first to run first. */
  async queue(lineId: string, db: Knex | Knex.Transaction = this.db): Promise<string[]> {
    const rows = await db<QueueRow>('line_queue').where({ line_id: lineId }).orderBy('position').select('batch_id');
    return rows.map((r) => r.batch_id);
  }

  /** The line a batch waits on, if any. */
  async lineOf(batchId: string): Promise<string | undefined> {
    const row = await this.db<QueueRow>('line_queue').where({ batch_id: batchId }).first();
    return row?.line_id;
  }

  /** Appends a batch to a line's queue; refuses one already waiting (here or on another line). */
  enqueue(lineId: string, batchId: string, by: string): Promise<string[]> {
    return this.db.transaction(async (trx) => {
      const existing = await trx<QueueRow>('line_queue').where({ batch_id: batchId }).first();
      if (existing) {
        throw existing.line_id === lineId
          ? new QueueError(`batch ${batchId} is already in the queue of line ${lineId}`, 'already-queued')
          : new QueueError(`batch ${batchId} waits on line ${existing.line_id}: take it off that queue first`, 'queued-elsewhere');
      }
      const last = await trx('line_queue').where({ line_id: lineId }).max({ p: 'position' }).first();
      const position = last?.p === null || last?.p === undefined ? 0 : Number(last.p) + 1;
      await trx('line_queue').insert({ batch_id: batchId, line_id: lineId, position, queued_at: new Date().toISOString(), queued_by: by });
      return this.queue(lineId, trx);
    });
  }

  /** Takes a batch off a line's queue. */
  dequeue(lineId: string, batchId: string): Promise<string[]> {
    return this.db.transaction(async (trx) => {
      const removed = await trx('line_queue').where({ line_id: lineId, batch_id: batchId }).delete();
      if (removed === 0) throw new QueueError(`batch ${batchId} is not in the queue of line ${lineId}`, 'not-queued');
      return this.renumber(trx, lineId, await this.queue(lineId, trx));
    });
  }

  /** Puts a line's queue in this order: exactly the batches it holds, each once. */
  reorder(lineId: string, batchIds: readonly string[]): Promise<string[]> {
    return this.db.transaction(async (trx) => {
      const current = await this.queue(lineId, trx);
      const same = batchIds.length === current.length && new Set(batchIds).size === batchIds.length && batchIds.every((id) => current.includes(id));
      if (!same) throw new QueueError(`the new order of line ${lineId} must list exactly the batches in its queue (${current.join(', ') || 'none'}), each once`, 'not-a-permutation');
      return this.renumber(trx, lineId, batchIds);
    });
  }

  private async renumber(trx: Knex.Transaction, lineId: string, order: readonly string[]): Promise<string[]> {
    for (const [position, batchId] of order.entries()) await trx('line_queue').where({ line_id: lineId, batch_id: batchId }).update({ position });
    return [...order];
  }
}

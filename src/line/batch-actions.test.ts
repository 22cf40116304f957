// A supervisor's write-off of a card the records hold in the line, on both store backends: the
// accounting balances again, the record goes back to re-make (or fails), all of it audited; and the
// write-offs that must be refused.
import { createActor } from 'xstate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardMachine } from '../../machines/card.machine.ts';
import { listAudit } from '../store/audit.ts';
import { BatchStore } from '../store/batch-store.ts';
import { LineLease } from '../store/line-lease.ts';
import { LineStore } from '../store/line-store.ts';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';
import { BatchActionError, writeOffCard } from './batch-actions.ts';

const LINE = 'L1';

describe.each(BACKENDS)('writeOffCard on $name', (backend) => {
  let fx: StoreFixture;
  let lines: LineStore;
  let batches: BatchStore;
  let batchId: string;

  beforeAll(async () => {
    fx = await backend.setup();
    batches = new BatchStore(fx.db, fx.keys);
    const batch = await batches.createBatch({ name: 'write-off', sourceFile: 'in/w.jsonl', actor: 'op' });
    await batches.addRecords(
      batch.id,
      [1, 2, 3, 4, 5, 6].map((seq) => ({ seq, lineNo: seq, pid: `0790${seq}0005678`, cardVariant: 'without-portrait', personal: { fullName: `Số ${seq}` } })),
    );
    await batches.finishImport(batch.id, { accepted: 6, quarantined: 0, reportPath: 'r.json', actor: 'op' });
    batchId = batch.id;
    lines = new LineStore(fx.db, LINE);
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  /** What the controller commits when the feeder fed a card for the record's attempt: the card in the line at `unit`. */
  async function feed(seq: number, cardSerial: string, attempt: number, unit = 'laser'): Promise<void> {
    await lines.journal.append(
      { op: 'record', batchId, seq, status: 'in-line', attempts: attempt, reasons: [], cardSerial: null, position: null },
      { op: 'card.fed', cardSerial, batchId, seq, attempt, unit: 'feeder' },
      { op: 'card.unit', cardSerial, unit },
    );
  }

  const record = async (seq: number) => (await lines.records(batchId)).find((r) => r.seq === seq)!;

  it('asks the stores what the batch actions need to know (no query of their own): the batch status, a record’s source line and variant', async () => {
    expect(await lines.batchStatus(batchId)).toBe((await batches.getBatch(batchId))!.status);
    expect(await lines.batchStatus('20991231-000000')).toBeUndefined();
    expect(await batches.recordSource(batchId, 3)).toStrictEqual({ lineNo: 3, cardVariant: 'without-portrait' });
    expect(await batches.recordSource(batchId, 99)).toBeUndefined();
  });

  it("spoils the record's current card, sends the record back to re-make at top priority, and audits who did it", async () => {
    await feed(1, 'W0001', 1);
    expect(await lines.unaccountedCards(batchId)).toStrictEqual(['W0001']);

    const result = await writeOffCard(lines, 'W0001', { by: 'Lê Văn C', note: 'found on the floor under the laser' });
    expect(result).toStrictEqual({ batchId, seq: 1, record: 'queued for re-make' });

    expect(await lines.card('W0001')).toMatchObject({ status: 'spoiled', reason: 'WRITTEN_OFF', unit: 'laser' });
    expect(await lines.unaccountedCards(batchId)).toStrictEqual([]);
    expect((await lines.spoilLog(batchId)).map((s) => [s.cardSerial, s.reason, s.unit])).toStrictEqual([['W0001', 'WRITTEN_OFF', 'laser']]);
    const accounting = await lines.accounting(batchId);
    expect(accounting.cards).toStrictEqual({ blanksConsumed: 1, good: 0, spoiled: 1, inLine: 0 });

    const r = await record(1);
    expect(r).toMatchObject({ status: 'queued', attempts: 1, cardSerial: null, reasons: [{ attempt: 1, cardSerial: 'W0001', station: 'line', code: 'WRITTEN_OFF', detail: 'found on the floor under the laser' }] });
    // The stored machine is what the next run restores: a re-make, ahead of records never tried.
    const machine = createActor(cardMachine, { input: { batchId, seq: 1, maxAttempts: 3 }, snapshot: (r.machine as { snapshot: never }).snapshot }).start();
    expect(machine.getSnapshot().value).toBe('queued');
    expect(machine.getSnapshot().context).toMatchObject({ attempt: 1, remake: true });

    const audit = await listAudit(fx.db, { subjectId: 'W0001' });
    expect(audit.map((a) => [a.actor, a.action])).toStrictEqual([['Lê Văn C', 'card.write-off']]);
    expect(audit[0]!.details).toMatchObject({ batchId, seq: 1, attempt: 1, lastUnit: 'laser', reason: 'WRITTEN_OFF', record: 'queued' });
  });

  it('fails the record when the written-off card was its last allowed attempt', async () => {
    await feed(2, 'W0002', 1, 'qa');
    const result = await writeOffCard(lines, 'W0002', { by: 'Lê Văn C', reason: 'CARD_JAM', maxAttempts: 1 });
    expect(result.record).toBe('failed (attempts used up)');
    const r = await record(2);
    expect(r).toMatchObject({ status: 'failed', attempts: 1, reasons: [{ attempt: 1, cardSerial: 'W0002', station: 'line', code: 'CARD_JAM' }] });
    expect(await lines.card('W0002')).toMatchObject({ status: 'spoiled', reason: 'CARD_JAM' });
  });

  it('leaves the record alone when the card was an earlier attempt (its record since fed again)', async () => {
    await feed(3, 'W0003', 1);
    await feed(3, 'W0004', 2, 'encoder.1');
    const result = await writeOffCard(lines, 'W0003', { by: 'Lê Văn C' });
    expect(result.record).toBe('unchanged (the card was an earlier attempt)');
    expect(await record(3)).toMatchObject({ status: 'in-line', attempts: 2 });
    expect(await lines.unaccountedCards(batchId)).toStrictEqual(['W0004']);
  });

  it('refuses while a run holds the line, naming it; once the run is over the card can be written off', async () => {
    await feed(6, 'W0007', 1, 'encoder.2');
    const run = await LineLease.acquire(fx.db, LINE, { batchId });
    try {
      await expect(writeOffCard(lines, 'W0007', { by: 'Lê Văn C' })).rejects.toThrow(new RegExp(`a run is under way on line ${LINE}: process ${process.pid} on .* \\(batch ${batchId}\\).*Stop it first`));
      expect(await lines.card('W0007')).toMatchObject({ status: 'in-line' });
    } finally {
      await run.release();
    }
    expect((await writeOffCard(lines, 'W0007', { by: 'Lê Văn C' })).record).toBe('queued for re-make');
  });

  it('refuses what is not a card in the line, a reason that is no code, and a write-off by nobody; nothing changes', async () => {
    await feed(4, 'W0005', 1);
    await lines.journal.append({ op: 'card.ended', cardSerial: 'W0005', status: 'good', unit: 'output', position: 1, batchId });
    await feed(5, 'W0006', 1);
    const refused = async (serial: string, input: Parameters<typeof writeOffCard>[2], message: RegExp): Promise<void> => {
      const attempt = writeOffCard(lines, serial, input);
      await expect(attempt).rejects.toBeInstanceOf(BatchActionError);
      await expect(attempt).rejects.toThrow(message);
    };
    await refused('NOPE', { by: 'x' }, /card NOPE is not known/);
    await refused('W0005', { by: 'x' }, /card W0005 is good: only a card the records hold in the line can be written off \(an inspector rejects a stacked card: cardline qa reject\)/);
    await refused('W0001', { by: 'x' }, /card W0001 is spoiled/);
    await refused('W0006', { by: 'x', reason: 'LOST' }, /--reason LOST is not a reason code/);
    await refused('W0006', { by: '  ' }, /the supervisor is not named/);
    expect(await lines.card('W0006')).toMatchObject({ status: 'in-line' });
    expect(await record(5)).toMatchObject({ status: 'in-line', attempts: 1 });
    expect(await listAudit(fx.db, { subjectId: 'W0006' })).toStrictEqual([]);
  });
});

/**
 * The invariants of docs/line-control.md ("Invariants", from DESIGN.md), judged against the
 * simulator's ledger — the physical truth — as well as the controller's database:
 *
 * - every record ended produced exactly once, or failed after the maximum attempts with a reason per attempt;
 * - the stacker holds exactly one card per produced record, and that card's chip carries the record's DG1;
 * - blanks consumed = good + spoiled, nothing left in the line, and the ledger agrees card for card;
 * - no card whose chip verification (or any QA check) failed lies in the stacker; every stacked card passed QA.
 */
import type { Knex } from 'knex';
import { dg1Digest, summarizeLedger, ledgerFile, type LedgerSummary } from '../../simulators/ledger.ts';
import type { BatchStore } from '../../src/store/batch-store.ts';
import { LineStore } from '../../src/store/line-store.ts';
import { recordMrz } from './test-preparer.ts';

export async function expectedMrz(batches: BatchStore, batchId: string, seq: number): Promise<string> {
  return (await recordMrz(batches, batchId, seq)).join('');
}

export interface InvariantReport {
  readonly violations: string[];
  readonly produced: number;
  readonly failed: number;
  readonly good: number;
  readonly spoiled: number;
  readonly ledger: LedgerSummary;
}

export async function checkInvariants(input: { db: Knex; batches: BatchStore; dataDir: string; batchId: string; maxAttempts?: number }): Promise<InvariantReport> {
  const { db, batches, batchId } = input;
  const maxAttempts = input.maxAttempts ?? 3;
  const v: string[] = [];
  const store = new LineStore(db, '');
  const ledger = await summarizeLedger(ledgerFile(input.dataDir));
  const records = await store.records(batchId);
  const accounting = await store.accounting(batchId);
  const cards = await db('cards').where({ batch_id: batchId }).select('card_serial', 'seq', 'status');
  const serialsOfBatch = new Set(cards.map((c: { card_serial: string }) => c.card_serial));
  const goodOfBatch = new Set(cards.filter((c: { status: string }) => c.status === 'good').map((c: { card_serial: string }) => c.card_serial));

  // Records: produced exactly once, or failed after the maximum attempts, with reasons.
  const producedSerials = new Map<string, number>();
  for (const r of records) {
    if (r.status === 'produced') {
      if (!r.cardSerial) v.push(`record ${r.seq} is produced without a card serial`);
      else if (producedSerials.has(r.cardSerial)) v.push(`card ${r.cardSerial} is the produced card of records ${producedSerials.get(r.cardSerial)} and ${r.seq}`);
      else producedSerials.set(r.cardSerial, r.seq);
    } else if (r.status === 'failed') {
      if (r.attempts !== maxAttempts) v.push(`record ${r.seq} failed after ${r.attempts} attempts, not ${maxAttempts}`);
      if ((r.reasons as unknown[]).length < r.attempts) v.push(`record ${r.seq} failed with ${(r.reasons as unknown[]).length} reasons for ${r.attempts} attempts`);
    } else {
      v.push(`record ${r.seq} ended ${r.status}, neither produced nor failed`);
    }
  }

  // The stacker, per the ledger: exactly the produced cards of this batch, each with its record's DG1.
  // On a line with a packer, the good cards leave the line in delivery packs instead: they count as stacked.
  const outOfLine = [...ledger.stacker, ...ledger.packs.flatMap((p) => p.cards)];
  const stacked = outOfLine.filter((c) => serialsOfBatch.has(c.cardSerial));
  const stackedSerials = new Set(stacked.map((c) => c.cardSerial));
  for (const c of outOfLine) if (!serialsOfBatch.has(c.cardSerial) && !(await isKnownGood(db, c.cardSerial))) v.push(`the stacker holds card ${c.cardSerial}, which no batch produced`);
  if (stacked.length !== producedSerials.size) v.push(`the stacker holds ${stacked.length} cards of the batch for ${producedSerials.size} produced records`);
  for (const [serial, seq] of producedSerials) {
    if (!stackedSerials.has(serial)) v.push(`record ${seq}'s card ${serial} is not in the stacker`);
  }
  for (const c of stacked) {
    const seq = producedSerials.get(c.cardSerial);
    if (seq === undefined) {
      v.push(`card ${c.cardSerial} lies in the stacker but is no record's produced card`);
      continue;
    }
    if (c.dg1Digest !== dg1Digest(await expectedMrz(batches, batchId, seq))) v.push(`card ${c.cardSerial} in the stacker does not carry record ${seq}'s DG1`);
  }
  for (const serial of goodOfBatch) if (!stackedSerials.has(serial)) v.push(`the database says card ${serial} is good, the ledger has no such card in the stacker`);

  // Blank accounting.
  const a = accounting.cards;
  if (a.blanksConsumed !== a.good + a.spoiled) v.push(`blanks consumed ${a.blanksConsumed} ≠ good ${a.good} + spoiled ${a.spoiled}`);
  if (a.inLine !== 0) v.push(`${a.inLine} cards are still in the line`);
  const inMachine = ledger.inMachine.filter((c) => serialsOfBatch.has(c.cardSerial));
  if (inMachine.length > 0) v.push(`the ledger has ${inMachine.length} cards of the batch still in the machine`);
  const rejected = new Set(ledger.rejectBin.map((c) => c.cardSerial));
  for (const c of cards as { card_serial: string; status: string }[]) {
    if (c.status === 'spoiled' && !rejected.has(c.card_serial) && !(await inspectorRejected(db, c.card_serial))) v.push(`card ${c.card_serial} is spoiled in the database but not in the ledger's reject bin`);
  }

  // QA: nothing that failed a check is stacked; every stacked card passed.
  const events: { card_serial: string; event: string }[] = await db('card_events').where({ batch_id: batchId }).whereIn('event', ['qa.passed', 'qa.failed', 'qa.verdict']).select('card_serial', 'event');
  const failedQa = new Set(events.filter((e) => e.event !== 'qa.passed').map((e) => e.card_serial));
  const passedQa = new Set(events.filter((e) => e.event === 'qa.passed').map((e) => e.card_serial));
  for (const serial of stackedSerials) {
    if (failedQa.has(serial)) v.push(`card ${serial} failed QA and lies in the stacker`);
    if (!passedQa.has(serial)) v.push(`card ${serial} lies in the stacker without a QA pass`);
  }
  return { violations: v, produced: accounting.records.produced, failed: accounting.records.failed, good: a.good, spoiled: a.spoiled, ledger };
}

async function isKnownGood(db: Knex, serial: string): Promise<boolean> {
  const row = await db<{ card_serial: string; status: string }>('cards').where({ card_serial: serial }).first('status');
  return row?.status === 'good';
}

async function inspectorRejected(db: Knex, serial: string): Promise<boolean> {
  return (await db('spoil_log').where({ card_serial: serial, unit: 'inspector' }).first()) !== undefined;
}

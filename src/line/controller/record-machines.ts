/**
 * The batch's records on the line, each with its card machine (machines/card.machine.ts): events go
 * in, the record's row comes out as a journal op when the machine's state says it changed, and the
 * questions the router asks about a record are answered by its machine. What a change means outside
 * the record — the feed queue, the prepared data, the packs — the machine decides as its named
 * actions (`enqueueRemake`, `recordEnded`, `gaveUp`), implemented here with the effects the
 * controller provides (RecordEffects); the record's row goes to the journal from here, at the
 * states the machine is persisted in. Nothing here writes or sends anywhere itself.
 */
import type { Actor } from 'xstate';
import { cardActorFrom, cardMachineWith, CARD_MACHINE_VERSION, type cardMachine, type CardEvent } from '../../../machines/card.machine.ts';
import type { JournalOp, RecordLineStatus, RecordProgress } from '../../store/line-store.ts';

type CardActor = Actor<typeof cardMachine>;

/** What a physical card is to its record: the serial the record's current attempt uses. */
interface CardOfRecord {
  readonly serial: string;
  readonly seq: number;
}

export interface RecordEffects {
  /** The record's row changed: into `ops` (committed with the result at hand) or journaled on its own. */
  journal(op: JournalOp, ops: JournalOp[] | undefined): void;
  /** The record went back to the queue for a re-make, ahead of records never tried. */
  remake(seq: number): void;
  /** The record ended (produced, failed, cancelled): its prepared data is needed no longer. */
  ended(seq: number): void;
  /** The record failed or was cancelled; `cardSerial` was its last card (null: none). */
  gaveUp(seq: number, cardSerial: string | null, ops: JournalOp[] | undefined): void;
}

export class RecordMachines {
  private readonly records = new Map<number, CardActor>();
  /** Records in each terminal state, kept as they change (no scan of the batch per card). */
  private readonly counts = { produced: 0, failed: 0, cancelled: 0 };
  /** The card machine with its actions bound to the effects. */
  private readonly machine: typeof cardMachine;
  /** Where the ops of the event being sent go (the result's commit), for the actions it triggers. */
  private ops: JournalOp[] | undefined;

  constructor(
    private readonly batchId: string,
    effects: RecordEffects,
  ) {
    this.machine = cardMachineWith({
      enqueueRemake: (context) => effects.remake(context.seq),
      recordEnded: (context) => effects.ended(context.seq),
      gaveUp: (context) => effects.gaveUp(context.seq, context.cardSerial, this.ops),
    });
    this.journal = (op, ops) => effects.journal(op, ops);
  }

  private readonly journal: RecordEffects['journal'];

  /** The records as stored (their machines restored from the snapshots): which are queued, which are re-makes. */
  load(rows: readonly RecordProgress[], maxAttempts: number): { queued: number[]; remakes: number[] } {
    const queued: number[] = [];
    const remakes: number[] = [];
    for (const row of rows) {
      const actor = cardActorFrom(row.machine, { batchId: this.batchId, seq: row.seq, maxAttempts }, this.machine);
      actor.start();
      this.records.set(row.seq, actor);
      const value = actor.getSnapshot().value;
      if (value === 'queued') (actor.getSnapshot().context.remake ? remakes : queued).push(row.seq);
      this.count(value, 1);
    }
    return { queued, remakes };
  }

  get size(): number {
    return this.records.size;
  }

  /** The record's machine state (undefined for a record not of this batch). */
  state(seq: number): string | undefined {
    const value = this.records.get(seq)?.getSnapshot().value;
    return value === undefined ? undefined : String(value);
  }

  /** The record's attempts so far (cards used). */
  attempts(seq: number): number {
    return this.records.get(seq)?.getSnapshot().context.attempt ?? 0;
  }

  /** The record's current card (null between attempts). */
  currentSerial(seq: number): string | null | undefined {
    return this.records.get(seq)?.getSnapshot().context.cardSerial;
  }

  /** The card is its record's current attempt (an old attempt's card may still be leaving the line). */
  isCurrent(card: CardOfRecord): boolean {
    return this.currentSerial(card.seq) === card.serial;
  }

  /** The card is its record's current attempt of this very attempt number. */
  isCurrentAttempt(card: CardOfRecord & { readonly attempt: number }): boolean {
    const context = this.records.get(card.seq)?.getSnapshot().context;
    return context !== undefined && context.cardSerial === card.serial && context.attempt === card.attempt;
  }

  /** The card is its record's current card and the record's QA verdict on it is good. */
  qaPassed(card: CardOfRecord): boolean {
    const context = this.records.get(card.seq)?.getSnapshot().context;
    return context?.cardSerial === card.serial && context.qaPassed;
  }

  /**
   * The record's machine would take this card as its produced card (its `stackable` guard: current
   * card, QA passed, where a good card leaves the line): asked, not worked out here.
   */
  awaitsStacking(card: CardOfRecord): boolean {
    const snap = this.records.get(card.seq)?.getSnapshot();
    return snap !== undefined && snap.context.cardSerial === card.serial && snap.can({ type: 'card.stacked', position: 0 });
  }

  get produced(): number {
    return this.counts.produced;
  }

  get failed(): number {
    return this.counts.failed;
  }

  get cancelled(): number {
    return this.counts.cancelled;
  }

  allEnded(): boolean {
    return this.counts.produced + this.counts.failed + this.counts.cancelled === this.records.size;
  }

  /** Records waiting for a blank. */
  queuedCount(): number {
    return [...this.records.values()].filter((a) => a.getSnapshot().value === 'queued').length;
  }

  /** Records not ended, with their state (diagnosis). */
  notEnded(): { seq: number; state: string }[] {
    return [...this.records].filter(([, a]) => !isEnded(a.getSnapshot().value)).map(([seq, a]) => ({ seq, state: String(a.getSnapshot().value) }));
  }

  failedRecords(): { seq: number; reasons: readonly unknown[] }[] {
    return [...this.records].filter(([, a]) => a.getSnapshot().value === 'failed').map(([seq, a]) => ({ seq, reasons: a.getSnapshot().context.reasons }));
  }

  /** Sends an event to a record's machine and journals the record's new state (snapshot at stable states). */
  send(seq: number, event: CardEvent, ops?: JournalOp[]): void {
    const actor = this.records.get(seq);
    if (!actor) return;
    const before = actor.getSnapshot().value;
    // The machine's actions run inside send: the ops they add belong with this event's.
    const outer = this.ops;
    this.ops = ops;
    try {
      actor.send(event);
    } finally {
      this.ops = outer;
    }
    const snap = actor.getSnapshot();
    const moved = snap.value !== before;
    if (moved) {
      this.count(before, -1);
      this.count(snap.value, 1);
    }
    if (!moved && event.type !== 'card.feeding') return;
    const status = recordStatus(snap.value);
    // A record moving between stations keeps its row (in-line, same attempt, no reasons): the
    // card events are the trail; only entering and leaving the line change the row.
    if (status === 'in-line' && recordStatus(String(before)) === 'in-line' && event.type !== 'card.feeding') return;
    const stable = status !== 'in-line';
    const op: JournalOp = {
      op: 'record',
      batchId: this.batchId,
      seq,
      status,
      attempts: snap.context.attempt,
      reasons: snap.context.reasons,
      cardSerial: snap.value === 'produced' ? snap.context.cardSerial : null,
      position: snap.context.position,
      ...(stable ? { machine: { version: CARD_MACHINE_VERSION, snapshot: actor.getPersistedSnapshot() } } : {}),
    };
    this.journal(op, ops);
  }

  private count(value: unknown, delta: number): void {
    if (isEnded(value)) this.counts[value] += delta;
  }
}

/** A record's terminal states. */
export function isEnded(value: unknown): value is 'produced' | 'failed' | 'cancelled' {
  return value === 'produced' || value === 'failed' || value === 'cancelled';
}

function recordStatus(value: string): RecordLineStatus {
  return isEnded(value) || value === 'queued' ? value : 'in-line';
}

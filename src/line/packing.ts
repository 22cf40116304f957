/**
 * The controller's side of a packer (issue 14) for one batch run: which pack each good card goes
 * into (the planner), what the packer is told, whether its result matches, and which records are
 * produced — with a packer, a record is produced once its card lies in a closed pack.
 *
 * The plan is made when the packer asks for a card's job, and its changes must be committed before
 * the job is sent: a pack opened, evicted or closed for that card is then on record whatever the
 * PLC does next, and a card whose packing fails is taken out again (`remove`), never forgotten.
 */
import { UNSORTED } from '../domain/delivery-office.ts';
import type { PackChange, PackInstruction, PackingConfig, PackState } from '../packing/pack.ts';
import { PackPlanner, type Placement } from '../packing/planner.ts';

export interface PackingRecord {
  readonly seq: number;
  /** The record's state on the line. */
  readonly status: 'queued' | 'in-line' | 'produced' | 'failed' | 'cancelled';
  /** Its current card (in the line, or its produced one). */
  readonly cardSerial: string | null;
}

export interface PlannedPacking {
  readonly instruction: PackInstruction;
  /** To be committed before the job is sent. */
  readonly changes: readonly PackChange[];
  /** Records produced by what the plan closed (their cards were packed before). */
  readonly produced: readonly number[];
}

export interface PackingUpdate {
  readonly changes: readonly PackChange[];
  readonly produced: readonly number[];
}

export type PackResultCheck = { readonly ok: true; readonly packId: string; readonly produced: readonly number[] } | { readonly ok: false; readonly detail: string };

export class PackingRun {
  /** Cards the packer reported done (packed), by serial, with their record. */
  private readonly packedDone = new Map<string, number>();
  /** Records whose produced state was reported (each once). */
  private readonly reported = new Set<number>();

  private constructor(
    private readonly planner: PackPlanner,
    private readonly offices: ReadonlyMap<number, string>,
  ) {}

  /**
   * The run's packing from what the store holds: the batch's packs so far, its records' offices and
   * states, and the packed cards whose packer result was committed (`doneCards`, e.g. cards `good`).
   */
  static open(batchId: string, config: PackingConfig, packs: readonly PackState[], offices: ReadonlyMap<number, string>, records: readonly PackingRecord[], doneCards: ReadonlySet<string>): PackingRun {
    const inPack = new Set(packs.flatMap((p) => p.cards.map((c) => c.cardSerial)));
    const pending = new Map<string, number>();
    for (const r of records) {
      if (r.status === 'produced' || r.status === 'failed' || r.status === 'cancelled') continue;
      if (r.cardSerial !== null && inPack.has(r.cardSerial)) continue;
      const office = offices.get(r.seq) ?? UNSORTED;
      pending.set(office, (pending.get(office) ?? 0) + 1);
    }
    const run = new PackingRun(new PackPlanner(batchId, config, packs, pending), offices);
    for (const p of packs) for (const c of p.cards) if (doneCards.has(c.cardSerial)) run.packedDone.set(c.cardSerial, c.seq);
    for (const r of records) if (r.status === 'produced') run.reported.add(r.seq);
    return run;
  }

  officeOf(seq: number): string {
    return this.offices.get(seq) ?? UNSORTED;
  }

  /** The packer's instruction for a good card of record `seq`. Asked again for the same card, the same. */
  plan(cardSerial: string, seq: number): PlannedPacking {
    const placement: Placement = this.planner.place({ cardSerial, seq, office: this.officeOf(seq) });
    return {
      instruction: { packId: placement.packId, office: placement.office, pocket: placement.pocket, closesPack: placement.closesPack },
      changes: placement.changes,
      produced: this.newlyProduced(closedIn(placement.changes)),
    };
  }

  /** The packer's good Done for a card: it must lie where the plan put it. */
  done(cardSerial: string, result: { packId: string; pocket: number }): PackResultCheck {
    const packId = this.planner.packOf(cardSerial);
    if (packId === undefined) return { ok: false, detail: `the packer packed ${cardSerial}, which no pack plan holds` };
    if (result.packId !== packId) return { ok: false, detail: `the packer put the card into pack ${result.packId}, the plan says ${packId}` };
    const seq = this.planner.pack(packId)!.cards.find((c) => c.cardSerial === cardSerial)!.seq;
    this.packedDone.set(cardSerial, seq);
    return { ok: true, packId, produced: this.newlyProduced([packId]) };
  }

  /**
   * Takes a card out of its pack: its packing failed or is in doubt, or an inspector rejected it.
   * `remade`: its record brings another card.
   */
  remove(cardSerial: string, reason: string, remade: boolean): PackingUpdate {
    const changes = this.planner.remove(cardSerial, reason, remade);
    const seq = this.packedDone.get(cardSerial);
    this.packedDone.delete(cardSerial);
    if (seq !== undefined) this.reported.delete(seq);
    return { changes, produced: this.newlyProduced(closedIn(changes)) };
  }

  /** Record `seq` ended without a packed card (failed, cancelled). */
  recordEnded(seq: number): PackingUpdate {
    const changes = this.planner.recordEnded(this.officeOf(seq));
    return { changes, produced: this.newlyProduced(closedIn(changes)) };
  }

  /** The pack a card lies in. */
  packOf(cardSerial: string): string | undefined {
    return this.planner.packOf(cardSerial);
  }

  packs(): PackState[] {
    return this.planner.state();
  }

  /** Records whose card is packed (done) in one of these packs, closed, not reported before. */
  private newlyProduced(packIds: Iterable<string>): number[] {
    const out: number[] = [];
    for (const id of packIds) {
      const p = this.planner.pack(id);
      if (!p?.closed) continue;
      for (const c of p.cards) {
        if (this.packedDone.has(c.cardSerial) && !this.reported.has(c.seq)) {
          this.reported.add(c.seq);
          out.push(c.seq);
        }
      }
    }
    return out;
  }
}

function closedIn(changes: readonly PackChange[]): string[] {
  return changes.flatMap((c) => (c.kind === 'closed' ? [c.packId] : []));
}

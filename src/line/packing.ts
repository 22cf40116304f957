/**
 * The controller's side of a packer (issue 14) for one batch run: which pack each good card goes
 * into (the planner), what the packer is told, whether its result matches, and which records are
 * produced — with a packer, a record is produced once its card lies in a closed pack.
 *
 * The plan is made when the packer asks for a card's job, and its changes must be committed before
 * the job is sent: a pack opened, evicted or closed for that card is then on record whatever the
 * PLC does next, and a card whose packing fails is taken out again (`remove`), never forgotten.
 */
import type { LineConfig } from '../config/line-config.ts';
import { UNSORTED } from '../domain/delivery-office.ts';
import { PACKING_DEFAULTS, type PackChange, type PackInstruction, type PackingConfig, type PackState } from '../packing/pack.ts';
import { stationKind } from '../stations/kinds.ts';
import { PackPlanner, type Placement } from '../packing/planner.ts';

export interface PackingRecord {
  readonly seq: number;
  /** The record's state on the line. */
  readonly status: 'queued' | 'in-line' | 'produced' | 'failed' | 'cancelled';
}

/** A record produced: its card lies, packed, in a closed pack (`position`: the card's place in the pack). */
export interface ProducedRecord {
  readonly seq: number;
  readonly cardSerial: string;
  readonly position: number;
}

export interface PlannedPacking {
  readonly instruction: PackInstruction;
  /** To be committed before the job is sent. */
  readonly changes: readonly PackChange[];
  /** Records produced by what the plan closed (their cards were packed before). */
  readonly produced: readonly ProducedRecord[];
}

export interface PackingUpdate {
  readonly changes: readonly PackChange[];
  readonly produced: readonly ProducedRecord[];
}

export type PackResultCheck = { readonly ok: true; readonly packId: string; readonly produced: readonly ProducedRecord[] } | { readonly ok: false; readonly detail: string };

/** The packing station of a line and its pockets and pack size, or undefined for a line without one. */
export function packingOf(line: LineConfig): { readonly stationId: string; readonly config: PackingConfig } | undefined {
  const station = line.stations.find((s) => stationKind(s.kind).role === 'pack');
  if (!station) return undefined;
  return { stationId: station.id, config: { pockets: station.packPockets ?? PACKING_DEFAULTS.pockets, packSize: station.packSize ?? PACKING_DEFAULTS.packSize } };
}

export class PackingRun {
  /** Cards the packer reported done (packed), by serial, with their record and place in the pack. */
  private readonly packedDone = new Map<string, { seq: number; position: number }>();
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
    // A record with a card in a pack brings no more (the store keeps a record's card serial only once produced).
    const packedRecords = new Set(packs.flatMap((p) => p.cards.map((c) => c.seq)));
    const pending = new Map<string, number>();
    for (const r of records) {
      if (r.status === 'produced' || r.status === 'failed' || r.status === 'cancelled') continue;
      if (packedRecords.has(r.seq)) continue;
      const office = offices.get(r.seq) ?? UNSORTED;
      pending.set(office, (pending.get(office) ?? 0) + 1);
    }
    const run = new PackingRun(new PackPlanner(batchId, config, packs, pending), offices);
    for (const p of packs) p.cards.forEach((c, i) => doneCards.has(c.cardSerial) && run.packedDone.set(c.cardSerial, { seq: c.seq, position: i + 1 }));
    for (const r of records) if (r.status === 'produced') run.reported.add(r.seq);
    return run;
  }

  /**
   * Records whose card the packer packed (its result committed) that are not produced: the last run
   * stopped before their pack closed. `produced`: those whose pack has closed since (now reported).
   */
  packedUnproduced(): { waiting: ProducedRecord[]; produced: ProducedRecord[] } {
    const waiting: ProducedRecord[] = [];
    const produced: ProducedRecord[] = [];
    for (const [cardSerial, done] of this.packedDone) {
      if (this.reported.has(done.seq)) continue;
      const packId = this.planner.packOf(cardSerial);
      const record = { seq: done.seq, cardSerial, position: done.position };
      if (packId !== undefined && this.planner.pack(packId)?.closed) {
        this.reported.add(done.seq);
        produced.push(record);
      } else waiting.push(record);
    }
    return { waiting, produced };
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
  done(cardSerial: string, result: { packId: string; pocket: number; count: number }): PackResultCheck {
    const packId = this.planner.packOf(cardSerial);
    if (packId === undefined) return { ok: false, detail: `the packer packed ${cardSerial}, which no pack plan holds` };
    if (result.packId !== packId) return { ok: false, detail: `the packer put the card into pack ${result.packId}, the plan says ${packId}` };
    const seq = this.planner.pack(packId)!.cards.find((c) => c.cardSerial === cardSerial)!.seq;
    this.packedDone.set(cardSerial, { seq, position: result.count });
    return { ok: true, packId, produced: this.newlyProduced([packId]) };
  }

  /**
   * Takes a card out of its pack: its packing failed or is in doubt, or an inspector rejected it.
   * `remade`: its record brings another card.
   */
  remove(cardSerial: string, reason: string, remade: boolean): PackingUpdate {
    const changes = this.planner.remove(cardSerial, reason, remade);
    const done = this.packedDone.get(cardSerial);
    this.packedDone.delete(cardSerial);
    if (done !== undefined) this.reported.delete(done.seq);
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

  /** Closes every open pack (the run aborted): the packed cards in them are produced. */
  closeAll(): PackingUpdate {
    const changes = this.planner.closeAll();
    return { changes, produced: this.newlyProduced(closedIn(changes)) };
  }

  /** Records whose card is packed (done) in one of these packs, closed, not reported before. */
  private newlyProduced(packIds: Iterable<string>): ProducedRecord[] {
    const out: ProducedRecord[] = [];
    for (const id of packIds) {
      const p = this.planner.pack(id);
      if (!p?.closed) continue;
      for (const c of p.cards) {
        const done = this.packedDone.get(c.cardSerial);
        if (done && !this.reported.has(c.seq)) {
          this.reported.add(c.seq);
          out.push({ seq: c.seq, cardSerial: c.cardSerial, position: done.position });
        }
      }
    }
    return out;
  }
}

function closedIn(changes: readonly PackChange[]): string[] {
  return changes.flatMap((c) => (c.kind === 'closed' ? [c.packId] : []));
}

/**
 * The packer's physical model: a row of pockets, each holding at most one open delivery pack. A card
 * the packer takes goes into the pack its job names, in the pocket the job names: a pack of another
 * id lying there is ejected first (onto the packer's outfeed, closed), and a pack not in the packer
 * (reopened after a card was taken out of it) is loaded into the pocket. After the card, the pack is
 * ejected when the job says it closes. The packer follows its jobs and does not count: the host
 * plans the packs (src/packing/planner.ts); what the simulator adds is the physical truth, written to
 * the ledger, against which tests hold `cardline pack list`.
 */
import type { PackInstruction } from '../../src/packing/pack.ts';
import type { Ledger, LedgerState } from '../ledger.ts';
import type { Card } from './card.ts';
import { chipContentSha256, DG1_FID, parseDg1Mrz } from './chip.ts';
import { dg1Digest } from '../ledger.ts';

function digestOf(mrz: string | null): string | null {
  return mrz === null ? null : dg1Digest(mrz);
}


/** A pack in a pocket, as the ledger restores it. */
export interface PocketPack {
  readonly packId: string;
  readonly office: string;
  readonly cards: readonly string[];
}

/** The ledger events the packer writes (simulators/ledger.ts). */
export interface PackerLedger {
  loaded(packId: string, pocket: number): void;
  packed(card: Card, packId: string, office: string, pocket: number): void;
  ejected(packId: string, pocket: number, reason: 'closed' | 'pocket-needed' | 'unloaded'): void;
  removed(cardSerial: string, packId: string, reason: string): void;
}

export type PackOutcome = { readonly ok: true; readonly count: number } | { readonly ok: false; readonly problem: string };

export class PackerPockets {
  private readonly pockets: (PocketPack | null)[];

  constructor(
    readonly station: string,
    pockets: number,
    private readonly ledger: PackerLedger,
    /** What lay in each pocket when the previous simulator process stopped. */
    restored: ReadonlyMap<number, PocketPack> = new Map(),
    /** Cards in packs that are out of the packer (a reopened pack is loaded with them). */
    private readonly packsOut: (packId: string) => readonly string[] = () => [],
  ) {
    if (!Number.isInteger(pockets) || pockets < 1) throw new RangeError(`packer ${station}: pockets must be a whole number ≥ 1, got ${pockets}`);
    this.pockets = new Array<PocketPack | null>(pockets).fill(null);
    for (const [pocket, pack] of restored) if (pocket < pockets) this.pockets[pocket] = pack;
  }

  get size(): number {
    return this.pockets.length;
  }

  /** The packs lying in the pockets now (null: an empty pocket). */
  contents(): readonly (PocketPack | null)[] {
    return this.pockets.map((p) => p && { ...p, cards: [...p.cards] });
  }

  /** Puts `card` into the pack its job names; refuses a pocket the packer does not have. */
  put(card: Card, job: PackInstruction): PackOutcome {
    if (!Number.isInteger(job.pocket) || job.pocket < 0 || job.pocket >= this.pockets.length) {
      return { ok: false, problem: `pocket ${job.pocket} does not exist (pockets 0–${this.pockets.length - 1})` };
    }
    const elsewhere = this.pockets.findIndex((p, i) => i !== job.pocket && p?.packId === job.packId);
    if (elsewhere >= 0) return { ok: false, problem: `pack ${job.packId} lies in pocket ${elsewhere}, not ${job.pocket}` };
    let here = this.pockets[job.pocket] ?? null;
    if (here && here.packId !== job.packId) {
      this.eject(job.pocket, 'pocket-needed');
      here = null;
    }
    if (!here) {
      here = { packId: job.packId, office: job.office, cards: [...this.packsOut(job.packId)] };
      this.pockets[job.pocket] = here;
      this.ledger.loaded(job.packId, job.pocket);
    }
    here = { ...here, cards: [...here.cards, card.serial] };
    this.pockets[job.pocket] = here;
    card.location = { at: 'pack', station: this.station, packId: job.packId, pocket: job.pocket };
    this.ledger.packed(card, job.packId, job.office, job.pocket);
    const count = here.cards.length;
    if (job.closesPack) this.eject(job.pocket, 'closed');
    return { ok: true, count };
  }

  /** A person takes a card out of its pack (in a pocket or out of the packer). False when no pack holds it. */
  removeCard(cardSerial: string, packId: string, reason: string): boolean {
    const i = this.pockets.findIndex((p) => p?.packId === packId);
    if (i >= 0) {
      const pack = this.pockets[i]!;
      if (!pack.cards.includes(cardSerial)) return false;
      this.pockets[i] = { ...pack, cards: pack.cards.filter((c) => c !== cardSerial) };
    } else if (!this.packsOut(packId).includes(cardSerial)) {
      return false;
    }
    this.ledger.removed(cardSerial, packId, reason);
    return true;
  }

  /** The operator takes every pack out of the pockets (at the end of a batch). Returns their ids. */
  unload(): string[] {
    const out: string[] = [];
    this.pockets.forEach((p, i) => {
      if (!p) return;
      out.push(p.packId);
      this.eject(i, 'unloaded');
    });
    return out;
  }

  private eject(pocket: number, reason: 'closed' | 'pocket-needed' | 'unloaded'): void {
    const pack = this.pockets[pocket];
    if (!pack) return;
    this.pockets[pocket] = null;
    this.ledger.ejected(pack.packId, pocket, reason);
  }
}

/** The packer's events as ledger lines: a packed card with what its chip and surface physically hold. */
export function packerLedger(ledger: Ledger, station: string): PackerLedger {
  return {
    loaded: (packId, pocket) => ledger.append({ ev: 'packLoaded', station, packId, pocket }),
    packed: (card, packId, office, pocket) =>
      ledger.append({
        ev: 'packed',
        card: card.serial,
        station,
        packId,
        office,
        pocket,
        chipSha256: chipContentSha256(card.chip.contents()),
        surfaceSha256: card.surface.sha256(),
        dg1Digest: digestOf(parseDg1Mrz(card.chip.file(DG1_FID))),
      }),
    ejected: (packId, pocket, reason) => ledger.append({ ev: 'packEjected', station, packId, pocket, reason }),
    removed: (card, packId, reason) => ledger.append({ ev: 'packCardRemoved', card, packId, reason }),
  };
}

/** A packer as the ledger left it: what lies in its pockets, and the cards of packs out of it. */
export function packerFromLedger(station: string, pockets: number, ledger: Ledger): PackerPockets {
  const state: LedgerState = ledger.state;
  const inPockets = new Map<number, PocketPack>();
  for (const [packId, p] of state.packs) {
    if (p.station === station && p.pocket !== null) inPockets.set(p.pocket, { packId, office: p.office, cards: p.cards.map((c) => c.cardSerial) });
  }
  const out = (packId: string) => state.packs.get(packId)?.cards.map((c) => c.cardSerial) ?? [];
  return new PackerPockets(station, pockets, packerLedger(ledger, station), inPockets, out);
}

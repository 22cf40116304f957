/**
 * Pack planning for one batch on one packer: which pack (and pocket) each good card goes into, and
 * when a pack closes. Pure and deterministic: the controller asks, persists the changes with the
 * card's result, and tells the packer through the card's job.
 *
 * Rules (issue 14):
 * - A packer holds `pockets` open packs at once, one a pocket; a card goes into its office's open
 *   pack, or a new one.
 * - A pack closes when it holds `packSize` cards, when its office has no more cards pending in the
 *   batch, or when its pocket is needed for another office (then it is a *remainder* pack). The
 *   pocket given up is the one used least recently.
 * - A card taken out of a pack (an inspector rejected it after packing, or its packing went wrong)
 *   reopens the pack; its record's re-made card fills the hole before any other pack of the office
 *   gets a card, so every office keeps at most one pack that is neither full nor a remainder. The
 *   pack's next close issues a manifest of the next version.
 *
 * "Pending" counts, per office, the records that will still bring a card to the packer: records not
 * ended whose card is not packed.
 */
import { packIdOf, type PackCard, type PackChange, type PackingConfig, type PackState } from './pack.ts';

interface Pack {
  readonly packId: string;
  readonly office: string;
  readonly packNo: number;
  cards: PackCard[];
  pocket: number | null;
  closed: boolean;
  remainder: boolean;
  manifestVersion: number;
  /** When a card last went in (planner ticks): the least recently used pocket is given up first. */
  lastUse: number;
  /** Slots used so far (a removed card's slot is not reused, so slots stay unique in the store). */
  slots: number;
}

export interface Placement {
  readonly packId: string;
  readonly pocket: number;
  readonly office: string;
  /** The pack closes with this card (full, or its office's last card): the packer ejects it. */
  readonly closesPack: boolean;
  readonly changes: readonly PackChange[];
}

export interface CardToPack extends PackCard {
  readonly office: string;
}

export class PackPlanner {
  private readonly packs = new Map<string, Pack>();
  private readonly pockets: (string | null)[];
  private readonly pending = new Map<string, number>();
  private readonly packOfCard = new Map<string, string>();
  private readonly placements = new Map<string, Omit<Placement, 'changes'>>();
  private nextPackNo = 1;
  private tick = 0;

  constructor(
    readonly batchId: string,
    readonly config: PackingConfig,
    restored: readonly PackState[] = [],
    pending: Iterable<readonly [string, number]> = [],
  ) {
    if (!Number.isInteger(config.pockets) || config.pockets < 1) throw new RangeError(`packPockets must be a whole number ≥ 1, got ${config.pockets}`);
    if (!Number.isInteger(config.packSize) || config.packSize < 1) throw new RangeError(`packSize must be a whole number ≥ 1, got ${config.packSize}`);
    this.pockets = new Array<string | null>(config.pockets).fill(null);
    for (const p of [...restored].sort((a, b) => a.packNo - b.packNo)) {
      const pack: Pack = { ...p, cards: [...p.cards], lastUse: this.tick++, slots: p.cards.length };
      if (p.pocket !== null) {
        if (p.closed) throw new Error(`pack ${p.packId} is closed but still holds pocket ${p.pocket}`);
        if (p.pocket < 0 || p.pocket >= config.pockets) throw new RangeError(`pack ${p.packId} holds pocket ${p.pocket}; the packer has pockets 0–${config.pockets - 1}`);
        if (this.pockets[p.pocket] !== null) throw new Error(`packs ${this.pockets[p.pocket]} and ${p.packId} both hold pocket ${p.pocket}`);
        this.pockets[p.pocket] = p.packId;
      }
      this.packs.set(p.packId, pack);
      for (const c of p.cards) this.packOfCard.set(c.cardSerial, p.packId);
      this.nextPackNo = Math.max(this.nextPackNo, p.packNo + 1);
    }
    for (const [office, n] of pending) this.pending.set(office, (this.pending.get(office) ?? 0) + n);
  }

  /** Records of `office` that will still bring a card. */
  pendingOf(office: string): number {
    return this.pending.get(office) ?? 0;
  }

  /** Every pack of the batch, in the order they were opened. */
  state(): PackState[] {
    return [...this.packs.values()].sort((a, b) => a.packNo - b.packNo).map((p) => this.snapshot(p));
  }

  pack(packId: string): PackState | undefined {
    const p = this.packs.get(packId);
    return p && this.snapshot(p);
  }

  /** The pack a card lies in, if any. */
  packOf(cardSerial: string): string | undefined {
    return this.packOfCard.get(cardSerial);
  }

  /**
   * Where a good card goes. Asked again for a card already placed (its job is sent again), the
   * answer is the same and changes nothing.
   */
  place(card: CardToPack): Placement {
    const earlier = this.placements.get(card.cardSerial);
    if (earlier && this.packOfCard.get(card.cardSerial) === earlier.packId) return { ...earlier, changes: [] };
    const placed = this.packOfCard.get(card.cardSerial);
    if (placed !== undefined) throw new Error(`card ${card.cardSerial} already lies in pack ${placed}; take it out first`);
    const changes: PackChange[] = [];
    const pack = this.packFor(card.office, changes);
    pack.cards.push({ cardSerial: card.cardSerial, seq: card.seq });
    pack.slots += 1;
    pack.lastUse = this.tick++;
    this.packOfCard.set(card.cardSerial, pack.packId);
    changes.push({ kind: 'packed', packId: pack.packId, card: { cardSerial: card.cardSerial, seq: card.seq }, slot: pack.slots });
    const pocket = pack.pocket!;
    this.pending.set(card.office, Math.max(0, this.pendingOf(card.office) - 1));
    if (pack.cards.length >= this.config.packSize) this.close(pack, false, changes);
    if (this.pendingOf(card.office) === 0) this.closeOffice(card.office, changes);
    const placement = { packId: pack.packId, pocket, office: card.office, closesPack: pack.closed };
    this.placements.set(card.cardSerial, placement);
    return { ...placement, changes };
  }

  /** A record of `office` ended without a packed card (failed, cancelled): one card fewer to wait for. */
  recordEnded(office: string): PackChange[] {
    const changes: PackChange[] = [];
    this.pending.set(office, Math.max(0, this.pendingOf(office) - 1));
    if (this.pendingOf(office) === 0) this.closeOffice(office, changes);
    return changes;
  }

  /**
   * Takes a card out of its pack (an inspector rejected it, or its packing is in doubt); the pack
   * reopens. `remade`: its record will bring another card (counted as pending again).
   */
  remove(cardSerial: string, reason: string, remade: boolean): PackChange[] {
    const packId = this.packOfCard.get(cardSerial);
    if (packId === undefined) return [];
    const pack = this.packs.get(packId)!;
    const changes: PackChange[] = [];
    pack.cards = pack.cards.filter((c) => c.cardSerial !== cardSerial);
    this.packOfCard.delete(cardSerial);
    this.placements.delete(cardSerial);
    const reopened = pack.closed;
    pack.closed = false;
    // A reopened remainder is filled like any other pack: it is a remainder again only if evicted again.
    if (reopened) pack.remainder = false;
    changes.push({ kind: 'removed', packId, cardSerial, reason, reopened });
    if (pack.cards.length === 0 && pack.manifestVersion === 0 && !reopened) {
      // Its only card never got there (a jam, a lost job): the pack never physically existed.
      if (pack.pocket !== null) this.pockets[pack.pocket] = null;
      this.packs.delete(packId);
      changes.push({ kind: 'dropped', packId });
    }
    if (remade) this.pending.set(pack.office, this.pendingOf(pack.office) + 1);
    else if (this.pendingOf(pack.office) === 0) this.closeOffice(pack.office, changes);
    return changes;
  }

  /** Closes every open pack (the batch ended or was aborted). */
  closeAll(): PackChange[] {
    const changes: PackChange[] = [];
    for (const p of [...this.packs.values()].sort((a, b) => a.packNo - b.packNo)) if (!p.closed) this.close(p, false, changes);
    return changes;
  }

  private packFor(office: string, changes: PackChange[]): Pack {
    const open = [...this.packs.values()].filter((p) => p.office === office && !p.closed && p.cards.length < this.config.packSize);
    // A reopened pack is filled first: its hole would otherwise leave the office two short packs.
    const reopened = open.filter((p) => p.pocket === null).sort((a, b) => a.packNo - b.packNo)[0];
    if (reopened) {
      reopened.pocket = this.freePocket(changes);
      this.pockets[reopened.pocket] = reopened.packId;
      changes.push({ kind: 'loaded', packId: reopened.packId, pocket: reopened.pocket });
      return reopened;
    }
    const inPocket = open.find((p) => p.pocket !== null);
    if (inPocket) return inPocket;
    const pocket = this.freePocket(changes);
    const packNo = this.nextPackNo++;
    const pack: Pack = { packId: packIdOf(this.batchId, packNo), office, packNo, cards: [], pocket, closed: false, remainder: false, manifestVersion: 0, lastUse: this.tick++, slots: 0 };
    this.packs.set(pack.packId, pack);
    this.pockets[pocket] = pack.packId;
    changes.push({ kind: 'opened', packId: pack.packId, office, packNo, pocket });
    return pack;
  }

  /** The first free pocket, or the least recently used one, whose pack then closes as a remainder. */
  private freePocket(changes: PackChange[]): number {
    const free = this.pockets.indexOf(null);
    if (free >= 0) return free;
    let victim: Pack | undefined;
    for (const id of this.pockets) {
      const p = this.packs.get(id!)!;
      if (!victim || p.lastUse < victim.lastUse) victim = p;
    }
    const pocket = victim!.pocket!;
    this.close(victim!, true, changes);
    return pocket;
  }

  private closeOffice(office: string, changes: PackChange[]): void {
    for (const p of [...this.packs.values()].sort((a, b) => a.packNo - b.packNo)) if (p.office === office && !p.closed) this.close(p, false, changes);
  }

  private close(pack: Pack, remainder: boolean, changes: PackChange[]): void {
    if (pack.pocket !== null) this.pockets[pack.pocket] = null;
    pack.pocket = null;
    pack.closed = true;
    pack.remainder = remainder;
    pack.manifestVersion += 1;
    changes.push({ kind: 'closed', packId: pack.packId, remainder, manifestVersion: pack.manifestVersion });
  }

  private snapshot(p: Pack): PackState {
    return { packId: p.packId, batchId: this.batchId, office: p.office, packNo: p.packNo, cards: [...p.cards], pocket: p.pocket, closed: p.closed, remainder: p.remainder, manifestVersion: p.manifestVersion };
  }
}

/**
 * Where blank and finished cards lie: the feeder magazine, the output stacker, the reject bin.
 */

/** The feeder magazine: lots of blanks, fed first in, first out. */
export class Magazine {
  private readonly lots: { lot: string; count: number }[] = [];

  constructor(lots: readonly { lot: string; count: number }[] = []) {
    for (const l of lots) if (l.count > 0) this.lots.push({ ...l });
  }

  get count(): number {
    return this.lots.reduce((n, l) => n + l.count, 0);
  }

  get contents(): readonly { lot: string; count: number }[] {
    return this.lots.map((l) => ({ ...l }));
  }

  load(count: number, lot: string): void {
    if (!Number.isInteger(count) || count <= 0) throw new RangeError(`a load of blanks must be a positive whole number, got ${count}`);
    const last = this.lots[this.lots.length - 1];
    if (last?.lot === lot) last.count += count;
    else this.lots.push({ lot, count });
  }

  /** The lot of the next blank, or undefined when empty. */
  peekLot(): string | undefined {
    return this.lots[0]?.lot;
  }

  /** Takes the next blank; returns its lot. */
  take(): string {
    const first = this.lots[0];
    if (!first) throw new Error('the magazine is empty');
    first.count -= 1;
    if (first.count === 0) this.lots.shift();
    return first.lot;
  }
}

export interface StackerSlot {
  readonly cardSerial: string;
  readonly position: number;
  /** dg1Digest of the chip's DG1 MRZ (simulators/ledger.ts), or null. */
  readonly dg1Digest: string | null;
}

/** The output stacker: numbered positions from 1, up to its capacity (then the output is blocked). */
export class Stacker {
  private readonly slots: StackerSlot[];

  constructor(
    readonly station: string,
    /** Positions before it is full; Infinity when the configuration gives none. */
    readonly capacity: number,
    restored: readonly StackerSlot[] = [],
  ) {
    this.slots = [...restored];
  }

  get count(): number {
    return this.slots.length;
  }

  get full(): boolean {
    return this.slots.length >= this.capacity;
  }

  get cards(): readonly StackerSlot[] {
    return this.slots;
  }

  /** The position the next card gets. */
  nextPosition(): number {
    return this.slots.reduce((max, s) => Math.max(max, s.position), 0) + 1;
  }

  put(slot: StackerSlot): void {
    if (this.full) throw new Error(`stacker ${this.station} is full (${this.capacity} positions)`);
    this.slots.push(slot);
  }

  /** Takes every card out (an operator unloads the stack); positions start again at 1. */
  empty(): StackerSlot[] {
    return this.slots.splice(0, this.slots.length);
  }
}

/**
 * A simulated blank card and what was done to it: its chip, its surface, where it is now.
 */
import { Chip } from './chip.ts';
import { Surface } from './surface.ts';

export type CardLocation =
  | { readonly at: 'unit'; readonly unitId: string }
  | { readonly at: 'transfer'; readonly from: string; readonly to: string }
  | { readonly at: 'stacker'; readonly station: string; readonly position: number }
  | { readonly at: 'pack'; readonly station: string; readonly packId: string; readonly pocket: number }
  | { readonly at: 'reject'; readonly reason: string };

export class Card {
  readonly chip = new Chip();
  readonly surface = new Surface();
  location: CardLocation;

  constructor(
    /** `<serialPrefix><8-digit sequence>`. */
    readonly serial: string,
    /** The blank's sequence number on this line (seeds the card's random draws). */
    readonly seq: number,
    /** The blank lot it came from. */
    readonly lot: string,
    unitId: string,
  ) {
    this.location = { at: 'unit', unitId };
  }
}

export function cardSerial(prefix: string, seq: number): string {
  return `${prefix}${String(seq).padStart(8, '0')}`;
}

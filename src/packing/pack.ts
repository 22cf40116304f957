/**
 * The shapes of delivery packs, shared by the planner, the store, the manifest and the CLI. No I/O.
 * A pack holds the good cards of one delivery office; it gets a pack id (what its Code 128 label
 * carries) and, each time it closes, a manifest of a new version.
 */

export interface PackingConfig {
  /** Packs a packer keeps open at once, one a pocket. */
  readonly pockets: number;
  /** Cards in a full pack. */
  readonly packSize: number;
}

export const PACKING_DEFAULTS: PackingConfig = Object.freeze({ pockets: 8, packSize: 50 });

export interface PackCard {
  readonly cardSerial: string;
  /** The record's sequence number in its batch. */
  readonly seq: number;
}

export interface PackState {
  readonly packId: string;
  readonly batchId: string;
  readonly office: string;
  /** 1, 2, … within the batch, in the order the packs were opened. */
  readonly packNo: number;
  /** The cards in the pack now, in the order they went in. */
  readonly cards: readonly PackCard[];
  /** The pocket the pack occupies while in the packer (0-based); null once out of it. */
  readonly pocket: number | null;
  readonly closed: boolean;
  /** Closed before it was full because its pocket was needed for another office. */
  readonly remainder: boolean;
  /** Manifests issued: 0 while never closed, then 1, and one more at each re-close after a card was removed. */
  readonly manifestVersion: number;
}

/** What changed in the packs, in order: the store applies these, in the commit of the card's result. */
export type PackChange =
  | { readonly kind: 'opened'; readonly packId: string; readonly office: string; readonly packNo: number; readonly pocket: number }
  /** A reopened pack (a card was taken out) goes back into a pocket to be filled. */
  | { readonly kind: 'loaded'; readonly packId: string; readonly pocket: number }
  | { readonly kind: 'packed'; readonly packId: string; readonly card: PackCard; readonly slot: number }
  | { readonly kind: 'closed'; readonly packId: string; readonly remainder: boolean; readonly manifestVersion: number }
  | { readonly kind: 'removed'; readonly packId: string; readonly cardSerial: string; readonly reason: string; readonly reopened: boolean }
  /** A pack that never held a card (its only card did not get there): it does not exist. */
  | { readonly kind: 'dropped'; readonly packId: string };

/** What the packer is told for a card (the job data of kind `pack`). */
export interface PackInstruction {
  readonly packId: string;
  readonly office: string;
  /** 0-based. */
  readonly pocket: number;
  /** The pack is complete with this card: the packer ejects it. */
  readonly closesPack: boolean;
}

/** `<batch id>-P<4 digits>`: printable ASCII, so Code 128 carries it as it is. */
export function packIdOf(batchId: string, packNo: number): string {
  return `${batchId}-P${String(packNo).padStart(4, '0')}`;
}

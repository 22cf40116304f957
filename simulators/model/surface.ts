/**
 * The printed surface of a simulated card: what the laser engraved on each side (by hash), the
 * MRZ its MRZ zone holds (as the laser job says), and how far the engraving sits from where it
 * should (registration). QA's camera sees only this.
 */
import { createHash } from 'node:crypto';

export type Side = 'front' | 'back';
const SIDE_ORDER: readonly Side[] = ['front', 'back'];

export interface EngravedSide {
  readonly side: Side;
  readonly mediaType: string;
  /** SHA-256 (hex) of the engraved bytes. */
  readonly sha256: string;
}

/** Registration error beyond which the print grade drops below 2.0 (mm). */
export const MISREGISTRATION_MM = 0.3;

export class Surface {
  private readonly sides = new Map<Side, EngravedSide>();
  private mrzLines: readonly string[] | null = null;
  /** Offset of the engraving from its nominal place, mm. */
  registrationOffsetMm = 0;

  engrave(sides: readonly { side: Side; mediaType: string; data: Buffer }[], mrz: readonly string[] | null): void {
    for (const s of sides) this.sides.set(s.side, { side: s.side, mediaType: s.mediaType, sha256: sha256Hex(s.data) });
    if (mrz) this.mrzLines = [...mrz];
  }

  get engraved(): readonly EngravedSide[] {
    return SIDE_ORDER.flatMap((side) => {
      const s = this.sides.get(side);
      return s ? [s] : [];
    });
  }

  get isEngraved(): boolean {
    return this.sides.size > 0;
  }

  /** The MRZ lines engraved in the MRZ zone, or null when none was engraved. */
  get mrz(): readonly string[] | null {
    return this.mrzLines;
  }

  /** engravedSha256 of the surface; null when nothing was engraved. */
  sha256(): string | null {
    return this.isEngraved ? engravedSha256(this.engraved.map((s) => s.sha256)) : null;
  }
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The laser's `engravedSha256`: SHA-256 over the 32-byte SHA-256 digests of the engraved sides,
 * front before back. A controller checks it with the side images it sent.
 */
export function engravedSha256(sideDigestsInOrder: readonly string[]): string {
  const hash = createHash('sha256');
  for (const hex of sideDigestsInOrder) hash.update(Buffer.from(hex, 'hex'));
  return hash.digest('hex');
}

/** engravedSha256 computed from a laser job's sides (any order in the job). */
export function engravedSha256OfSides(sides: readonly { side: Side; data: Buffer }[]): string {
  const bySide = new Map<Side, Buffer>();
  for (const s of sides) bySide.set(s.side, s.data);
  return engravedSha256(SIDE_ORDER.flatMap((side) => (bySide.has(side) ? [sha256Hex(bySide.get(side)!)] : [])));
}

/**
 * The PLC's view of its machine: what one unit's PLC logic can do physically. The line model
 * implements it (feeding from the magazine, drawing cycle times, doing the work, the reject gate).
 */
import type { StationKind } from '../../src/config/line-config.ts';
import type { Job } from '../../src/plc/job-data.ts';
import type { Card } from '../model/card.ts';
import type { WorkOutcome } from '../model/physics.ts';

export interface WorkSession {
  /** This card's cycle time at this station, simulated milliseconds (before any slow-down). */
  readonly cycleMs: number;
  /** Does the work at the end of the cycle. */
  finish(): WorkOutcome;
}

export interface Workcell {
  readonly unitId: string;
  readonly kind: StationKind;
  /** Feeder: the serial of the blank in the pick position, or undefined when the magazine is empty. */
  nextBlank(): string | undefined;
  /** Feeder: takes that blank out of the magazine into the unit. */
  feed(serial: string): Card;
  begin(card: Card, job: Job): WorkSession;
  /** The card leaves through the unit's reject gate into the reject bin. */
  reject(card: Card, reason: string): void;
  /** The card is purged from the unit into the reject bin (after an abort). */
  purge(card: Card, reason: string): void;
  /** Why the unit cannot produce with nothing inside: the feeder is starved, the output blocked. */
  blockage(): 'Starved' | 'Blocked' | undefined;
  /** Something changed that may let cards move. */
  changed(): void;
}

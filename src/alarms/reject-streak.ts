/**
 * A unit's run of rejects with one reason: what the repeated-reject alarm counts. A unit's result
 * is its `<kind>.done` journal event (reason null: good; a failed verdict on it in the same group:
 * the verdict's reason) or a job it failed (`job.failed`); a good
 * result ends the run, another reason starts a new one.
 */
import type { JournalOp } from '../store/line-store.ts';
import type { RejectStreak } from './rules.ts';

export interface UnitResult {
  readonly unitId: string;
  /** null: a good result. */
  readonly reason: string | null;
}

/** The units' results in a committed group, in order. */
export function unitResults(ops: readonly JournalOp[]): UnitResult[] {
  const out: UnitResult[] = [];
  // A judged station's verdict (`qa.failed`, `<kind>.failed`) follows its Done in the same group
  // and names only the card: it turns that Done's good result into the verdict's reason.
  const doneOf = new Map<string, number>();
  for (const op of ops) {
    if (op.op !== 'event') continue;
    if (op.unit && op.event.endsWith('.done')) {
      if (op.cardSerial) doneOf.set(op.cardSerial, out.length);
      out.push({ unitId: op.unit, reason: op.reason ?? null });
    } else if (op.unit && op.event === 'job.failed') {
      out.push({ unitId: op.unit, reason: op.reason ?? 'STATION_ERROR' });
    } else if (op.event.endsWith('.failed') && op.cardSerial && doneOf.has(op.cardSerial)) {
      const at = doneOf.get(op.cardSerial)!;
      out[at] = { unitId: out[at]!.unitId, reason: op.reason ?? 'STATION_ERROR' };
    }
  }
  return out;
}

export function nextStreak(streak: RejectStreak | null, reason: string | null): RejectStreak | null {
  if (reason === null) return null;
  return streak?.reason === reason ? { reason, count: streak.count + 1 } : { reason, count: 1 };
}

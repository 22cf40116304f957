/**
 * What the site shows of its lines and alarms (GET /lines, /lines/{id}, /alarms): plain data
 * without imports from Node-side modules, so the browser screens type their answers with the same
 * declarations (src/site/runtime.ts re-exports them). No personal data: cards by serial only.
 */
import type { AlarmState } from '../events/site-event.ts';

export type LinePhase =
  /** No batch running; the links are up (or reconnecting). */
  | 'idle'
  | 'running'
  | 'pausing'
  | 'paused'
  /** Another server holds the line's lease: this one answers for it from the database. */
  | 'remote'
  | 'stopping';

export interface UnitStatus {
  readonly id: string;
  /** PackML state name (src/plc/packml.ts), or 'unknown' before the first report. */
  readonly state: string;
  readonly mode: string;
  readonly connected: boolean;
  /** The card in the unit, if any (serial and attempt). */
  readonly card?: { readonly serial: string; readonly attempt: number } | undefined;
  /** Milliseconds since the unit's PLC heartbeat last changed; null when unknown (no link here, or not yet connected). */
  readonly heartbeatAgeMs: number | null;
  readonly processed: number;
  readonly defective: number;
  readonly reconnects: number;
}

export interface StationStatusView {
  readonly id: string;
  readonly kind: string;
  readonly units: readonly UnitStatus[];
}

export interface BatchProgressView {
  readonly batchId: string;
  readonly status: string;
  readonly records: number;
  readonly good: number;
  readonly spoiled: number;
  readonly pending: number;
  readonly inLine: number;
  /** Good cards an hour over this run's production time (src/cli/run-report.ts's one definition). */
  readonly cardsPerHour: number | null;
  readonly etaSeconds: number | null;
}

export interface LineStatusView {
  readonly id: string;
  readonly name: string;
  readonly simulated: boolean;
  readonly phase: LinePhase;
  /** Which server drives the line (its lease holder), if any. */
  readonly drivenBy: string | null;
  readonly stations: readonly StationStatusView[];
  readonly batch: BatchProgressView | null;
  /** Batch ids waiting on this line, in the order they will run. */
  readonly queue: readonly string[];
  /** stackerCapacity: the fullest stacker's capacity, so a screen can follow its fill from stacked cards. */
  readonly stock: { readonly blanksAvailable: number; readonly stackerFill: number | null; readonly stackerCapacity?: number | null };
}

export interface AlarmView {
  readonly id: string;
  readonly lineId: string;
  readonly unitId: string | null;
  /** What raised it, e.g. 'station.held', 'station.offline', 'heartbeat.stale', 'feeder.starved', 'stacker.full', 'reject.repeated'. */
  readonly condition: string;
  /** Operator-facing text without personal data. */
  readonly message: string;
  readonly priority: 'low' | 'medium' | 'high' | 'urgent';
  readonly state: AlarmState;
  readonly raisedAt: string;
  readonly clearedAt: string | null;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
}

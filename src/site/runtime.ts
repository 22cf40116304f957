/**
 * The seam between a site's running lines and everything that looks at them (the HTTP API, the
 * event stream, the screens): what `cardline serve` hosts. src/site implements it (one LineAgent a
 * line, with its batch queue); src/http only calls it. Nothing here carries personal data: cards
 * are named by serial, records by batch and sequence number.
 */
import type { AuthUser } from '../auth/session.ts';
import type { LineConfigView, SimulatorFaultRequest, SimulatorFaultResult, SimulatorView, UnitLinkView } from './engineer-views.ts';
import type { AlarmState, SiteEventBus } from '../events/site-event.ts';
import type { StationLink } from '../plc/station-link.ts';
import type { JournalOp } from '../store/line-store.ts';

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
  /** Milliseconds since the unit last reported (heartbeat or state); null when never. */
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
  readonly stock: { readonly blanksAvailable: number; readonly stackerFill: number | null };
}

/** A request the site refuses; `status` is the HTTP status the API answers with, `field` the request field at fault. */
export class SiteRequestError extends Error {
  override name = 'SiteRequestError';
  constructor(
    message: string,
    readonly status: 400 | 403 | 404 | 409 | 422 | 503,
    readonly field?: string,
  ) {
    super(message);
  }
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

/** The site's alarms (src/alarms): ISA-18.2 states, acknowledgement audited with the user. */
export interface AlarmBoard {
  /** Newest first; `openOnly`: active or still unacknowledged; `limit` default 500. */
  list(filter?: { readonly lineId?: string; readonly activeOnly?: boolean; readonly openOnly?: boolean; readonly limit?: number }): Promise<readonly AlarmView[]>;
  /** Throws SiteRequestError 404 for an unknown alarm, 409 for one already acknowledged. */
  acknowledge(alarmId: string, by: AuthUser): Promise<AlarmView>;
}

/**
 * What a line agent shows an observer (the event stream's producer, the alarm board) for as long as
 * the server drives the line: its links (station states, heartbeats), the journal's committed
 * operations (card steps, batch changes) and its progress (counters).
 */
export interface ObservedLine {
  readonly lineId: string;
  readonly links: ReadonlyMap<string, StationLink>;
  /** Registers a listener for every committed journal transaction; returns its removal. */
  onCommitted(listener: (ops: readonly JournalOp[]) => void): () => void;
  /** The running batch's progress now, null when idle. */
  progress(): BatchProgressView | null;
}

export interface LineObserver {
  /** Starts observing a line; returns the way to stop. */
  attach(line: ObservedLine): () => void;
}

/** What the screens and reports need of the site file (never a secret, never a path). */
export interface SiteSettingsView {
  readonly name: string;
  /** IANA zone of the shifts and of the screens' times. */
  readonly timeZone: string;
  readonly shifts: readonly { readonly name: string; readonly start: string; readonly end: string }[];
  /** A touch panel logs its user out after this many idle minutes. */
  readonly idleLogoutMinutes: number;
  /** The share of stacked cards sampled for a human QA look. */
  readonly qaSampleRate: number;
}

export interface SiteRuntime {
  readonly siteId: string;
  readonly settings: SiteSettingsView;
  readonly events: SiteEventBus;
  readonly alarms: AlarmBoard;
  lines(): Promise<readonly LineStatusView[]>;
  /** Throws SiteRequestError 404 for an unknown line. */
  line(lineId: string): Promise<LineStatusView>;
  enqueue(lineId: string, batchId: string, by: AuthUser): Promise<readonly string[]>;
  dequeue(lineId: string, batchId: string, by: AuthUser): Promise<readonly string[]>;
  reorder(lineId: string, batchIds: readonly string[], by: AuthUser): Promise<readonly string[]>;
  /** Starts the first queued batch (or `batchId`); `resume` continues an interrupted or paused one. */
  start(lineId: string, options: { readonly batchId?: string; readonly resume?: boolean }, by: AuthUser): Promise<BatchProgressView>;
  pause(lineId: string, by: AuthUser): Promise<void>;
  resume(lineId: string, by: AuthUser): Promise<void>;
  abort(lineId: string, records: 'requeue' | 'cancel', by: AuthUser): Promise<void>;
  /** Graceful stop: every line pauses at a safe point (no card half-acknowledged), leases released. */
  stop(): Promise<void>;
  // The engineer view (issue 18): never a secret, never personal data.
  /** The line file as loaded, secrets left out (src/config/line-config-view.ts). 404 for an unknown line. */
  lineConfig(lineId: string): Promise<LineConfigView>;
  /** Each unit's link health as this server sees it (all disconnected when it does not drive the line). */
  linkHealth(lineId: string): Promise<readonly UnitLinkView[]>;
  /** A simulated line's simulator: its units' faults, its stock and its ledger. 409 for a real line or one this server does not drive. */
  simulator(lineId: string): Promise<SimulatorView>;
  /** Injects or clears a fault in a simulated line's simulator, audited with the user. 409 as simulator(); 404 for an unknown unit. */
  simulatorFault(lineId: string, request: SimulatorFaultRequest, by: AuthUser): Promise<SimulatorFaultResult>;
}

export * from './engineer-views.ts';

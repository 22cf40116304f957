/**
 * The seam between a site's running lines and everything that looks at them (the HTTP API, the
 * event stream, the screens): what `cardline serve` hosts. src/site implements it (one LineAgent a
 * line, with its batch queue); src/http only calls it. Nothing here carries personal data: cards
 * are named by serial, records by batch and sequence number.
 */
import type { AuthUser } from '../auth/session.ts';
import type { LineConfigView } from '../config/line-config-view.ts';
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

export type { LineConfigView };

/** A unit's station link as the engineer sees it. */
export interface UnitLinkView {
  readonly unitId: string;
  readonly stationId: string;
  readonly transport: 'opcua' | 'modbus';
  /** The transport is up and the PLC's heartbeat live. */
  readonly connected: boolean;
  /** The transport is up (null when the link cannot tell). */
  readonly reachable: boolean | null;
  /** PackML state name, 'unknown' before the first report. */
  readonly state: string;
  /** Since the PLC's heartbeat last changed (ms); null when unknown. */
  readonly heartbeatAgeMs: number | null;
  /** Times the link came back up after it was down, since this server took the line. */
  readonly reconnects: number;
  /** The last thing that went wrong on the link (down, a failed job, a protocol fault), credentials removed. */
  readonly lastError: { readonly message: string; readonly at: string } | null;
  /** The last handshakes' latencies, ms, oldest first (JobReady → JobAck, DoneAck → Done cleared). */
  readonly handshakes: { readonly jobAckMs: readonly number[]; readonly doneClearMs: readonly number[] };
}

export const SIMULATOR_FAULTS = ['drop-connection', 'freeze-heartbeat', 'e-stop', 'jam', 'slow-cycles'] as const;
export type SimulatorFaultName = (typeof SIMULATOR_FAULTS)[number];

export interface SimulatorFaultRequest {
  /** The unit (`feeder`, `encoder.2`); a jam strikes the unit's whole station. */
  readonly unit: string;
  readonly fault: SimulatorFaultName;
  /** inject (default) or clear: unfreeze, PackML Clear after an e-stop, the file's jam rate, normal cycles. */
  readonly action?: 'inject' | 'clear';
  /** slow-cycles: cycle times are multiplied by this (default 4). */
  readonly factor?: number;
  /** jam: the chance a card jams at the station (default 1: the next card). */
  readonly probability?: number;
}

export interface SimulatorFaultResult {
  readonly unit: string;
  readonly fault: SimulatorFaultName;
  readonly action: 'inject' | 'clear';
  /** Every unit the fault reached (one OPC UA server carries all OPC UA units of a line). */
  readonly units: readonly string[];
}

export interface SimulatorView {
  readonly units: readonly { readonly unitId: string; readonly state: string; readonly stopReason: string; readonly heartbeatFrozen: boolean; readonly slowFactor: number; readonly jam: number }[];
  /** The simulator's ledger (the physical truth), counts only. */
  readonly ledger: {
    readonly blanksLoaded: number;
    readonly magazine: number;
    readonly fed: number;
    /** Cards lying in the stacker(s) now, and ever stacked. */
    readonly inStacker: number;
    readonly stacked: number;
    readonly unloaded: number;
    /** Cards in the reject bin now, by reason. */
    readonly inRejectBin: number;
    readonly rejectReasons: Readonly<Record<string, number>>;
    readonly purged: number;
    readonly inMachine: number;
  };
}

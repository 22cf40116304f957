/**
 * The seam between a site's running lines and everything that looks at them (the HTTP API, the
 * event stream, the screens): what `cardline serve` hosts. src/site implements it (one LineAgent a
 * line, with its batch queue); src/http only calls it. Nothing here carries personal data: cards
 * are named by serial, records by batch and sequence number.
 */
import type { AuthUser } from '../auth/session.ts';
import type { LineConfigView, SimulatorFaultRequest, SimulatorFaultResult, SimulatorView, UnitLinkView } from './engineer-views.ts';
import type { SiteEventBus } from '../events/site-event.ts';
import type { StationLink } from '../plc/station-link.ts';
import type { CommitListener } from '../store/line-store.ts';
import type { AlarmView, BatchProgressView, LineStatusView } from './views.ts';

export type { AlarmView, BatchProgressView, LinePhase, LineStatusView, StationStatusView, UnitStatus } from './views.ts';

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
  /** Registers a listener for every committed journal transaction (its operations and how long its commit took); returns its removal. */
  onCommitted(listener: CommitListener): () => void;
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
  /**
   * Records a lot of blanks loaded into a line's feeder (a lot is loaded once: the same lot again is
   * 'already-loaded'); a line simulated in this server gets the blanks in its simulated magazine.
   */
  loadStock(lineId: string, count: number, lot: string, by: AuthUser): Promise<'loaded' | 'already-loaded'>;
  /**
   * An inspector's reject of a stacked card of a batch a line of this server is running: handed to
   * that line's controller, which re-makes the record during the run (src/line/controller/inspector-reject.ts).
   * Undefined when no line of this server runs `batchId`.
   */
  rejectRunningCard(batchId: string, cardSerial: string, input: { readonly reason: string; readonly note?: string }, by: AuthUser): Promise<{ batchId: string; seq: number; record: string } | undefined>;
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

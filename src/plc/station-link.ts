/**
 * The StationLink port: how the line controller talks to one station (or encoder head),
 * whatever the transport. The machines see only these events and errors; OPC UA and Modbus TCP
 * deliver the same ones (docs/plc-interface.md, "The handshake").
 */
import type { PackMLCommandName, PackMLState } from './packml.ts';

export interface StationStatus {
  readonly state: PackMLState;
  readonly unitMode: number;
  readonly processed: number;
  readonly defective: number;
  readonly stopReason: number;
}

export interface StationJob {
  /** Never 0, never reused on a line. */
  readonly jobId: number;
  /** The card the job is for: must be the card the station reported present. */
  readonly cardSerial: string;
  readonly data: Buffer;
}

export type JobFailureCode =
  /** JobAck or Done did not come within its timeout. */
  | 'timeout'
  /** The link went down (or the PLC restarted) with the job in the station; its outcome is unknown. */
  | 'lost'
  /** The PLC echoed another job id, or reported a result for another job. */
  | 'mismatch';

export type StationEvent =
  | { readonly type: 'plc.link.up'; readonly stationId: string }
  | { readonly type: 'plc.link.down'; readonly stationId: string; readonly reason: string }
  | {
      readonly type: 'plc.state';
      readonly stationId: string;
      readonly status: StationStatus;
      readonly previous: PackMLState | undefined;
      /**
       * When the unit entered this state (ms since the epoch): the PLC's own time of the change
       * where the protocol carries it, kept only within the bounds of when the link saw it
       * (handshake-link.ts `timeOfChange`); otherwise when the link saw it.
       */
      readonly at?: number;
    }
  | { readonly type: 'plc.card.present'; readonly stationId: string; readonly cardSerial: string }
  | { readonly type: 'plc.job.accepted'; readonly stationId: string; readonly jobId: number; readonly cardSerial: string }
  | {
      readonly type: 'plc.job.done';
      readonly stationId: string;
      readonly jobId: number;
      readonly cardSerial: string;
      /** 0 good, otherwise a RESULT_CODES value. */
      readonly result: number;
      readonly data: Buffer;
    }
  | {
      readonly type: 'plc.job.failed';
      readonly stationId: string;
      readonly jobId: number;
      readonly cardSerial: string;
      readonly code: JobFailureCode;
      readonly reason: string;
    }
  /** Something the protocol delivered that makes no sense (a bad status code, a CRC mismatch). */
  | { readonly type: 'plc.fault'; readonly stationId: string; readonly error: StationLinkError };

export type StationEventType = StationEvent['type'];

export interface StationLink {
  readonly stationId: string;
  /** Where the station is, for messages: `opc.tcp://host:port Feeder`, `modbus 10.0.0.5:502 unit 1`. */
  readonly endpoint: string;
  /** The last status the PLC reported, or undefined before the first connection. */
  readonly status: StationStatus | undefined;
  readonly connected: boolean;
  /**
   * Whether the transport to the PLC is up, whatever its heartbeat does (`connected` also needs a
   * live heartbeat): a reachable PLC with a frozen heartbeat has a stale heartbeat, not a lost link.
   * Optional: links that cannot tell leave it undefined.
   */
  readonly reachable?: boolean | undefined;
  /**
   * When (ms since the epoch) the PLC's heartbeat was last seen changing, or the transport last came
   * up (a fresh period, as the link's own timeout counts it); undefined before the first connection.
   * A heartbeat's age is measured from this, never from the last event: a healthy idle line sends none.
   */
  readonly lastHeartbeatAt: number | undefined;
  /**
   * The serial of the card waiting for a job, if any: what the last `plc.card.present` announced,
   * for a controller that subscribes after it was sent (at start, after a restart).
   */
  readonly cardPresent: string | undefined;
  /**
   * How long the PLC took in the last handshakes (the engineer view's link health): JobReady →
   * JobAck and DoneAck → Done cleared, milliseconds, oldest first. Optional: links that do not
   * measure leave it undefined.
   */
  readonly handshakeLatency?: HandshakeLatency | undefined;
  /** Starts the link; it reconnects by itself until close(). Resolves on the first connection. */
  connect(): Promise<void>;
  close(): Promise<void>;
  subscribe(listener: (event: StationEvent) => void): () => void;
  /**
   * Answers a `plc.card.present` with that card's job. Resolves when the PLC echoes the job id
   * (`plc.job.accepted`); the job's end comes as `plc.job.done` or `plc.job.failed`.
   */
  sendJob(job: StationJob): Promise<void>;
  /** Tells the PLC the result of `jobId` is persisted. Resolves when the PLC clears Done. */
  acknowledgeDone(jobId: number): Promise<void>;
  /** A PackML command; rejects with CommandRejectedError when the PLC refuses it. */
  command(command: PackMLCommandName): Promise<void>;
}

export interface HandshakeLatency {
  readonly jobAckMs: readonly number[];
  readonly doneClearMs: readonly number[];
}

export type StationLinkErrorCode = 'link-down' | 'timeout' | 'command-rejected' | 'protocol' | 'closed' | 'busy';

export class StationLinkError extends Error {
  constructor(
    readonly code: StationLinkErrorCode,
    readonly stationId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`station ${stationId}: ${message}`, options);
    this.name = 'StationLinkError';
  }
}

export class LinkDownError extends StationLinkError {
  constructor(stationId: string, reason: string, options?: { cause?: unknown }) {
    super('link-down', stationId, `the link is down (${reason})`, options);
    this.name = 'LinkDownError';
  }
}

export class HandshakeTimeoutError extends StationLinkError {
  constructor(
    stationId: string,
    readonly phase: 'job-ack' | 'done' | 'done-clear' | 'command',
    readonly timeoutMs: number,
  ) {
    super('timeout', stationId, `no ${phase} within ${timeoutMs} ms`);
    this.name = 'HandshakeTimeoutError';
  }
}

export class CommandRejectedError extends StationLinkError {
  constructor(
    stationId: string,
    readonly command: PackMLCommandName,
    readonly state: PackMLState | undefined,
    detail: string,
  ) {
    super('command-rejected', stationId, `command ${command} refused: ${detail}`);
    this.name = 'CommandRejectedError';
  }
}

export class ProtocolError extends StationLinkError {
  constructor(stationId: string, message: string, options?: { cause?: unknown }) {
    super('protocol', stationId, message, options);
    this.name = 'ProtocolError';
  }
}

/** Timeouts of the handshake phases and the heartbeat, in milliseconds (docs/plc-interface.md). */
export interface LinkTimeouts {
  /** JobReady → JobAck. */
  readonly jobAckMs: number;
  /** JobAck → Done: the station's longest cycle plus margin. */
  readonly doneMs: number;
  /** DoneAck → Done cleared. */
  readonly doneClearMs: number;
  /** CmdChangeRequest → answered (Modbus) / method call (OPC UA). */
  readonly commandMs: number;
  /** The PLC's Heartbeat must change at least this often, or the link is down. */
  readonly heartbeatMs: number;
  /** How often the host increments HostHeartbeat. */
  readonly hostHeartbeatPeriodMs: number;
}

export const DEFAULT_TIMEOUTS: LinkTimeouts = Object.freeze({
  jobAckMs: 2_000,
  doneMs: 60_000,
  doneClearMs: 2_000,
  commandMs: 5_000,
  heartbeatMs: 3_000,
  hostHeartbeatPeriodMs: 500,
});

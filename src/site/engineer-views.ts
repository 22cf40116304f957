/**
 * What the engineer view (issue 18) shows of a line, as plain data: the line file as loaded with
 * its secrets left out, each unit's link health, a simulated line's simulator and the faults an
 * engineer may inject. No imports: the screens (web/src) import these types too.
 */
export interface UnitConfigView {
  readonly id: string;
  /** OPC UA: the endpoint URL (credentials removed) and the object's browse path; Modbus: host:port and unit id. */
  readonly address: string;
}

export interface StationConfigView {
  readonly id: string;
  readonly kind: string;
  readonly transport: 'opcua' | 'modbus';
  readonly units: readonly UnitConfigView[];
  readonly cycle: { readonly distribution: string; readonly meanMs: number; readonly sdMs: number };
  /** Failure probabilities per card (0–1), only those above 0. */
  readonly failures: Readonly<Record<string, number>>;
  /** Handshake and heartbeat timeouts, ms. */
  readonly timeouts: Readonly<Record<string, number>>;
  /** Modbus polling, ms. */
  readonly polling: { readonly pollMs: number; readonly idlePollMs: number; readonly requestTimeoutMs: number } | null;
  readonly stackerCapacity: number | null;
  readonly packPockets: number | null;
  readonly packSize: number | null;
}

export interface LineConfigView {
  readonly id: string;
  readonly description: string;
  /** The line file's name (not its directory). */
  readonly file: string;
  readonly template: string;
  readonly cardStock: { readonly prePrinted: boolean; readonly chipModuleSide: 'front' | 'back' | null };
  readonly retentionDays: number | null;
  /** OPC UA security: mode and policy, whether the controller logs in as a user (not who), and how many users the simulator accepts. */
  readonly opcuaSecurity: { readonly mode: string; readonly policy: string; readonly allowAnonymous: boolean; readonly clientLogin: 'anonymous' | 'user'; readonly serverUsers: number };
  readonly modbusInsecureTransportAccepted: boolean | null;
  readonly simulation: {
    readonly timeScale: number;
    readonly seed: string;
    readonly initialBlanks: number;
    readonly serialPrefix: string;
    readonly transferMs: number;
    readonly heartbeatMs: number;
    readonly jamClearMs: number;
  } | null;
  readonly stations: readonly StationConfigView[];
}

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

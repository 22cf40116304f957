/**
 * What the line controller needs from data preparation and QA, as narrow ports: the composition
 * root (src/line/compose.ts) provides the real ones — the renderer, the LDS builder and signer,
 * the LDS verifier — and tests can provide lighter ones.
 */
import type { LineConfig } from '../config/line-config.ts';
import type { JobResult } from '../plc/job-data.ts';
import type { ReasonCode } from './reasons.ts';

/** Everything the stations need for one record, prepared before its blank is fed. */
export interface PreparedRecord {
  readonly batchId: string;
  readonly seq: number;
  /** The three MRZ lines the card must carry (DG1 and the engraved MRZ zone). */
  readonly mrz: readonly [string, string, string];
  /** The data groups the chip must hold (DG2 only from age 6); QA checks exactly these when given. */
  readonly dataGroups?: readonly number[];
  /** Encoded job data (src/plc/job-data.ts) for an encoder head: the LDS files and the BAC keys. */
  readonly chipJob: Buffer;
  /** Encoded job data for the laser: the rendered sides and the MRZ. */
  readonly laserJob: Buffer;
}

export interface JobPreparer {
  prepare(batchId: string, seq: number): Promise<PreparedRecord>;
}

export type QaVerdict = { readonly ok: true } | { readonly ok: false; readonly code: ReasonCode; readonly detail: string };

export interface QaJudge {
  /** The controller's verdict on what QA read from a card (the chip through BAC, the MRZ, the print). */
  judge(prepared: PreparedRecord, inspection: Extract<JobResult, { kind: 'inspect' }>): Promise<QaVerdict>;
  /** A controller's run starts: the judge may start what its verdicts need (LdsQaJudge: its chip verification threads). */
  open?(): void;
  /** That run ended, however it ended; pairs with open(). */
  close?(): Promise<void>;
}

/**
 * A simulated line's simulator running in this process, as much of it as a run uses: its stock
 * (the demo tops up blanks, unloads a full stacker) and its end. The composition root starts it
 * (src/app/run-line.ts, with simulators/line-simulator.ts): src/line never imports simulators/.
 */
export interface InProcessSimulator {
  readonly control: SimulatorControl;
  /** Where the simulated line's cards are now (its ledger). */
  inventory(): LineInventory;
  stop(): Promise<void>;
}

/**
 * The simulator's control surface (simulators/control.ts SimControl), as much of it as the site
 * uses: stock for a run; status, fault injection and the ledger for the engineer view. Targets
 * name a unit (`encoder.2`) or a station. Refusals are errors with an HTTP-like `status`.
 */
export interface SimulatorControl {
  status(): {
    readonly magazine: { readonly blanks: number };
    readonly stackers: readonly { station: string; count: number; capacity: number | null }[];
    readonly rejectBin: number;
    readonly units: readonly { readonly unitId: string; readonly state: string; readonly stopReason: string; readonly heartbeatFrozen: boolean; readonly slowFactor: number }[];
  };
  loadBlanks(count: number, lot: string): unknown;
  emptyStacker(stationId?: string): { station: string; cards: string[] }[];
  dropConnections(target?: string): { servers: string[]; units: string[] };
  freezeHeartbeat(target: string, frozen: boolean): { units: string[] };
  eStop(target: string): { units: string[] };
  command(target: string, command: string): { unit: string; outcome: { readonly accepted: boolean; readonly detail?: string } }[];
  slow(target: string, factor: number): { units: string[] };
  /** Changes failure probabilities of a station from now on; with no change, reads them. */
  setFailures(changes: { jam?: number }, stationId?: string): { station: string; failures: { readonly jam: number } }[];
  ledger(): {
    readonly blanksLoaded: number;
    readonly magazine: number;
    readonly fed: number;
    readonly stacked: number;
    readonly rejected: number;
    readonly purged: number;
    readonly stacker: readonly unknown[];
    readonly rejectBin: readonly { readonly reason: string }[];
    readonly inMachine: readonly unknown[];
    readonly unloaded: readonly unknown[];
  };
}

/** Where a card is, as the line itself reports it. */
export type CardWhereabouts =
  | { readonly at: 'inside' }
  | { readonly at: 'stacker'; readonly position: number }
  | { readonly at: 'reject'; readonly reason: string }
  | { readonly at: 'unknown' };

/** What a line can say about its cards (a simulated line: its ledger; a real one may say nothing). */
export interface LineInventory {
  whereIs(cardSerial: string): CardWhereabouts;
  /** Cards the line purged to its reject bin when it restarted (a blank fed just before a stop may be one the store never heard of). */
  purged(): readonly string[];
}

export type StartSimulator = (options: { line: LineConfig; dataDir: string; log: (message: string) => void }) => Promise<InProcessSimulator>;

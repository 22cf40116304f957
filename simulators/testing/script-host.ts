/**
 * A small scripted "host" for simulator tests: it talks to the units' TagStores the way the
 * controller does over a transport — answers CardPresent with a job (JobId, JobData, JobDataSize,
 * JobDataCrc32, then JobReady), clears JobReady after JobAck, acknowledges Done with DoneAck and
 * clears DoneAck when Done falls. Writes are made on a later turn of the event loop, as a network
 * would deliver them.
 */
import type { StationKind } from '../../src/config/line-config.ts';
import { decodeResult, encodeJob, type Job, type JobResult } from '../../src/plc/job-data.ts';
import { PACKML_STATES, type PackMLStateName } from '../../src/plc/packml.ts';
import { dataCrc32, type TagStore } from '../../src/plc/tag-store.ts';
import type { SimLine } from '../sim-line.ts';
import { chipFiles, jobFor, syntheticMrz } from './jobs.ts';

export interface HostDone {
  readonly unit: string;
  readonly kind: StationKind;
  readonly jobId: number;
  readonly cardSerial: string;
  readonly result: number;
  readonly data: Buffer;
  readonly decoded: JobResult | undefined;
}

/** A job as the host sends it; `raw` sends bytes as they are (with an optional wrong size or CRC). */
export type JobAnswer = Job | { readonly raw: Buffer; readonly size?: number; readonly crc?: number } | undefined;

export interface JobRequest {
  readonly unit: string;
  readonly kind: StationKind;
  readonly serial: string;
  /** The record number of the card (its blank sequence), for synthetic jobs. */
  readonly n: number;
  readonly host: ScriptHost;
}

export type JobProvider = (request: JobRequest) => JobAnswer;

export interface ScriptHostOptions {
  /** Whether to acknowledge a Done (default: always). */
  readonly ackDone?: (done: HostDone) => boolean;
}

/** The record number a test serial carries (its last 8 digits). */
export function recordOf(serial: string): number {
  return Number.parseInt(serial.slice(-8), 10);
}

/** The controller's verdict on a QA result for synthetic record n: stack only a card read back whole. */
export function verdict(qa: JobResult | undefined, n: number): 'stacker' | 'reject' {
  if (qa?.kind !== 'inspect') return 'reject';
  const mrz = syntheticMrz(n);
  const expected = chipFiles(mrz);
  const files = qa.chip?.files ?? [];
  const chipOk = expected.length === files.length && expected.every((e) => files.some((f) => f.fid === e.fid && f.data.equals(e.data)));
  const ocrOk = qa.ocrMrz !== null && qa.ocrMrz.join('') === mrz.join('');
  return chipOk && ocrOk && qa.printGrade >= 2 ? 'stacker' : 'reject';
}

/** Jobs for synthetic record n at every station; the output stacks what the verdict passes. */
export const standardJobs: JobProvider = ({ kind, serial, n, host }) => {
  if (kind !== 'output') return jobFor(kind, n);
  const qa = host.lastResult(serial, 'qa');
  return { v: 1, kind: 'output', destination: verdict(qa, n) };
};

export class ScriptHost {
  readonly dones: HostDone[] = [];
  readonly jobsSent: { unit: string; jobId: number; serial: string }[] = [];
  private nextJobId = 1;
  private closed = false;
  private readonly offs: (() => void)[] = [];
  private readonly kinds = new Map<string, StationKind>();

  constructor(
    readonly sim: SimLine,
    private readonly provider: JobProvider = standardJobs,
    private readonly options: ScriptHostOptions = {},
  ) {
    for (const [unit, store] of sim.stores) {
      this.kinds.set(unit, sim.plc(unit).kind);
      this.offs.push(store.onChange((changes, by) => {
        if (by === 'plc' && !this.closed) this.onPlc(unit, store, changes);
      }));
    }
  }

  /** Resets and starts the units (default: all), and waits until they are in Execute. */
  async start(units: readonly string[] = [...this.sim.stores.keys()]): Promise<void> {
    for (const u of units) this.commandOk(u, 'Reset');
    await this.waitFor(() => units.every((u) => this.state(u) === PACKML_STATES.Idle), `${units.join(', ')} Idle`);
    for (const u of units) this.commandOk(u, 'Start');
    // Started: past Starting. A fast line may already have moved on from Execute (a jam holds the
    // laser before the slowest unit has even started), so any state Execute leads to counts.
    const notStarted: readonly number[] = [PACKML_STATES.Idle, PACKML_STATES.Starting, PACKML_STATES.Resetting, PACKML_STATES.Stopped, PACKML_STATES.Stopping];
    await this.waitFor(() => units.every((u) => !notStarted.includes(this.state(u))), `${units.join(', ')} Execute`);
  }

  commandOk(unit: string, command: Parameters<TagStore['command']>[0]): void {
    const outcome = this.sim.store(unit).command(command);
    if (!outcome.accepted) throw new Error(`${unit}: ${command} refused: ${outcome.detail}`);
  }

  state(unit: string): number {
    return this.sim.store(unit).get('StateCurrent');
  }

  async waitForState(unit: string, state: PackMLStateName, timeoutMs = 10_000): Promise<void> {
    await this.waitFor(() => this.state(unit) === PACKML_STATES[state], `${unit} in ${state}`, timeoutMs);
  }

  /** The last Done reported for a card at a station kind. */
  lastResult(serial: string, kind: StationKind): JobResult | undefined {
    for (let i = this.dones.length - 1; i >= 0; i--) {
      const d = this.dones[i]!;
      if (d.cardSerial === serial && d.kind === kind) return d.decoded;
    }
    return undefined;
  }

  donesOf(kind: StationKind): HostDone[] {
    return this.dones.filter((d) => d.kind === kind);
  }

  async waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; units: ${this.describeUnits()}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Each unit's state and cards, for a failed wait's message. */
  describeUnits(): string {
    return [...this.sim.plcs.values()]
      .map((p) => {
        const st = p.status();
        const { infeed, work, outfeed } = st.positions;
        return `${st.unitId} ${st.state} ${st.phase} [${infeed ?? '-'} ${work ?? '-'} ${outfeed ?? '-'}]${st.doneRaised ? ' Done' : ''}${st.pendingReports ? ` +${st.pendingReports} reports` : ''}`;
      })
      .join('; ');
  }

  close(): void {
    this.closed = true;
    for (const off of this.offs) off();
  }

  private later(fn: () => void): void {
    setImmediate(() => {
      if (!this.closed) fn();
    });
  }

  private onPlc(unit: string, store: TagStore, changes: Partial<TagStore['tags']>): void {
    const kind = this.kinds.get(unit)!;
    if (changes.CardPresent === true) {
      const serial = store.get('CardSerial');
      this.later(() => this.sendJob(unit, kind, store, serial));
    }
    if (changes.JobAck !== undefined && changes.JobAck !== 0) this.later(() => store.setHost({ JobReady: false }));
    if (changes.Done === true) {
      const data = store.get('ResultData');
      const decodedResult = data.length > 0 ? decodeResult(data) : undefined;
      const done: HostDone = {
        unit,
        kind,
        jobId: store.get('ResultJobId'),
        cardSerial: store.get('ResultCardSerial'),
        result: store.get('Result'),
        data,
        decoded: decodedResult?.ok ? decodedResult.value : undefined,
      };
      this.dones.push(done);
      if (this.options.ackDone?.(done) ?? true) this.later(() => store.setHost({ DoneAck: true }));
    }
    if (changes.Done === false) this.later(() => store.setHost({ DoneAck: false }));
  }

  /** Writes the job for `serial` (when the provider has one). Public for tests that answer by hand. */
  sendJob(unit: string, kind: StationKind, store: TagStore, serial: string): void {
    if (!store.get('CardPresent') || store.get('CardSerial') !== serial) return;
    const answer = this.provider({ unit, kind, serial, n: recordOf(serial), host: this });
    if (answer === undefined) return;
    const jobId = this.nextJobId++;
    let data: Buffer;
    let size: number;
    let crc: number;
    if ('raw' in answer) {
      data = answer.raw;
      size = answer.size ?? data.length;
      crc = answer.crc ?? dataCrc32(data);
    } else {
      data = encodeJob(answer);
      size = data.length;
      crc = dataCrc32(data);
    }
    this.jobsSent.push({ unit, jobId, serial });
    store.setHost({ JobId: jobId, JobData: data, JobDataSize: size, JobDataCrc32: crc });
    store.setHost({ JobReady: true });
  }
}

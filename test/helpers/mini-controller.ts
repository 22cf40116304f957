/**
 * A minimal line controller for the PLC integration tests: it drives every unit of a line through
 * the StationLinks exactly as the real controller will (card-driven jobs, the QA verdict taken by
 * the host, re-makes), without machines or persistence, and records every event so the tests can
 * judge it against the simulator's ledger.
 */
import { encodeDg1 } from '../../simulators/model/chip.ts';
import { stationUnits, type LineConfig, type StationKind } from '../../src/config/line-config.ts';
import type { PreparedRecord } from '../../src/line/ports.ts';
import { decodeResult, encodeJob, type Job } from '../../src/plc/job-data.ts';
import { feedJob, SKIP_JOB, SORT_JOBS, stationKind } from '../../src/stations/kinds.ts';
import type { StationEvent, StationLink } from '../../src/plc/station-link.ts';

export interface MiniRecord {
  readonly ref: string;
  readonly mrz: readonly [string, string, string];
}

interface CardState {
  readonly serial: string;
  readonly record: MiniRecord;
  /** The card is bound for the reject bin: every later station gets a skip job. */
  bad: boolean;
  qaOk: boolean;
}

export interface MiniOutcome {
  /** Record ref → the card serial stacked for it. */
  readonly produced: Map<string, string>;
  /** Record ref → why it failed (attempts exhausted). */
  readonly failed: Map<string, string[]>;
  readonly jobsDone: number;
  /** Card serials in the order each unit kind saw them. */
  readonly seenAt: Map<StationKind, string[]>;
  readonly events: StationEvent[];
}

export class MiniController {
  private readonly cards = new Map<string, CardState>();
  private readonly queue: MiniRecord[];
  private readonly attempts = new Map<string, number>();
  private readonly reasons = new Map<string, string[]>();
  private readonly produced = new Map<string, string>();
  private readonly failed = new Map<string, string[]>();
  private readonly kinds = new Map<string, StationKind>();
  private readonly seenAt = new Map<StationKind, string[]>();
  private readonly events: StationEvent[] = [];
  private readonly doneJobs = new Set<number>();
  private waitingFeeder: string | undefined;
  private inLine = 0;
  private nextJobId = 1;
  private finish: (() => void) | undefined;
  private failure: ((error: Error) => void) | undefined;

  constructor(
    line: LineConfig,
    private readonly links: ReadonlyMap<string, StationLink>,
    records: readonly MiniRecord[],
    private readonly options: { wip?: number; maxAttempts?: number; laserBytes?: number } = {},
  ) {
    this.queue = [...records];
    for (const unit of stationUnits(line)) this.kinds.set(unit.unitId, unit.station.kind);
    for (const [unitId, link] of links) link.subscribe((e) => this.onEvent(unitId, link, e));
  }

  /** Cards that were announced before this controller subscribed. */
  private pickUpPresentCards(): void {
    for (const [unitId, link] of this.links) {
      const serial = link.cardPresent;
      if (serial !== undefined) this.onEvent(unitId, link, { type: 'plc.card.present', stationId: unitId, cardSerial: serial });
    }
  }

  /** Resolves when every record is produced or has failed. */
  run(timeoutMs: number): Promise<MiniOutcome> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`line did not finish in ${timeoutMs} ms: ${this.produced.size} produced, ${this.failed.size} failed, ${this.queue.length} queued, ${this.inLine} in line`)), timeoutMs);
      this.finish = () => {
        clearTimeout(timer);
        resolve({ produced: this.produced, failed: this.failed, jobsDone: this.doneJobs.size, seenAt: this.seenAt, events: this.events });
      };
      this.failure = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      this.pickUpPresentCards();
      this.feed();
    });
  }

  private onEvent(unitId: string, link: StationLink, event: StationEvent): void {
    this.events.push(event);
    const kind = this.kinds.get(unitId)!;
    if (event.type === 'plc.card.present') {
      const seen = this.seenAt.get(kind) ?? [];
      seen.push(event.cardSerial);
      this.seenAt.set(kind, seen);
      if (stationKind(kind).role === 'feed') {
        this.waitingFeeder = event.cardSerial;
        this.feed(link);
      } else {
        this.send(link, event.cardSerial, this.jobFor(kind, event.cardSerial));
      }
    } else if (event.type === 'plc.job.done') {
      if (this.doneJobs.has(event.jobId) && event.jobId !== 0) this.failure?.(new Error(`job ${event.jobId} reported twice`));
      this.doneJobs.add(event.jobId);
      this.onDone(kind, event.cardSerial, event.result, event.data);
      link.acknowledgeDone(event.jobId).catch((error: unknown) => this.failure?.(error as Error));
    } else if (event.type === 'plc.job.failed') {
      const card = this.cards.get(event.cardSerial);
      if (card) card.bad = true;
    }
  }

  private feeder: StationLink | undefined;

  private feed(link?: StationLink): void {
    if (link) this.feeder = link;
    const serial = this.waitingFeeder;
    if (serial === undefined || this.queue.length === 0 || this.inLine >= (this.options.wip ?? 12)) return;
    const record = this.queue.shift()!;
    this.waitingFeeder = undefined;
    this.inLine += 1;
    this.cards.set(serial, { serial, record, bad: false, qaOk: false });
    this.attempts.set(record.ref, (this.attempts.get(record.ref) ?? 0) + 1);
    this.send(this.feeder!, serial, feedJob(record.ref));
  }

  /** The job the station-kind table gives the card at this kind (built from the mini record's own prepared data). */
  private jobFor(kind: StationKind, serial: string): Buffer {
    const card = this.cards.get(serial);
    const def = stationKind(kind);
    switch (def.role) {
      case 'sort':
        return card?.qaOk && !card.bad ? SORT_JOBS.stacker : SORT_JOBS.reject;
      case 'work':
      case 'inspect':
        return !card || card.bad ? SKIP_JOB : def.job!(this.prepared(card.record, serial));
      case 'feed':
        throw new Error('the feeder is fed by feed()');
      case 'pack':
        throw new Error('the mini controller drives no packer: give it a line without one');
    }
  }

  /** A record prepared the light way: a two-file chip and a laser job of `laserBytes`. */
  private prepared(record: MiniRecord, serial: string): PreparedRecord {
    const chip: Job = { v: 1, kind: 'chip', files: [{ fid: '011E', data: Buffer.from([0x60, 0x00]) }, { fid: '0101', data: encodeDg1(record.mrz) }] };
    const laser: Job = {
      v: 1,
      kind: 'laser',
      sides: [
        { side: 'front', mediaType: 'application/pdf', data: Buffer.from(serial.repeat(Math.ceil((this.options.laserBytes ?? 4096) / serial.length))) },
        { side: 'back', mediaType: 'application/pdf', data: Buffer.from(record.mrz.join('\n')) },
      ],
      mrz: [...record.mrz],
    };
    return { batchId: 'mini', seq: 0, mrz: record.mrz, chipJob: encodeJob(chip), laserJob: encodeJob(laser) };
  }

  private send(link: StationLink, serial: string, data: Buffer): void {
    const jobId = this.nextJobId++;
    link.sendJob({ jobId, cardSerial: serial, data }).catch(() => {
      // The failure also comes as plc.job.failed, which marks the card.
    });
  }

  private onDone(kind: StationKind, serial: string, result: number, data: Buffer): void {
    const card = this.cards.get(serial);
    if (!card) return;
    if (result !== 0) return this.cardGone(card, `${kind} result ${result}`);
    if (stationKind(kind).role === 'inspect') {
      const decoded = decodeResult(data);
      if (decoded.ok && decoded.value.kind === 'inspect') {
        const dg1 = decoded.value.chip?.files.find((f) => f.fid === '0101')?.data;
        const expected = encodeDg1(card.record.mrz);
        card.qaOk = dg1 !== undefined && dg1.equals(expected) && decoded.value.ocrMrz?.join('') === card.record.mrz.join('') && decoded.value.printGrade >= 2;
      }
    }
    if (stationKind(kind).role === 'sort') {
      const decoded = decodeResult(data);
      if (decoded.ok && decoded.value.kind === 'output' && decoded.value.bin === 'stacker') {
        if (this.produced.has(card.record.ref)) this.failure?.(new Error(`record ${card.record.ref} produced twice`));
        this.produced.set(card.record.ref, serial);
        this.cardDone();
      } else {
        this.cardGone(card, card.bad ? 'failed job' : 'QA verdict');
      }
    }
  }

  private cardGone(card: CardState, reason: string): void {
    const ref = card.record.ref;
    this.reasons.set(ref, [...(this.reasons.get(ref) ?? []), reason]);
    card.bad = true;
    if ((this.attempts.get(ref) ?? 0) < (this.options.maxAttempts ?? 3)) this.queue.unshift(card.record);
    else this.failed.set(ref, this.reasons.get(ref)!);
    this.cardDone();
  }

  private cardDone(): void {
    this.inLine -= 1;
    if (this.produced.size + this.failed.size === this.attempts.size && this.queue.length === 0 && this.inLine === 0) this.finish?.();
    else this.feed();
  }
}

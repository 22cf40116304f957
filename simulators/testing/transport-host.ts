/**
 * A scripted host that talks to a LineSimulator over the wire, through the controller's real
 * TagTransports (OPC UA and Modbus TCP), with the same job answers as ScriptHost. For tests that
 * check the simulator end to end.
 */
import { decodeResult, encodeJob, type JobResult } from '../../src/plc/job-data.ts';
import { createModbusTransport } from '../../src/plc/modbus/modbus-transport.ts';
import { createOpcuaTransport } from '../../src/plc/opcua/opcua-transport.ts';
import type { PackMLCommandName } from '../../src/plc/packml.ts';
import type { PlcTags } from '../../src/plc/tags.ts';
import type { TagTransport } from '../../src/plc/transport.ts';
import type { SimEndpoint } from '../line-simulator.ts';
import { recordOf, verdict } from './script-host.ts';
import { jobFor } from './jobs.ts';

export interface WireDone {
  readonly unit: string;
  readonly jobId: number;
  readonly cardSerial: string;
  readonly result: number;
  readonly decoded: JobResult | undefined;
}

interface Link {
  readonly endpoint: SimEndpoint;
  readonly transport: TagTransport;
  readonly image: Partial<PlcTags>;
  /** The serial a job was sent for and not yet acknowledged. */
  jobFor: string | undefined;
}

export class TransportHost {
  readonly dones: WireDone[] = [];
  readonly errors: string[] = [];
  readonly connections: { unit: string; connected: boolean; reason: string }[] = [];
  private readonly links = new Map<string, Link>();
  private nextJobId = 1;
  private closed = false;

  constructor(endpoints: readonly SimEndpoint[], pkiDir: string) {
    for (const endpoint of endpoints) {
      const a = endpoint.address;
      const transport =
        a.transport === 'opcua'
          ? createOpcuaTransport({ endpointUrl: a.endpointUrl, objectPath: a.objectPath, pkiDir, security: { mode: 'None', policy: 'None' }, unitId: endpoint.unit, requestTimeoutMs: 2000 })
          : createModbusTransport({ host: a.host, port: a.port, unitId: a.unitId, jobDir: a.jobDir, pollMs: 10, requestTimeoutMs: 500, stationId: endpoint.unit });
      const link: Link = { endpoint, transport, image: {}, jobFor: undefined };
      transport.onTags((changes) => {
        Object.assign(link.image, changes);
        this.react(link, changes);
      });
      transport.onConnection((connected, reason) => this.connections.push({ unit: endpoint.unit, connected, reason }));
      this.links.set(endpoint.unit, link);
    }
  }

  async connect(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.transport.connect()));
  }

  image(unit: string): Partial<PlcTags> {
    return this.links.get(unit)!.image;
  }

  async command(unit: string, command: PackMLCommandName): Promise<void> {
    const outcome = await this.links.get(unit)!.transport.command(command);
    if (!outcome.accepted) throw new Error(`${unit}: ${command} refused: ${outcome.detail}`);
  }

  async start(): Promise<void> {
    const units = [...this.links.keys()];
    await Promise.all(units.map((u) => this.command(u, 'Reset')));
    await this.waitFor(() => units.every((u) => this.image(u).StateCurrent === 4), 'every unit Idle');
    await Promise.all(units.map((u) => this.command(u, 'Start')));
  }

  async waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; errors: ${this.errors.join('; ') || 'none'}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  lastResult(serial: string, unitPrefix: string): JobResult | undefined {
    return this.dones.filter((d) => d.cardSerial === serial && d.unit.startsWith(unitPrefix)).at(-1)?.decoded;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.links.values()].map((l) => l.transport.close()));
  }

  private react(link: Link, changes: Partial<PlcTags>): void {
    if (this.closed) return;
    const { image, transport } = link;
    const run = (what: string, action: () => Promise<void>): void => {
      action().catch((error: unknown) => {
        if (!this.closed) this.errors.push(`${link.endpoint.unit}: ${what}: ${(error as Error).message}`);
      });
    };
    if (changes.JobAck !== undefined && changes.JobAck !== 0) {
      link.jobFor = undefined;
      run('JobReady off', () => transport.write({ JobReady: false }));
    }
    // After the JobAck: a station presents its next card as soon as it took the last job, and a
    // poll may show both at once (CardPresent 1 → 0 → 1 between two polls reads as unchanged).
    if (image.CardPresent === true && (changes.CardPresent !== undefined || changes.CardSerial !== undefined)) {
      const serial = image.CardSerial ?? '';
      if (link.jobFor !== serial) {
        link.jobFor = serial;
        const kind = link.endpoint.kind;
        const n = recordOf(serial);
        const job = kind === 'output' ? { v: 1 as const, kind: 'output' as const, destination: verdict(this.lastResult(serial, 'qa'), n) } : jobFor(kind, n);
        const jobId = this.nextJobId++;
        run(`job ${jobId}`, async () => {
          await transport.writeJob(jobId, encodeJob(job));
          await transport.write({ JobReady: true });
        });
      }
    }
    if (changes.Done === true) {
      const jobId = image.ResultJobId ?? 0;
      const serial = image.ResultCardSerial ?? '';
      const result = image.Result ?? -1;
      const expected = { size: image.ResultDataSize ?? 0, crc32: image.ResultDataCrc32 ?? 0 };
      run(`Done of job ${jobId}`, async () => {
        const data = await transport.readResultData(jobId, expected);
        const decoded = data.length > 0 ? decodeResult(data) : undefined;
        this.dones.push({ unit: link.endpoint.unit, jobId, cardSerial: serial, result, decoded: decoded?.ok ? decoded.value : undefined });
        await transport.write({ DoneAck: true });
      });
    }
    if (changes.Done === false) run('DoneAck off', () => transport.write({ DoneAck: false }));
  }
}

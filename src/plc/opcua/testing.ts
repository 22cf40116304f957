/**
 * Test support for the OPC UA link: a recorder of what a TagTransport delivers, with waits on it,
 * and temporary folders. Used by the tests next to it and by simulators/opcua's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PlcTags } from '../tags.ts';
import type { TagTransport } from '../transport.ts';

export interface Delivery {
  readonly changes: Partial<PlcTags>;
  readonly full: boolean;
  readonly at: number;
  /** The PLC's time of the changes, as the transport reported it (ms since the epoch). */
  readonly plcAt: number | undefined;
}

/** Records every onTags and onConnection call of a transport, and keeps the PLC tags it has seen. */
export class TransportRecorder {
  readonly deliveries: Delivery[] = [];
  readonly connections: { connected: boolean; reason: string }[] = [];
  readonly plc: Partial<PlcTags> = {};
  private readonly waiters = new Set<() => void>();
  private readonly off: (() => void)[];

  constructor(transport: TagTransport) {
    this.off = [
      transport.onTags((changes, full, plcAt) => {
        this.deliveries.push({ changes, full, at: performance.now(), plcAt });
        Object.assign(this.plc, changes);
        this.poke();
      }),
      transport.onConnection((connected, reason) => {
        this.connections.push({ connected, reason });
        this.poke();
      }),
    ];
  }

  detach(): void {
    for (const off of this.off) off();
  }

  /** Resolves with the first delivery from index `from` on that satisfies `predicate`. */
  delivery(predicate: (d: Delivery) => boolean, options: { from?: number; timeoutMs?: number; what?: string } = {}): Promise<Delivery> {
    const from = options.from ?? this.deliveries.length;
    return this.until(() => this.deliveries.slice(from).find(predicate), options.timeoutMs ?? 5000, options.what ?? 'a delivery');
  }

  /** Resolves once `condition` returns something truthy (checked after every delivery or connection change). */
  until<T>(condition: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = condition();
        if (value === undefined || value === false) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  private poke(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export async function tempDir(prefix: string): Promise<{ readonly dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `cardline-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A job's full handshake over a transport, as the station link will drive it; resolves with the result data. */
export async function runJob(transport: TagTransport, recorder: TransportRecorder, jobId: number, data: Buffer): Promise<Buffer> {
  await transport.writeJob(jobId, data);
  const from = recorder.deliveries.length;
  await transport.write({ JobReady: true });
  await recorder.delivery((d) => d.changes.JobAck === jobId, { from, what: `JobAck ${jobId}` });
  await recorder.delivery((d) => d.changes.Done === true, { from, what: `Done of job ${jobId}` });
  const { ResultDataSize: size, ResultDataCrc32: crc32, ResultJobId } = recorder.plc;
  if (ResultJobId !== jobId) throw new Error(`Done for job ${ResultJobId}, expected ${jobId}`);
  const result = await transport.readResultData(jobId, { size: size!, crc32: crc32! });
  const ack = recorder.deliveries.length;
  await transport.write({ DoneAck: true, JobReady: false });
  await recorder.delivery((d) => d.changes.Done === false, { from: ack, what: `Done cleared after job ${jobId}` });
  await transport.write({ DoneAck: false });
  return result;
}

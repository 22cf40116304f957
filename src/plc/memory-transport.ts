/**
 * A TagTransport bound directly to a simulator unit's TagStore, without sockets: the link the
 * capacity simulation and the controller benchmark use, and the quickest way to test the handshake
 * logic. Deliveries are asynchronous (next macrotask), as over a network, so the PLC logic and the
 * host never run inside each other's call stacks. `disconnect()` and `reconnect()` stand in for a
 * dropped connection.
 */
import { dataCrc32, type TagStore } from './tag-store.ts';
import { PLC_TAGS, type HostTags, type PlcTags, type StationTags } from './tags.ts';
import type { CommandOutcome, TagTransport } from './transport.ts';
import type { PackMLCommandName } from './packml.ts';
import { ProtocolError } from './station-link.ts';
import { TransportListeners, type ConnectionListener, type TagListener } from './transport-listeners.ts';

const PLC_TAG_SET = new Set<string>(PLC_TAGS);

export class MemoryTransport implements TagTransport {
  readonly endpoint: string;
  private readonly listeners = new TransportListeners();
  private offStore: (() => void) | undefined;
  private pending: Partial<PlcTags> | undefined;
  private up = false;
  private closed = false;

  constructor(private readonly store: TagStore) {
    this.endpoint = `memory ${store.unitId}`;
  }

  async connect(): Promise<void> {
    this.attach();
    await new Promise((resolve) => setImmediate(resolve));
  }

  close(): Promise<void> {
    this.closed = true;
    this.detach();
    return Promise.resolve();
  }

  /** Simulates a dropped connection: no deliveries, writes fail, until reconnect(). */
  disconnect(reason = 'connection dropped'): void {
    if (!this.up) return;
    this.detach();
    this.listeners.emitConnection(false, reason);
  }

  reconnect(): void {
    if (this.up || this.closed) return;
    this.attach();
  }

  onTags(listener: TagListener): () => void {
    return this.listeners.onTags(listener);
  }

  onConnection(listener: ConnectionListener): () => void {
    return this.listeners.onConnection(listener);
  }

  async write(values: Partial<Omit<HostTags, 'JobData'>>): Promise<void> {
    await this.hop();
    this.store.setHost(values);
  }

  async writeJob(jobId: number, data: Buffer): Promise<void> {
    await this.hop();
    this.store.setHost({ JobId: jobId, JobData: data, JobDataSize: data.length, JobDataCrc32: dataCrc32(data) });
  }

  async readResultData(jobId: number, expected: { size: number; crc32: number }): Promise<Buffer> {
    await this.hop();
    const data = this.store.get('ResultData');
    if (data.length !== expected.size || dataCrc32(data) !== expected.crc32) {
      throw new ProtocolError(this.store.unitId, `result data of job ${jobId} does not match its size/CRC (${data.length} bytes)`);
    }
    return data;
  }

  async command(command: PackMLCommandName): Promise<CommandOutcome> {
    await this.hop();
    return this.store.command(command);
  }

  private attach(): void {
    this.up = true;
    this.offStore = this.store.onChange((changes, by) => {
      if (by !== 'plc') return;
      // Copied straight into the pending message: this runs on every PLC write.
      for (const key in changes) {
        if (key === 'ResultData' || !PLC_TAG_SET.has(key)) continue;
        // Changes made in one turn of the event loop travel together, like one network message.
        if (!this.pending) {
          this.pending = {};
          setImmediate(() => this.flush());
        }
        (this.pending as Record<string, unknown>)[key] = changes[key as keyof StationTags];
      }
    });
    this.listeners.emitConnection(true, 'connected');
    const full: Partial<Record<string, unknown>> = {};
    for (const name of PLC_TAGS) if (name !== 'ResultData') full[name] = this.store.get(name);
    this.listeners.emitTags(full, true);
  }

  private detach(): void {
    this.up = false;
    this.offStore?.();
    this.offStore = undefined;
    this.pending = undefined;
  }

  private flush(): void {
    const changes = this.pending;
    this.pending = undefined;
    if (!changes || !this.up) return;
    this.listeners.emitTags(changes, false);
  }

  private async hop(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (!this.up) throw new ProtocolError(this.store.unitId, 'not connected');
  }
}

/**
 * The tags of one station unit as the PLC holds them: the simulator's PLC logic writes the PLC
 * tags here, the protocol servers (OPC UA, Modbus) expose them and write host tags into it, and the
 * in-memory transport reads and writes it directly. Listeners run synchronously, in order, so a
 * server sees a change before any client request that could observe it is answered.
 */
import { crc32 } from 'node:zlib';
import type { PackMLCommandName } from './packml.ts';
import { COMMAND_RESULTS, initialTags, type HostTags, type PlcTags, type StationTags, type TagWriter } from './tags.ts';
import type { CommandOutcome } from './transport.ts';

export type TagChangeListener = (changes: Partial<StationTags>, by: TagWriter) => void;
export type CommandHandler = (command: PackMLCommandName) => CommandOutcome;

export class TagStore {
  private readonly values: StationTags = initialTags();
  private readonly listeners = new Set<TagChangeListener>();
  private commandHandler: CommandHandler | undefined;

  constructor(
    /** The unit's id in the line: `feeder`, `encoder.1`, … */
    readonly unitId: string,
  ) {}

  get tags(): Readonly<StationTags> {
    return this.values;
  }

  get<K extends keyof StationTags>(name: K): StationTags[K] {
    return this.values[name];
  }

  /** The PLC logic's writes. */
  setPlc(changes: Partial<PlcTags>): void {
    this.apply(changes, 'plc');
  }

  /** A client's writes, as a protocol server received them. */
  setHost(changes: Partial<HostTags>): void {
    this.apply(changes, 'host');
  }

  onChange(listener: TagChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setCommandHandler(handler: CommandHandler): void {
    this.commandHandler = handler;
  }

  /** A PackML command from a client (an OPC UA method call, or CmdChangeRequest on Modbus). */
  command(command: PackMLCommandName): CommandOutcome {
    const outcome = this.commandHandler?.(command) ?? { accepted: false, detail: 'the station has no PLC logic attached' };
    this.setPlc({ LastCmdResult: outcome.accepted ? COMMAND_RESULTS.Accepted : COMMAND_RESULTS.NotAllowedInState });
    return outcome;
  }

  private apply(changes: Partial<StationTags>, by: TagWriter): void {
    const changed: Partial<StationTags> = {};
    let any = false;
    for (const key of Object.keys(changes) as (keyof StationTags)[]) {
      const value = changes[key];
      if (value === undefined) continue;
      const old = this.values[key];
      // Buffers are compared by content: the same bytes written again are still a write (a new
      // job may carry the same data), so they always count as a change.
      if (!Buffer.isBuffer(value) && old === value) continue;
      (this.values as unknown as Record<string, unknown>)[key] = value;
      (changed as Record<string, unknown>)[key] = value;
      any = true;
    }
    if (!any) return;
    for (const listener of this.listeners) listener(changed, by);
  }
}

/** CRC-32 (IEEE 802.3), as in JobDataCrc32 and ResultDataCrc32; 32-bit unsigned. */
export function dataCrc32(data: Buffer): number {
  return crc32(data) >>> 0;
}

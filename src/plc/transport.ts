/**
 * TagTransport: what a protocol adapter provides to the handshake logic (handshake-link.ts), so
 * that the StationLink behaviour — phases, timeouts, heartbeat, events — is written once and OPC UA
 * and Modbus TCP differ only in how tags travel. One transport serves one station unit.
 */
import type { PackMLCommandName } from './packml.ts';
import type { HostTags, PlcTags } from './tags.ts';

export type CommandOutcome = { readonly accepted: true } | { readonly accepted: false; readonly detail: string };

export interface TagTransport {
  /** For messages: `opc.tcp://127.0.0.1:4840 Line1/Feeder`, `modbus 127.0.0.1:1502 unit 1`. */
  readonly endpoint: string;
  /**
   * Connects and keeps the connection: on loss the transport reconnects by itself with backoff
   * until close(), reporting each change through onConnection. Resolves on the first connection,
   * after the first full set of PLC tags has been delivered.
   */
  connect(): Promise<void>;
  close(): Promise<void>;
  /**
   * PLC-written tags as they change (OPC UA: subscription; Modbus: polling, only changed tags).
   * After each (re)connection the first call carries every PLC tag with `full = true`. Changes that
   * arrived together come in one call, in the order the PLC made them where the protocol keeps it.
   * `ResultData` is not delivered here: read it with readResultData when Done is seen. `at` is when
   * the PLC made the changes by its clock (OPC UA: the source timestamp), where the protocol carries it.
   */
  onTags(listener: (changes: Partial<PlcTags>, full: boolean, at?: number) => void): () => void;
  onConnection(listener: (connected: boolean, reason: string) => void): () => void;
  /** Writes host tags; several tags in one call are written in one request where the protocol allows. */
  write(values: Partial<Omit<HostTags, 'JobData'>>): Promise<void>;
  /**
   * Puts a job's data where the station reads it (OPC UA: the JobData ByteString; Modbus: the job
   * folder) and writes JobId, JobDataSize and JobDataCrc32. JobReady is written afterwards by the caller.
   */
  writeJob(jobId: number, data: Buffer): Promise<void>;
  /**
   * The result data of `jobId`, once Done is set (OPC UA: the ResultData value delivered by the
   * subscription; Modbus: the outbox file), checked against ResultDataSize and ResultDataCrc32.
   */
  readResultData(jobId: number, expected: { size: number; crc32: number }): Promise<Buffer>;
  /** A PackML command (OPC UA: the state machine's method; Modbus: CntrlCmd + CmdChangeRequest). */
  command(command: PackMLCommandName): Promise<CommandOutcome>;
}

/**
 * TagTransport over Modbus TCP (docs/plc-interface.md, "Modbus TCP"): the unit’s 72 holding
 * registers are polled in one function 3 request every `pollMs` while a handshake is in flight (and
 * for `idleAfterMs` after the last one), every `idlePollMs` while the unit is idle, and only PLC tags
 * that changed are delivered; the PLC's heartbeat rides the same poll; host tags go out in the fewest write requests (one per contiguous run); bulk data
 * goes through the job folder (job-folder.ts). Units behind one server share one connection
 * (modbus-connection.ts).
 *
 * The link is up for a unit once a poll of that unit has been answered: onConnection(true) and a
 * full set of PLC tags follow every (re)connection. A request timeout or socket failure takes the
 * connection (and so every unit on it) down; a Modbus exception to a poll takes only that unit down.
 */
import { open, rm, stat } from 'node:fs/promises';
import { PACKML_COMMANDS, stateName, type PackMLCommandName } from '../packml.ts';
import { COMMAND_RESULTS, MODBUS_REGISTER_COUNT, type HostTags, type PlcTags } from '../tags.ts';
import { dataCrc32 } from '../tag-store.ts';
import { HandshakeTimeoutError, LinkDownError, ProtocolError, StationLinkError } from '../station-link.ts';
import type { CommandOutcome, TagTransport } from '../transport.ts';
import { TransportListeners, type ConnectionListener, type TagListener } from '../transport-listeners.ts';
import { jobFilePath, resultFilePath, writeFileAtomically } from './job-folder.ts';
import { acquireConnection, BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, ModbusLinkError, type ModbusIo, type Priority, type SharedConnection } from './modbus-connection.ts';
import { decodeImage, describeRange, encodeHostWrite, encodeUint32, PLC_DELIVERY_ORDER, registerField, type PlcRegisterTags, type RegisterTags } from './register-map.ts';

export interface ModbusTransportOptions {
  readonly host?: string;
  readonly port: number;
  /** 1 for a station; 1…N for the heads of an encoder. */
  readonly unitId?: number;
  /** The unit's job folder, shared with the station (job-folder.ts). */
  readonly jobDir: string;
  /** Poll period while a handshake is in flight, ms (default 20). */
  readonly pollMs?: number;
  /** Poll period while the unit is idle, ms (default: pollMs, i.e. no slowing down). */
  readonly idlePollMs?: number;
  /** How long after the last handshake activity the unit counts as idle, ms (default 1000). */
  readonly idleAfterMs?: number;
  readonly requestTimeoutMs?: number;
  /** How long a command may wait for the PLC to reset CmdChangeRequest (LinkTimeouts.commandMs). */
  readonly commandTimeoutMs?: number;
  /** Names the unit in errors; defaults to the endpoint. */
  readonly stationId?: string;
}

const CNTRL_CMD = registerField('CntrlCmd');

export function createModbusTransport(options: ModbusTransportOptions): TagTransport {
  return new ModbusTransport(options);
}

class ModbusTransport implements TagTransport {
  readonly endpoint: string;
  private readonly host: string;
  private readonly port: number;
  private readonly unitId: number;
  private readonly jobDir: string;
  private readonly pollMs: number;
  private readonly idlePollMs: number;
  private readonly idleAfterMs: number;
  /** When the unit last showed or was sent handshake activity (Date.now()). */
  private lastActivity = 0;
  private cardWasPresent = false;
  private readonly requestTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private readonly stationId: string;
  private readonly listeners = new TransportListeners(reportListenerError);

  private connection: SharedConnection | undefined;
  private offConnection: (() => void) | undefined;
  private connecting: Promise<void> | undefined;
  private firstUp: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  /** Up = a poll of this unit was answered since the connection last went down. */
  private up = false;
  /** The last image delivered; undefined until the first poll after each (re)connection. */
  private last: RegisterTags | undefined;
  private unitBackoffMs = BACKOFF_INITIAL_MS;
  private wake: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  /** Job files written and not yet taken (JobAck); a newer job abandons the older ones. */
  private readonly pendingJobs = new Set<number>();
  /** Result files read and not yet acknowledged (DoneAck), with the inode that was read. */
  private readonly readResults = new Map<number, number>();
  private readonly cleanups = new Set<Promise<unknown>>();
  /** Resolves at close(), so a poll loop waiting for a shared connection that others keep open stops too. */
  private readonly closedSignal: Promise<void>;
  private signalClosed: () => void = () => undefined;

  constructor(options: ModbusTransportOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port;
    this.unitId = options.unitId ?? 1;
    this.jobDir = options.jobDir;
    this.pollMs = options.pollMs ?? 20;
    this.idlePollMs = options.idlePollMs ?? this.pollMs;
    this.idleAfterMs = options.idleAfterMs ?? 1000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 1000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 5000;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) throw new RangeError(`modbus port must be 1–65535, got ${this.port}`);
    if (!Number.isInteger(this.unitId) || this.unitId < 1 || this.unitId > 247) throw new RangeError(`modbus unit id must be 1–247, got ${this.unitId}`);
    if (!(this.pollMs > 0) || !(this.idlePollMs > 0) || !(this.idleAfterMs >= 0) || !(this.requestTimeoutMs > 0) || !(this.commandTimeoutMs > 0)) {
      throw new RangeError('pollMs, idlePollMs, requestTimeoutMs and commandTimeoutMs must be positive, idleAfterMs not negative');
    }
    this.endpoint = `modbus ${this.host}:${this.port} unit ${this.unitId}`;
    this.stationId = options.stationId ?? this.endpoint;
    this.closedSignal = new Promise((resolve) => {
      this.signalClosed = resolve;
    });
  }

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    this.connecting ??= new Promise<void>((resolve, reject) => {
      this.firstUp = { resolve, reject };
      const connection = acquireConnection(this.host, this.port, { requestTimeoutMs: this.requestTimeoutMs });
      this.connection = connection;
      this.offConnection = connection.on({ up: () => undefined, down: (reason) => this.markDown(`${this.endpoint}: ${reason}`) });
      this.loop = this.pollLoop(connection);
    });
    return this.connecting;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.signalClosed();
    this.firstUp?.reject(this.closedError());
    this.firstUp = undefined;
    this.offConnection?.();
    this.wakeUp();
    await this.connection?.release();
    await this.loop;
    await Promise.all([...this.cleanups]);
  }

  onTags(listener: TagListener): () => void {
    return this.listeners.onTags(listener);
  }

  onConnection(listener: ConnectionListener): () => void {
    return this.listeners.onConnection(listener);
  }

  async write(values: Partial<Omit<HostTags, 'JobData'>>): Promise<void> {
    const writes = encodeHostWrite(values);
    if (writes.length === 0) return;
    await this.transact('urgent', async (io) => {
      for (const w of writes) await io.writeRegisters(this.unitId, w.address, w.values, `write of ${describeRange(w.address, w.values.length)}`);
    });
    if (values.DoneAck === true) this.forgetResults();
    // A heartbeat alone is no handshake: it leaves an idle unit idle.
    if (Object.keys(values).some((k) => k !== 'HostHeartbeat')) this.lastActivity = Date.now();
    // The PLC answers writes (JobReady → JobAck, DoneAck → Done cleared): poll now rather than at
    // the end of the current pollMs pause. A PLC slower than that is seen at the next regular poll.
    this.wakeUp();
  }

  async writeJob(jobId: number, data: Buffer): Promise<void> {
    if (!Number.isInteger(jobId) || jobId < 1 || jobId > 0xffff_ffff) throw new RangeError(`job id must be a uint32 other than 0, got ${jobId}`);
    if (this.closed) throw this.closedError();
    const file = jobFilePath(this.jobDir, jobId);
    // One job at a time per unit: a job never taken is abandoned once the next one is sent.
    for (const old of [...this.pendingJobs]) if (old !== jobId) this.removeJobFile(old);
    try {
      await writeFileAtomically(file, data);
    } catch (error) {
      throw new ProtocolError(this.stationId, `cannot write job file ${file}: ${(error as Error).message}`, { cause: error });
    }
    this.pendingJobs.add(jobId);
    await this.write({ JobId: jobId, JobDataSize: data.length, JobDataCrc32: dataCrc32(data) });
  }

  async readResultData(jobId: number, expected: { size: number; crc32: number }): Promise<Buffer> {
    if (this.closed) throw this.closedError();
    const file = resultFilePath(this.jobDir, jobId);
    let data: Buffer;
    let inode: number;
    try {
      // Through one handle, so the inode remembered for the cleanup is the file that was read.
      const handle = await open(file, 'r');
      try {
        inode = (await handle.stat()).ino;
        data = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (error) {
      // No bytes need no file (a card rejected before the station produced anything).
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && expected.size === 0) return Buffer.alloc(0);
      throw new ProtocolError(
        this.stationId,
        `cannot read the result of job ${jobId} from ${file} (ResultDataSize ${expected.size}): ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (data.length !== expected.size) {
      throw new ProtocolError(this.stationId, `result file ${file} holds ${data.length} bytes, but ResultDataSize says ${expected.size}`);
    }
    const crc = dataCrc32(data);
    if (crc !== expected.crc32) {
      throw new ProtocolError(this.stationId, `result file ${file} has CRC-32 ${hex(crc)}, but ResultDataCrc32 says ${hex(expected.crc32)}`);
    }
    this.readResults.set(jobId, inode);
    return data;
  }

  async command(command: PackMLCommandName): Promise<CommandOutcome> {
    if (!Object.hasOwn(PACKML_COMMANDS, command) || command === ('Undefined' as string)) throw new TypeError(`unknown PackML command ${String(command)}`);
    const code: number = PACKML_COMMANDS[command];
    const started = Date.now();
    // CntrlCmd (12–13) and CmdChangeRequest (14) in one request, so the PLC never sees one without the other.
    await this.transact('urgent', (io) =>
      io.writeRegisters(this.unitId, CNTRL_CMD.register, [...encodeUint32(code), 1], `command ${command}: write of ${describeRange(CNTRL_CMD.register, 3)}`),
    );
    for (;;) {
      const image = await this.pollOnce('urgent');
      if (!image.CmdChangeRequest) {
        const result = image.LastCmdResult;
        if (result === COMMAND_RESULTS.Accepted) return { accepted: true };
        const detail =
          result === COMMAND_RESULTS.NotAllowedInState
            ? `not allowed in PackML state ${image.StateCurrent} (${stateName(image.StateCurrent)})`
            : result === COMMAND_RESULTS.UnknownCommand
              ? `the PLC does not know command ${code}`
              : `LastCmdResult ${result}`;
        return { accepted: false, detail };
      }
      if (Date.now() - started >= this.commandTimeoutMs) throw new HandshakeTimeoutError(this.stationId, 'command', this.commandTimeoutMs);
      await delay(Math.min(this.pollMs, 5));
    }
  }

  // -------------------------------------------------------------------------------------------

  private async pollLoop(connection: SharedConnection): Promise<void> {
    while (!this.closed) {
      try {
        const up = connection.whenUp();
        up.catch(() => undefined); // when close() wins the race below
        await Promise.race([up, this.closedSignal]);
        if (this.closed) return;
        const image = await this.pollOnce('poll');
        this.unitBackoffMs = BACKOFF_INITIAL_MS;
        await this.sleep(this.busy(image) ? this.pollMs : this.idlePollMs);
      } catch (error) {
        if (this.closed) return;
        const link = this.toLinkError(error);
        const cause = link.cause instanceof Error ? link.cause : link;
        this.markDown(`${this.endpoint}: ${cause.message}`);
        // A dead connection: whenUp() waits for the reconnection. Anything else (the server is
        // there but refuses this unit, or answers nonsense): ask again, less and less often.
        if (!(link instanceof LinkDownError)) {
          await this.sleep(this.unitBackoffMs);
          this.unitBackoffMs = Math.min(this.unitBackoffMs * 2, BACKOFF_MAX_MS);
        }
      }
    }
  }

  /**
   * Whether to poll fast: a handshake is in flight (a card arrived for its job, a job is ready, taken
   * and not yet done, a result waits for its DoneAck or its clearing, a command is pending), or one
   * ended less than idleAfterMs ago — on a producing line the next card is due, and a slow poll
   * would make every card wait for it.
   */
  private busy(image: RegisterTags): boolean {
    // A card's arrival starts a handshake; a card left waiting (the controller holds it back) does not keep it going.
    const arrived = image.CardPresent && !this.cardWasPresent;
    this.cardWasPresent = image.CardPresent;
    const inFlight = arrived || image.JobReady || image.Done || image.DoneAck || image.CmdChangeRequest || (image.JobAck !== 0 && image.JobAck !== image.ResultJobId);
    if (inFlight) this.lastActivity = Date.now();
    return inFlight || Date.now() - this.lastActivity < this.idleAfterMs;
  }

  /** Reads the unit's registers, delivers what changed, and returns the whole image. */
  private async pollOnce(priority: Priority): Promise<RegisterTags> {
    const registers = await this.transact(priority, (io) =>
      io.readHoldingRegisters(this.unitId, 0, MODBUS_REGISTER_COUNT, `poll of unit ${this.unitId} (registers 0–${MODBUS_REGISTER_COUNT - 1})`),
    );
    if (registers.length !== MODBUS_REGISTER_COUNT) {
      throw new ProtocolError(this.stationId, `a poll returned ${registers.length} registers instead of ${MODBUS_REGISTER_COUNT}`);
    }
    const image = decodeImage(registers);
    if (!this.closed) this.deliver(image);
    return image;
  }

  private deliver(image: RegisterTags): void {
    const previous = this.last;
    this.last = image;
    const full = previous === undefined;
    const changes: Partial<Record<keyof PlcRegisterTags, unknown>> = {};
    let any = false;
    for (const name of PLC_DELIVERY_ORDER) {
      if (previous === undefined || previous[name] !== image[name]) {
        changes[name] = image[name];
        any = true;
      }
    }
    if (changes.JobAck !== undefined && this.pendingJobs.has(image.JobAck)) this.removeJobFile(image.JobAck);
    if (full && !this.up) {
      this.up = true;
      this.emitConnection(true, `polling ${this.endpoint} every ${this.pollMs} ms${this.idlePollMs !== this.pollMs ? ` (every ${this.idlePollMs} ms while idle)` : ''}`);
      this.firstUp?.resolve();
      this.firstUp = undefined;
    }
    if (!any) return;
    this.listeners.emitTags(changes as Partial<PlcTags>, full);
  }

  private markDown(reason: string): void {
    this.last = undefined;
    if (!this.up) return;
    this.up = false;
    this.emitConnection(false, reason);
  }

  private emitConnection(connected: boolean, reason: string): void {
    this.listeners.emitConnection(connected, reason);
  }

  private async transact<T>(priority: Priority, run: (io: ModbusIo) => Promise<T>): Promise<T> {
    if (this.closed) throw this.closedError();
    const connection = this.connection;
    if (!connection) throw new LinkDownError(this.stationId, 'connect() was not called');
    try {
      return await connection.transact(priority, run);
    } catch (error) {
      throw this.toLinkError(error);
    }
  }

  private toLinkError(error: unknown): StationLinkError {
    if (error instanceof StationLinkError) return error;
    if (error instanceof ModbusLinkError) {
      return this.closed ? this.closedError() : new LinkDownError(this.stationId, `${this.where()}${error.reason}`, { cause: error });
    }
    return new ProtocolError(this.stationId, `${this.where()}${(error as Error).message}`, { cause: error });
  }

  /** The endpoint for messages, unless the station id already is the endpoint. */
  private where(): string {
    return this.stationId === this.endpoint ? '' : `${this.endpoint}: `;
  }

  private closedError(): StationLinkError {
    return new StationLinkError('closed', this.stationId, `the transport to ${this.endpoint} is closed`);
  }

  private removeJobFile(jobId: number): void {
    this.pendingJobs.delete(jobId);
    this.track(rm(jobFilePath(this.jobDir, jobId), { force: true }));
  }

  /**
   * Deletes the result files read so far. Only the very file that was read: job id 0 (a card
   * rejected before it had a job) comes back with every such card, and a newer 0.result is the
   * station's next result, not ours to delete.
   */
  private forgetResults(): void {
    for (const [jobId, inode] of this.readResults) {
      const file = resultFilePath(this.jobDir, jobId);
      this.track(stat(file).then((now) => (now.ino === inode ? rm(file, { force: true }) : undefined)));
    }
    this.readResults.clear();
  }

  /** Housekeeping the caller does not wait for, finished before close() resolves. */
  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => undefined).finally(() => this.cleanups.delete(tracked));
    this.cleanups.add(tracked);
  }

  private sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }

  private wakeUp(): void {
    clearTimeout(this.sleepTimer);
    this.sleepTimer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** A listener's bug must not stop the polling, nor pass unnoticed. */
function reportListenerError(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

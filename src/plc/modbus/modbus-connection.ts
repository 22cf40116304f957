/**
 * One Modbus TCP connection per server (host:port), shared by every unit behind it (the heads of an
 * encoder) and reference-counted by the transports that use it. modbus-serial's client is not safe
 * for concurrent requests, so transactions run one at a time from a queue: writes (and the reads a
 * command waits on) jump ahead of polls, but never into the middle of another transaction.
 *
 * The socket is ours, not modbus-serial's (linkTCP on a socket we connected): so a connect that
 * hangs is timed out and destroyed, a reset or close is seen at once instead of at the next request
 * timeout, and no half-open socket outlives a failure. Any request timeout, socket error or framing
 * error takes the whole connection down — the in-flight and queued transactions fail, every unit
 * hears `down` — and it reconnects with backoff (100 ms doubling to 5 s) until the last user leaves.
 * A Modbus exception is an answer, not a failure: it fails only its own transaction.
 */
import net from 'node:net';
import modbusSerial from 'modbus-serial';
import { exceptionName } from './register-map.ts';

// modbus-serial is CommonJS: module.exports is the client class, and module.exports.default is
// module.exports again, which is what the typings (an ES default export) describe.
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

export const BACKOFF_INITIAL_MS = 100;
export const BACKOFF_MAX_MS = 5_000;

/** The connection is down (or closed): the request was not answered. */
export class ModbusLinkError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ModbusLinkError';
  }
}

/** The server answered with a Modbus exception. */
export class ModbusExceptionError extends Error {
  constructor(
    readonly exception: number,
    request: string,
  ) {
    super(`${request} refused: Modbus exception ${exception} (${exceptionName(exception)})`);
    this.name = 'ModbusExceptionError';
  }
}

/** The requests one transaction may make; unit id per request, as on a gateway. */
export interface ModbusIo {
  readHoldingRegisters(unitId: number, address: number, quantity: number, label: string): Promise<number[]>;
  /** Function 6 for one register, else function 16. */
  writeRegisters(unitId: number, address: number, values: readonly number[], label: string): Promise<void>;
}

export type Priority = 'urgent' | 'poll';

interface Queued {
  readonly priority: Priority;
  readonly run: (io: ModbusIo) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type State = 'connecting' | 'up' | 'waiting' | 'closed';

export interface ConnectionEvents {
  up(): void;
  down(reason: string): void;
}

const connections = new Map<string, SharedConnection>();

/**
 * The shared connection to host:port, created (and connecting) on first use. Every acquire needs
 * one release.
 */
export function acquireConnection(host: string, port: number, options: { requestTimeoutMs: number }): SharedConnection {
  const key = `${host}:${port}`;
  let connection = connections.get(key);
  if (!connection) {
    connection = new SharedConnection(host, port, options.requestTimeoutMs, () => connections.delete(key));
    connections.set(key, connection);
  }
  connection.addRef(options.requestTimeoutMs);
  return connection;
}

/** How many shared connections are open: tests check nothing is left behind. */
export function openConnectionCount(): number {
  return connections.size;
}

export class SharedConnection {
  private refs = 0;
  private state: State = 'waiting';
  private socket: net.Socket | undefined;
  private client: ModbusRTU | undefined;
  /** Bumped on every new socket: a late answer from an old one is recognised and ignored. */
  private generation = 0;
  private lastReason = 'not connected yet';
  private backoffMs = BACKOFF_INITIAL_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  /** Fails the request in flight (if any) when the connection goes. */
  private failInFlight: ((error: Error) => void) | undefined;
  private readonly queue: Queued[] = [];
  private active: Queued | undefined;
  private readonly listeners = new Set<ConnectionEvents>();
  private upWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private socketClosed: Promise<void> = Promise.resolve();
  private requestTimeoutMs: number;

  constructor(
    readonly host: string,
    readonly port: number,
    requestTimeoutMs: number,
    private readonly onClosed: () => void,
  ) {
    this.requestTimeoutMs = requestTimeoutMs;
  }

  get endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  addRef(requestTimeoutMs: number): void {
    this.refs++;
    // Connecting waits as long as the most patient user would wait for an answer.
    this.requestTimeoutMs = Math.max(this.requestTimeoutMs, requestTimeoutMs);
    if (this.refs === 1) this.open();
  }

  /** Drops one reference; the last one closes the socket and resolves when it is gone. */
  async release(): Promise<void> {
    if (this.refs === 0) return;
    this.refs--;
    if (this.refs > 0) return;
    this.state = 'closed';
    this.onClosed();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.teardown('the connection was closed');
    for (const waiter of this.upWaiters.splice(0)) waiter.reject(new ModbusLinkError('the connection was closed'));
    this.listeners.clear();
    await this.socketClosed;
  }

  on(events: ConnectionEvents): () => void {
    this.listeners.add(events);
    return () => this.listeners.delete(events);
  }

  /** Resolves when the connection is (or next becomes) up; rejects when it is closed. */
  whenUp(): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new ModbusLinkError('the connection was closed'));
    return new Promise((resolve, reject) => this.upWaiters.push({ resolve, reject }));
  }

  /**
   * Runs `run` alone on the connection once the transactions ahead of it are done. Fails at once
   * with ModbusLinkError when the connection is not up: a write must not wait for a reconnection
   * the caller knows nothing about.
   */
  transact<T>(priority: Priority, run: (io: ModbusIo) => Promise<T>): Promise<T> {
    if (this.state !== 'up') return Promise.reject(new ModbusLinkError(this.lastReason));
    return new Promise<T>((resolve, reject) => {
      const entry: Queued = { priority, run, resolve: resolve as (value: unknown) => void, reject };
      if (priority === 'urgent') {
        // Behind the other urgent ones, ahead of every poll.
        const firstPoll = this.queue.findIndex((q) => q.priority === 'poll');
        this.queue.splice(firstPoll === -1 ? this.queue.length : firstPoll, 0, entry);
      } else {
        this.queue.push(entry);
      }
      this.pump();
    });
  }

  private pump(): void {
    if (this.active || this.state !== 'up') return;
    const entry = this.queue.shift();
    if (!entry) return;
    this.active = entry;
    const io = this.io(this.generation);
    const finish = (): void => {
      if (this.active !== entry) return;
      this.active = undefined;
      this.pump();
    };
    entry.run(io).then(
      (value) => {
        finish();
        entry.resolve(value);
      },
      (error: unknown) => {
        finish();
        entry.reject(error);
      },
    );
  }

  private io(generation: number): ModbusIo {
    return {
      readHoldingRegisters: (unitId, address, quantity, label) =>
        this.request(generation, unitId, label, async (client) => (await client.readHoldingRegisters(address, quantity)).data),
      writeRegisters: (unitId, address, values, label) =>
        this.request(generation, unitId, label, async (client) => {
          if (values.length === 1) await client.writeRegister(address, values[0]!);
          else await client.writeRegisters(address, [...values]);
        }),
    };
  }

  private request<T>(generation: number, unitId: number, label: string, call: (client: ModbusRTU) => Promise<T>): Promise<T> {
    const client = this.client;
    if (generation !== this.generation || this.state !== 'up' || !client) return Promise.reject(new ModbusLinkError(this.lastReason));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        if (this.failInFlight === fail) this.failInFlight = undefined;
        return true;
      };
      const fail = (error: Error): void => {
        if (settle()) reject(error);
      };
      const timeoutMs = this.requestTimeoutMs;
      const timer = setTimeout(() => {
        // The answer may still come; the socket goes with it, so it can never be taken for the next one's.
        this.lose(generation, `no answer within ${timeoutMs} ms to ${label}`);
      }, timeoutMs);
      this.requestTimer = timer;
      this.failInFlight = fail;
      client.setID(unitId);
      call(client).then(
        (value) => {
          if (!settle()) return;
          this.backoffMs = BACKOFF_INITIAL_MS; // an answered request proves the link
          resolve(value);
        },
        (error: unknown) => {
          if (!settle()) return;
          const code = (error as { modbusCode?: unknown }).modbusCode;
          if (typeof code === 'number') {
            this.backoffMs = BACKOFF_INITIAL_MS; // an exception is an answer too
            reject(new ModbusExceptionError(code, label));
            return;
          }
          // Anything else (a bad frame, a port that closed under us) leaves the stream in doubt.
          const reason = `${label}: ${(error as Error).message ?? String(error)}`;
          this.lose(generation, reason);
          reject(new ModbusLinkError(reason));
        },
      );
    });
  }

  private open(): void {
    if (this.state === 'closed') return;
    this.state = 'connecting';
    const generation = ++this.generation;
    const socket = new net.Socket();
    this.socket = socket;
    let socketError: Error | undefined;
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', (error) => {
      socketError = error;
    });
    socket.once('close', () => {
      this.lose(generation, socketError ? `connection lost: ${socketError.message}` : 'the server closed the connection');
    });
    this.connectTimer = setTimeout(() => this.lose(generation, `no connection within ${this.requestTimeoutMs} ms`), this.requestTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(this.connectTimer);
      if (generation !== this.generation) return;
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 5_000);
      const client = new ModbusRTU();
      // modbus-serial relays port errors as 'error' events; unhandled, they would kill the process.
      client.on('error', () => undefined);
      client.linkTCP(socket, { port: this.port }).then(
        () => {
          if (generation !== this.generation || this.state !== 'connecting') return;
          this.client = client;
          this.state = 'up';
          for (const waiter of this.upWaiters.splice(0)) waiter.resolve();
          for (const l of [...this.listeners]) l.up();
          this.pump();
        },
        (error: unknown) => this.lose(generation, `linking the Modbus client failed: ${(error as Error).message}`),
      );
    });
    socket.connect({ host: this.host, port: this.port });
  }

  /** The connection of `generation` is gone: fail what waits on it and schedule a reconnection. */
  private lose(generation: number, reason: string): void {
    if (generation !== this.generation || this.state === 'closed' || this.state === 'waiting') return;
    this.lastReason = reason;
    this.teardown(reason);
    this.state = 'waiting';
    // Also after a failed attempt that never came up: the units tell a change from a repeat.
    for (const l of [...this.listeners]) l.down(reason);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
  }

  private teardown(reason: string): void {
    this.generation++;
    clearTimeout(this.connectTimer);
    clearTimeout(this.requestTimer);
    this.socket?.destroy();
    this.socket = undefined;
    this.client = undefined;
    const error = new ModbusLinkError(reason);
    this.failInFlight?.(error);
    this.failInFlight = undefined;
    const active = this.active;
    this.active = undefined;
    active?.reject(error);
    for (const entry of this.queue.splice(0)) entry.reject(error);
  }
}

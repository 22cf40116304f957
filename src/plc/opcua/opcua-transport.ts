/**
 * The controller's OPC UA client for one station unit: the TagTransport port over node-opcua
 * (address space: address-space.ts; contract: docs/plc-interface.md, "OPC UA").
 *
 * The units served by one PLC endpoint (same URL, security and user: a six-head encoder is one PLC)
 * share ONE connection: one client, one session, one subscription (SharedEndpoint). At each
 * connection every unit resolves its nodes with TranslateBrowsePathsToNodeIds from Objects (so it
 * works against any server that implements the browse paths, not only our simulator), then adds an
 * exception-based monitored item per PLC-written tag (plus ResultData) to the shared subscription.
 * The initial notifications of a unit's items are its full snapshot; after that, the unit's part of
 * each DataChangeNotification is one onTags call (split only where a tag changed twice). The PLC's
 * Heartbeat is one of those items. There are no Read calls in steady state.
 *
 * The connection is this module's own: a link (client, session, subscription) is opened, used, and
 * thrown away whole when anything about it fails (the channel closes, the subscription's keep-alives
 * stop, the server goes silent past requestTimeoutMs); a supervisor opens a new one with backoff and
 * a new full snapshot. node-opcua's built-in reconnection is off, because a repaired session may keep
 * its subscription and then no snapshot follows.
 */
import { createHash } from 'node:crypto';
import {
  AttributeIds,
  type ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSubscription,
  coerceNodeId,
  DataChangeFilter,
  DataChangeTrigger,
  type DataValue,
  DataType,
  DeadbandType,
  MessageSecurityMode,
  type MonitoredItemNotification,
  type NodeId,
  type NotificationMessage,
  OPCUAClient,
  type OPCUACertificateManager,
  resolveNodeId,
  SecurityPolicy,
  type StatusCode,
  StatusCodes,
  TimestampsToReturn,
  type UserIdentityInfo,
  UserTokenType,
  Variant,
  VariantArrayType,
  type Argument,
  type BrowsePathResult,
  ReferenceTypeIds,
} from 'node-opcua';
import { stateName, type PackMLCommandName } from '../packml.ts';
import { LinkDownError, ProtocolError, StationLinkError } from '../station-link.ts';
import { dataCrc32 } from '../tag-store.ts';
import { tagSpec, TAGS, type HostTags, type PlcTags, type TagName, type TagSpec } from '../tags.ts';
import type { CommandOutcome, TagTransport } from '../transport.ts';
import { TransportListeners, type ConnectionListener, type TagListener } from '../transport-listeners.ts';
import {
  CARDLINE_NAMESPACE_URI,
  COMMAND_METHODS,
  commandMethod,
  MAX_CHUNK_COUNT,
  MAX_DATA_BYTES,
  MAX_MESSAGE_BYTES,
  MONITORED_TAGS,
  PACKML_NAMESPACE_URI,
  STATE_MACHINES,
  tagRelativePath,
  tagValueFromVariant,
  tagVariant,
} from './address-space.ts';
import { acquireCertificateManager, pkiLayout, releaseCertificateManager } from './pki.ts';

export interface OpcuaTransportOptions {
  readonly endpointUrl: string;
  /** Browse names from Objects to the unit object (cardline namespace). */
  readonly objectPath: readonly string[];
  /** The controller's client certificate store (see pki.ts). */
  readonly pkiDir: string;
  readonly security: {
    readonly mode: 'None' | 'Sign' | 'SignAndEncrypt';
    readonly policy: 'None' | 'Basic256Sha256';
    /** Anonymous when absent. */
    readonly user?: { readonly username: string; readonly password: string };
  };
  /**
   * Requested publishing interval, ms (default 10). It bounds how late a PLC change reaches the
   * controller; the server may revise it upwards (node-opcua's default floor is 50 ms).
   */
  readonly publishingIntervalMs?: number;
  /**
   * A request without an answer after this long fails, and a server silent this long (no publish
   * response, not even a keep-alive, which it sends every quarter of it) is taken as gone. Default 5000.
   */
  readonly requestTimeoutMs?: number;
  /** How long readResultData waits for a ResultData that matches Done's size and CRC. Default 2000. */
  readonly resultDataTimeoutMs?: number;
  /** For error messages; default the object path. */
  readonly unitId?: string;
}

export const OPCUA_CLIENT_APPLICATION_NAME = 'cardline-controller';

const DEFAULT_PUBLISHING_INTERVAL_MS = 10;
const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
const DEFAULT_RESULT_DATA_TIMEOUT_MS = 2000;
const BACKOFF_MS = [100, 250, 500, 1000, 2000, 4000, 5000] as const;

export function createOpcuaTransport(options: OpcuaTransportOptions): TagTransport {
  return new OpcuaTransport(options);
}

interface MethodTarget {
  readonly objectId: NodeId;
  readonly methodId: NodeId;
  /** Defaults for the declared input arguments (Start takes a PackMLDescriptorDataType[]), or why there are none. */
  readonly inputArguments: Variant[] | string;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A connection attempt failed for a reason retrying will not fix without an operator (see connect()). */
class ConfigurationError extends ProtocolError {}

/** One connection: client, session, subscription. Thrown away whole when it fails. */
class Link {
  readonly broken = deferred<string>();
  isBroken = false;
  /** False once the channel is known dead or silent: nothing more can be said to the server. */
  reachable = true;
  session: ClientSession | undefined;
  /** Settles once createSubscription2 has (see dispose). */
  creatingSubscription: Promise<void> | undefined;
  subscription: ClientSubscription | undefined;
  /** clientHandle → the unit whose monitored item it is, known once the unit's items exist. */
  readonly routes = new Map<number, OpcuaTransport>();
  /** Notifications for items not yet routed (they come before monitorItems answers), in order. */
  early: MonitoredItemNotification[] = [];
  lastHeard = Date.now();
  revisedPublishingIntervalMs = 0;
  silenceLimitMs = 0;
  private watchdog: NodeJS.Timeout | undefined;

  /** `requestTimeoutMs`: the client's transaction timeout, by when any request it sent has settled. */
  constructor(
    readonly client: OPCUAClient,
    private readonly requestTimeoutMs: number,
  ) {}

  fail(reason: string, reachable = true): void {
    if (!reachable) this.reachable = false;
    if (this.isBroken) return;
    this.isBroken = true;
    this.broken.resolve(reason);
  }

  heard(): void {
    this.lastHeard = Date.now();
  }

  watch(limitMs: number): void {
    this.silenceLimitMs = limitMs;
    this.lastHeard = Date.now();
    this.watchdog = setInterval(
      () => {
        const silent = Date.now() - this.lastHeard;
        if (silent > limitMs) this.fail(`no answer from the server for ${silent} ms (keep-alive lost)`, false);
      },
      Math.max(50, Math.min(1000, limitMs / 4)),
    );
    this.watchdog.unref();
  }

  async dispose(timeoutMs: number): Promise<void> {
    clearInterval(this.watchdog);
    this.fail('closed');
    const client = this.client;
    // node-opcua announces a new subscription one turn after the server created it, and its handler
    // asserts the session is still open: closing the session (or disconnecting, which closes it) in
    // between throws an uncaught exception from inside node-opcua. A subscription being created
    // finishes (or fails, at the latest when its request times out) first.
    if (this.creatingSubscription) {
      await withTimeout(this.creatingSubscription, Math.max(timeoutMs, this.requestTimeoutMs + 1000), 'creating the subscription').catch(() => undefined);
    }
    // Closing the session deletes its subscription; on a dead or silent channel this cannot
    // succeed, and the server drops the orphan when its session timeout runs out.
    if (this.session && this.reachable) {
      await withTimeout(this.session.close(true), timeoutMs, 'closing the session').catch(() => undefined);
    }
    await withTimeout(client.disconnect(), timeoutMs, 'disconnecting').catch(() => undefined);
  }
}

/** A unit's view of one link: its nodes, methods and monitored items on the shared session. */
interface Binding {
  readonly link: Link;
  readonly nodes: Map<TagName, NodeId>;
  readonly methods: Map<string, MethodTarget>;
  /** clientHandle → tag, known once the monitored items exist. */
  handles: Map<number, TagName> | undefined;
  group: ClientMonitoredItemGroup | undefined;
}

/** The endpoints with a connection, by what a connection is made of (URL, security, user, PKI, timing). */
const ENDPOINTS = new Map<string, SharedEndpoint>();

function endpointKey(options: OpcuaTransportOptions, publishingIntervalMs: number, requestTimeoutMs: number): string {
  const { security } = options;
  // The password only as a digest: the key lives as long as the connection.
  const user = security.user ? `${security.user.username}:${createHash('sha256').update(security.user.password).digest('hex')}` : '';
  return JSON.stringify([options.endpointUrl, security.mode, security.policy, user, options.pkiDir, publishingIntervalMs, requestTimeoutMs]);
}

/** Sessions and subscriptions this process holds open now, one per PLC endpoint (for the tests). */
export function openOpcuaEndpointCount(): number {
  return ENDPOINTS.size;
}

/**
 * One PLC endpoint's connection, shared by the units it serves: a supervisor opens a link (client,
 * session, one subscription), attaches every unit to it, and on failure reports the link down to
 * all of them, throws it away and opens a new one with backoff. It closes when its last unit leaves.
 */
class SharedEndpoint {
  readonly units = new Set<OpcuaTransport>();
  private closed = false;
  private running: Promise<void> | undefined;
  private link: Link | undefined;
  private opening: Link | undefined;
  private certificateManager: OPCUACertificateManager | undefined;
  private wake: (() => void) | undefined;
  private readonly endpoint: string;

  constructor(
    private readonly key: string,
    private readonly options: OpcuaTransportOptions,
    private readonly publishingIntervalMs: number,
    private readonly requestTimeoutMs: number,
  ) {
    this.endpoint = options.endpointUrl;
  }

  static for(options: OpcuaTransportOptions, publishingIntervalMs: number, requestTimeoutMs: number): SharedEndpoint {
    const key = endpointKey(options, publishingIntervalMs, requestTimeoutMs);
    let endpoint = ENDPOINTS.get(key);
    if (!endpoint) {
      endpoint = new SharedEndpoint(key, options, publishingIntervalMs, requestTimeoutMs);
      ENDPOINTS.set(key, endpoint);
    }
    return endpoint;
  }

  join(unit: OpcuaTransport): void {
    this.units.add(unit);
    if (!this.running) {
      this.running = this.supervise().finally(() => {
        this.running = undefined;
      });
    } else if (this.link && !this.link.isBroken) {
      void this.attach(this.link, unit);
    }
  }

  /** A unit leaves (closed, or refused at its first connection); the last one closes the connection. */
  async leave(unit: OpcuaTransport, binding: Binding | undefined): Promise<void> {
    if (!this.units.delete(unit)) return;
    if (binding && !binding.link.isBroken) {
      for (const handle of binding.handles?.keys() ?? []) binding.link.routes.delete(handle);
      if (this.units.size > 0) await withTimeout(binding.group?.terminate() ?? Promise.resolve(), this.requestTimeoutMs, 'removing the monitored items').catch(() => undefined);
    }
    if (this.units.size > 0) return;
    this.closed = true;
    if (ENDPOINTS.get(this.key) === this) ENDPOINTS.delete(this.key);
    this.wake?.();
    this.link?.fail('closed');
    this.opening?.fail('closed');
    await this.running;
    if (this.certificateManager) {
      const manager = this.certificateManager;
      this.certificateManager = undefined;
      await releaseCertificateManager(manager);
    }
  }

  private async supervise(): Promise<void> {
    let failures = 0;
    try {
      // Kept across attempts: given back when the last unit leaves.
      this.certificateManager ??= await acquireCertificateManager(this.options.pkiDir);
    } catch (err) {
      const error = new ConfigurationError(this.endpoint, `${this.endpoint}: ${(err as Error).message}`, { cause: err });
      for (const unit of [...this.units]) unit.refused(error);
      return;
    }
    while (!this.closed) {
      let link: Link | undefined;
      try {
        link = await this.open();
        failures = 0;
        this.link = link;
        await Promise.all([...this.units].map((unit) => this.attach(link!, unit)));
        const reason = await link.broken.promise;
        this.link = undefined;
        if (!this.closed) for (const unit of this.units) unit.linkDown(reason);
        await link.dispose(Math.min(this.requestTimeoutMs, 2000));
        if (this.closed) break;
      } catch (err) {
        if (this.closed) break;
        const error = explain(err, this.endpoint, this.endpoint, this.options);
        for (const unit of [...this.units]) {
          // A first connection refused for configuration rejects connect(); after one, everything is retried.
          if (error instanceof ConfigurationError && !unit.everConnected) unit.refused(error);
          else unit.linkDown(error.message);
        }
        failures += 1;
      }
      if (this.units.size === 0) break;
      await this.sleep(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)]!);
    }
  }

  /** Attaches a unit to the link; a unit refused for configuration before it ever connected leaves, anything else breaks the link. */
  private async attach(link: Link, unit: OpcuaTransport): Promise<void> {
    const attemptMs = Math.max(10_000, 3 * this.requestTimeoutMs);
    const broken = link.broken.promise.then((reason) => {
      throw new LinkDownError(unit.unitId, `${unit.endpoint}: ${reason}`);
    });
    broken.catch(() => undefined);
    try {
      await withTimeout(Promise.race([unit.attach(link), broken]), attemptMs, 'connecting');
    } catch (err) {
      if (link.isBroken || this.closed || !this.units.has(unit)) return;
      const error = explain(err, unit.unitId, unit.endpoint, this.options);
      if (error instanceof ConfigurationError && !unit.everConnected) unit.refused(error);
      else link.fail(error.message);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms * (0.8 + 0.4 * Math.random()));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = undefined;
    });
  }

  /** Opens a link up to its subscription. Cleans up whatever it opened on failure. */
  private async open(): Promise<Link> {
    const { security } = this.options;
    const client = OPCUAClient.create({
      applicationName: OPCUA_CLIENT_APPLICATION_NAME,
      clientName: `cardline ${this.endpoint}`,
      clientCertificateManager: this.certificateManager!,
      securityMode: MessageSecurityMode[security.mode],
      securityPolicy: SecurityPolicy[security.policy],
      endpointMustExist: false,
      // Reconnection is the supervisor's (see the file comment).
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 1000 },
      keepSessionAlive: false,
      requestedSessionTimeout: Math.max(10_000, 4 * this.requestTimeoutMs),
      defaultTransactionTimeout: this.requestTimeoutMs,
      // The socket's own inactivity limit, behind the watchdog (which names the cause).
      transportTimeout: 2 * this.requestTimeoutMs,
      transportSettings: { maxMessageSize: MAX_MESSAGE_BYTES, maxChunkCount: MAX_CHUNK_COUNT },
    });
    const link = new Link(client, this.requestTimeoutMs);
    this.opening = link;
    // 'close' follows 'connection_lost' at once and carries the cause: let it speak first.
    client.on('connection_lost', () => setImmediate(() => link.fail('the connection to the server was lost', false)));
    client.on('close', (err?: Error | null) => link.fail(`the connection closed${err ? ` (${err.message})` : ''}`, false));
    client.on('timed_out_request', () => link.fail(`a request got no answer within ${this.requestTimeoutMs} ms`, false));
    client.on('receive_response', () => link.heard());
    const attemptMs = Math.max(10_000, 3 * this.requestTimeoutMs);
    try {
      const brokenWhileOpening = link.broken.promise.then((reason) => {
        throw new LinkDownError(this.endpoint, `${this.endpoint}: ${reason}`);
      });
      // It settles after the attempt too (when the link later breaks): handled here, not an unhandled rejection.
      brokenWhileOpening.catch(() => undefined);
      await withTimeout(Promise.race([this.establish(link), brokenWhileOpening]), attemptMs, 'connecting');
      this.opening = undefined;
      if (this.closed) throw new StationLinkError('closed', this.endpoint, `${this.endpoint}: closed while connecting`);
      return link;
    } catch (err) {
      this.opening = undefined;
      await link.dispose(Math.min(this.requestTimeoutMs, 2000));
      throw err;
    }
  }

  private async establish(link: Link): Promise<void> {
    const { client } = link;
    const { security, endpointUrl } = this.options;
    await client.connect(endpointUrl);
    const user: UserIdentityInfo = security.user
      ? { type: UserTokenType.UserName, userName: security.user.username, password: security.user.password }
      : { type: UserTokenType.Anonymous };
    const session = await client.createSession(user);
    link.session = session;
    session.on('session_closed', () => link.fail('the server closed the session'));

    const interval = this.publishingIntervalMs;
    const keepAliveMs = this.requestTimeoutMs / 4;
    const creating = session.createSubscription2({
      requestedPublishingInterval: interval,
      requestedMaxKeepAliveCount: Math.max(1, Math.ceil(keepAliveMs / interval)),
      requestedLifetimeCount: Math.max(3 * Math.ceil(keepAliveMs / interval), Math.ceil(30_000 / interval)),
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 100,
    });
    link.creatingSubscription = creating.then(
      () => undefined,
      () => undefined,
    );
    const subscription = await creating;
    link.subscription = subscription;
    link.revisedPublishingIntervalMs = subscription.publishingInterval;
    subscription.on('keepalive', () => link.heard());
    subscription.on('terminated', () => link.fail('the subscription ended'));
    subscription.on('status_changed', (status: StatusCode) => link.fail(`the subscription ended: ${describeStatus(status)}`));
    subscription.on('raw_notification', (message: NotificationMessage) => {
      link.heard();
      this.onNotification(link, message);
    });
    // The server may grant a slower publishing interval, and with it a slower keep-alive.
    link.watch(Math.max(this.requestTimeoutMs, 3 * subscription.publishingInterval * subscription.maxKeepAliveCount));
  }

  private onNotification(link: Link, message: NotificationMessage): void {
    for (const data of message.notificationData ?? []) {
      if (!data) continue;
      const kind = data.schema.name;
      if (kind === 'DataChangeNotification') {
        const items = (data as unknown as { monitoredItems?: MonitoredItemNotification[] | null }).monitoredItems ?? [];
        this.route(link, items);
      } else if (kind === 'StatusChangeNotification') {
        const status = (data as unknown as { status: StatusCode }).status;
        link.fail(`the server ended the subscription: ${describeStatus(status)}`);
      }
    }
  }

  /** Hands each unit its items of a notification, in order; items of units not yet routed wait in `early`. */
  route(link: Link, items: readonly MonitoredItemNotification[]): void {
    if (link.isBroken) return;
    let byUnit: Map<OpcuaTransport, MonitoredItemNotification[]> | undefined;
    for (const item of items) {
      const unit = link.routes.get(item.clientHandle);
      if (!unit) {
        link.early.push(item);
        continue;
      }
      byUnit ??= new Map();
      let list = byUnit.get(unit);
      if (!list) byUnit.set(unit, (list = []));
      list.push(item);
    }
    if (byUnit) for (const [unit, list] of byUnit) unit.onDataChange(link, list);
  }

  /** After a unit's items got their routes: the notifications that came before, handed over now. */
  replayEarly(link: Link): void {
    const early = link.early;
    link.early = [];
    this.route(link, early);
  }
}

class OpcuaTransport implements TagTransport {
  readonly endpoint: string;
  readonly unitId: string;
  private readonly requestTimeoutMs: number;
  private readonly publishingIntervalMs: number;
  private readonly resultDataTimeoutMs: number;
  private readonly listeners = new TransportListeners();
  private readonly resultWaiters = new Set<() => void>();

  private closed = false;
  /** The endpoint this unit has joined, from connect() until close() (or a refused first connection). */
  private shared: SharedEndpoint | undefined;
  private first: Deferred<void> | undefined;
  everConnected = false;
  /** The link this unit is attached to, once its snapshot was delivered. */
  private bound: Binding | undefined;
  private reported: { connected: boolean; reason: string } | undefined;
  private resultData: Buffer = Buffer.alloc(0);
  private lastState: number | undefined;
  /** The full snapshot being collected from a new link's initial notifications. */
  private snapshot: { binding: Binding; values: Partial<PlcTags> & { ResultData?: Buffer }; seen: Set<TagName>; delivered: Deferred<void> } | undefined;

  constructor(private readonly options: OpcuaTransportOptions) {
    this.endpoint = `${options.endpointUrl} ${options.objectPath.join('/')}`;
    this.unitId = options.unitId ?? options.objectPath.join('/');
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.publishingIntervalMs = options.publishingIntervalMs ?? DEFAULT_PUBLISHING_INTERVAL_MS;
    this.resultDataTimeoutMs = options.resultDataTimeoutMs ?? DEFAULT_RESULT_DATA_TIMEOUT_MS;
    if ((options.security.mode === 'None') !== (options.security.policy === 'None')) {
      throw new Error(`${this.endpoint}: security mode ${options.security.mode} does not go with policy ${options.security.policy}`);
    }
  }

  /**
   * Joins the endpoint's shared connection and resolves once this unit is attached and its full
   * snapshot delivered. Transient failures (nothing listening, timeouts) are retried with backoff
   * for as long as it takes. A first attempt refused for configuration (certificate not trusted by
   * either side, user refused, security policy not offered, nodes missing) rejects instead, with
   * what to do; call connect() again once it is fixed. After the first connection everything is retried.
   */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new StationLinkError('closed', this.unitId, `${this.endpoint}: the transport is closed`));
    if (!this.shared) {
      this.first = deferred<void>();
      this.first.promise.catch(() => undefined);
      this.shared = SharedEndpoint.for(this.options, this.publishingIntervalMs, this.requestTimeoutMs);
      this.shared.join(this);
    }
    return this.first!.promise;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const shared = this.shared;
    this.shared = undefined;
    const bound = this.bound ?? this.snapshot?.binding;
    this.bound = undefined;
    this.snapshot?.delivered.reject(new StationLinkError('closed', this.unitId, `${this.endpoint}: closed while connecting`));
    this.snapshot = undefined;
    if (shared) await shared.leave(this, bound);
    this.first?.reject(new StationLinkError('closed', this.unitId, `${this.endpoint}: closed before the first connection`));
    for (const waiter of this.resultWaiters) waiter();
  }

  /** The endpoint refused this unit's first connection for configuration: connect() rejects, and it leaves. */
  refused(error: StationLinkError): void {
    const shared = this.shared;
    this.shared = undefined;
    const binding = this.snapshot?.binding;
    this.snapshot = undefined;
    this.report(false, error.message);
    this.first?.reject(error);
    void shared?.leave(this, binding);
  }

  /** The shared link went down: so is this unit, until it is attached to the next one. */
  linkDown(reason: string): void {
    this.bound = undefined;
    this.snapshot = undefined;
    if (!this.closed) this.report(false, reason);
  }

  onTags(listener: TagListener): () => void {
    return this.listeners.onTags(listener);
  }

  onConnection(listener: ConnectionListener): () => void {
    return this.listeners.onConnection(listener);
  }

  async write(values: Partial<Omit<HostTags, 'JobData'>>): Promise<void> {
    const entries = (Object.entries(values) as [TagName, unknown][]).filter(([, v]) => v !== undefined);
    for (const [tag] of entries) {
      const spec = TAGS.find((t) => t.name === tag);
      if (!spec || spec.writer !== 'host' || spec.type === 'bytes') throw new Error(`${this.endpoint}: ${tag} is not a host tag that write() takes`);
    }
    if (entries.length === 0) return;
    await this.writeTags(entries, 'write');
  }

  async writeJob(jobId: number, data: Buffer): Promise<void> {
    if (data.length > MAX_DATA_BYTES) throw new ProtocolError(this.unitId, `${this.endpoint}: job ${jobId} data is ${data.length} bytes, over the ${MAX_DATA_BYTES} the link carries`);
    await this.writeTags(
      [
        ['JobData', data],
        ['JobDataSize', data.length],
        ['JobDataCrc32', dataCrc32(data)],
        ['JobId', jobId],
      ],
      `job ${jobId}`,
    );
  }

  async readResultData(jobId: number, expected: { size: number; crc32: number }): Promise<Buffer> {
    const matches = (): boolean => this.resultData.length === expected.size && dataCrc32(this.resultData) === expected.crc32 >>> 0;
    if (!matches()) {
      const started = Date.now();
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (matches() || this.closed || Date.now() - started >= this.resultDataTimeoutMs) done();
        };
        const timer = setTimeout(() => done(), this.resultDataTimeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          this.resultWaiters.delete(check);
          resolve();
        };
        this.resultWaiters.add(check);
      });
      if (!matches()) {
        const got = this.resultData;
        throw new ProtocolError(
          this.unitId,
          `${this.endpoint}: result data of job ${jobId}: Done announced ${expected.size} bytes with CRC-32 ${hex(expected.crc32)}, ` +
            `but the last ResultData delivered has ${got.length} bytes with CRC-32 ${hex(dataCrc32(got))} (waited ${this.resultDataTimeoutMs} ms)`,
        );
      }
    }
    return Buffer.from(this.resultData);
  }

  async command(command: PackMLCommandName): Promise<CommandOutcome> {
    const binding = this.requireLink(`command ${command}`);
    const placement = commandMethod(command, this.lastState);
    const key = `${placement.on}.${placement.method}`;
    const target = binding.methods.get(key);
    const where = `${this.endpoint}: command ${command} (method ${[...STATE_MACHINES[placement.on], placement.method].join('/')})`;
    if (!target) throw new ProtocolError(this.unitId, `${where}: the station has no such method`);
    if (typeof target.inputArguments === 'string') throw new ProtocolError(this.unitId, `${where}: ${target.inputArguments}`);
    const result = await this.request(binding, where, (session) =>
      session.call({ objectId: target.objectId, methodId: target.methodId, inputArguments: target.inputArguments as Variant[] }),
    );
    if (result.statusCode.isGood()) return { accepted: true };
    if (result.statusCode.equals(StatusCodes.BadInvalidState)) {
      const state = this.lastState === undefined ? 'an unknown state' : `state ${stateName(this.lastState)}`;
      return { accepted: false, detail: `the station refused ${command} in ${state} (${result.statusCode.name})` };
    }
    throw new ProtocolError(this.unitId, `${where} failed: ${describeStatus(result.statusCode)}`);
  }

  // ---- writes and requests ---------------------------------------------------------------------

  private async writeTags(entries: readonly (readonly [TagName, unknown])[], what: string): Promise<void> {
    const binding = this.requireLink(what);
    const nodesToWrite = entries.map(([tag, value]) => {
      const spec = tagSpec(tag);
      checkValueType(spec, value, this.endpoint);
      return {
        nodeId: binding.nodes.get(tag)!,
        attributeId: AttributeIds.Value,
        value: { value: new Variant(tagVariant(tag, value as never)) },
      };
    });
    const statuses = await this.request(binding, `${this.endpoint}: ${what}`, (session) => session.write(nodesToWrite));
    const refused = entries.flatMap(([tag], i) => {
      const status = statuses[i];
      return status?.isGood() ? [] : [`${tag} (${binding.nodes.get(tag)!.toString()}): ${status ? describeStatus(status) : 'no status returned'}`];
    });
    if (refused.length > 0) throw new ProtocolError(this.unitId, `${this.endpoint}: ${what}: the server refused the write of ${refused.join('; ')}`);
  }

  private requireLink(what: string): Binding {
    const binding = this.bound;
    if (!binding || binding.link.isBroken) {
      throw new LinkDownError(this.unitId, `${this.endpoint}: cannot ${what}: ${this.reported?.connected === false ? this.reported.reason : 'not connected'}`);
    }
    return binding;
  }

  /** A service call on the link's session; transport failures become LinkDownError with context. */
  private async request<T>(binding: Binding, where: string, call: (session: ClientSession) => Promise<T>): Promise<T> {
    const link = binding.link;
    const session = link.session!;
    try {
      // node-opcua times requests out itself; this bound is for a request caught in a session
      // being torn down, whose callback may never come — a caller must never wait for ever.
      const result = await withTimeout(call(session), 2 * this.requestTimeoutMs, 'the request');
      link.heard();
      return result;
    } catch (err) {
      throw new LinkDownError(this.unitId, `${where}: ${(err as Error).message}`, { cause: err });
    }
  }

  // ---- attaching to a shared link --------------------------------------------------------------

  /** Resolves this unit's nodes on the link's session, adds its monitored items to the shared subscription, and waits for its snapshot. */
  async attach(link: Link): Promise<void> {
    if (this.closed) return;
    const binding: Binding = { link, nodes: new Map(), methods: new Map(), handles: undefined, group: undefined };
    const session = link.session!;
    await this.resolveNodes(binding, session);
    const tags = MONITORED_TAGS;
    const group = await link.subscription!.monitorItems(
      tags.map((tag) => ({ nodeId: binding.nodes.get(tag)!, attributeId: AttributeIds.Value })),
      {
        samplingInterval: 0,
        queueSize: 16,
        discardOldest: true,
        // StatusValueTimestamp: the same value written again is a notification too (a Done set twice).
        filter: new DataChangeFilter({ trigger: DataChangeTrigger.StatusValueTimestamp, deadbandType: DeadbandType.None, deadbandValue: 0 }),
      },
      TimestampsToReturn.Source,
    );
    binding.group = group;
    const refused = group.monitoredItems.flatMap((item, i) => (item.statusCode.isGood() ? [] : [`${tags[i]}: ${describeStatus(item.statusCode)}`]));
    if (refused.length > 0) throw new ConfigurationError(this.unitId, `${this.endpoint}: the server refused to monitor ${refused.join('; ')}`);
    if (this.closed || link.isBroken) {
      if (!link.isBroken) await withTimeout(group.terminate(), this.requestTimeoutMs, 'removing the monitored items').catch(() => undefined);
      return;
    }
    binding.handles = new Map(group.monitoredItems.map((item, i) => [item.monitoringParameters.clientHandle, tags[i]!]));
    const delivered = deferred<void>();
    this.snapshot = { binding, values: {}, seen: new Set(), delivered };
    for (const handle of binding.handles.keys()) link.routes.set(handle, this);
    this.shared?.replayEarly(link);
    await delivered.promise;
  }

  private async resolveNodes(binding: Binding, session: ClientSession): Promise<void> {
    const namespaces = await session.readNamespaceArray();
    const ns = namespaces.indexOf(CARDLINE_NAMESPACE_URI);
    const nsPackML = namespaces.indexOf(PACKML_NAMESPACE_URI);
    if (ns < 0) throw new ConfigurationError(this.unitId, `${this.endpoint}: the server has no namespace ${CARDLINE_NAMESPACE_URI}: it does not implement the cardline PLC interface`);
    const unitPath = this.options.objectPath.map((name) => ({ namespaceIndex: ns, name }));
    const paths: { label: string; elements: { namespaceIndex: number; name: string }[]; required: boolean; use: (id: NodeId) => void }[] = [];
    for (const spec of TAGS) {
      paths.push({
        label: spec.name,
        elements: [...unitPath, ...tagRelativePath(spec.name).map((name) => ({ namespaceIndex: ns, name }))],
        required: true,
        use: (id) => binding.nodes.set(spec.name, id),
      });
    }
    const methods = new Map<string, { objectId?: NodeId; methodId?: NodeId; argumentsId?: NodeId }>();
    if (nsPackML >= 0) {
      for (const m of COMMAND_METHODS) {
        const key = `${m.on}.${m.method}`;
        const entry: { objectId?: NodeId; methodId?: NodeId; argumentsId?: NodeId } = {};
        methods.set(key, entry);
        const machine = [...unitPath, ...STATE_MACHINES[m.on].map((name) => ({ namespaceIndex: nsPackML, name }))];
        const method = [...machine, { namespaceIndex: nsPackML, name: m.method }];
        paths.push({ label: `${key} object`, elements: machine, required: false, use: (id) => (entry.objectId = id) });
        paths.push({ label: key, elements: method, required: false, use: (id) => (entry.methodId = id) });
        paths.push({ label: `${key} arguments`, elements: [...method, { namespaceIndex: 0, name: 'InputArguments' }], required: false, use: (id) => (entry.argumentsId = id) });
      }
    }
    const results: BrowsePathResult[] = await session.translateBrowsePath(
      paths.map((p) => ({
        startingNode: resolveNodeId('ObjectsFolder'),
        relativePath: { elements: p.elements.map((targetName) => ({ referenceTypeId: coerceNodeId(ReferenceTypeIds.HierarchicalReferences), isInverse: false, includeSubtypes: true, targetName })) },
      })),
    );
    const missing: string[] = [];
    paths.forEach((p, i) => {
      const result = results[i];
      const target = result?.statusCode.isGood() ? result.targets?.[0] : undefined;
      if (target) {
        p.use(target.targetId);
      } else if (p.required) {
        missing.push(`Objects/${p.elements.map((e) => e.name).join('/')} (${result ? describeStatus(result.statusCode) : 'no result'})`);
      }
    });
    if (missing.length > 0) {
      const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '');
      throw new ConfigurationError(this.unitId, `${this.endpoint}: the server lacks ${missing.length} of the unit's variables: ${shown}; check the object path`);
    }

    // The methods' declared input arguments, read once here so a call passes what the server expects.
    const withArguments = [...methods.entries()].filter(([, m]) => m.argumentsId);
    const declared = withArguments.length === 0 ? [] : await session.read(withArguments.map(([, m]) => ({ nodeId: m.argumentsId!, attributeId: AttributeIds.Value })));
    const declaredByKey = new Map(withArguments.map(([key], i) => [key, declared[i]]));
    for (const [key, m] of methods) {
      if (!m.objectId || !m.methodId) continue;
      binding.methods.set(key, { objectId: m.objectId, methodId: m.methodId, inputArguments: defaultArguments(declaredByKey.get(key)) });
    }
  }

  // ---- notifications ---------------------------------------------------------------------------

  /** This unit's items of a notification on `link` (SharedEndpoint.route). */
  onDataChange(link: Link, items: readonly MonitoredItemNotification[]): void {
    if (link.isBroken || this.closed) return;
    const snapshot = this.snapshot?.binding.link === link ? this.snapshot : undefined;
    const binding = snapshot?.binding ?? (this.bound?.link === link ? this.bound : undefined);
    if (!binding?.handles) return;
    let batch: Partial<PlcTags> & { ResultData?: Buffer } = {};
    // The latest source timestamp among the batch's items: when the PLC made these changes.
    let batchAt: number | undefined;
    const flush = (): void => {
      if (Object.keys(batch).length > 0) this.deliver(batch, false, batchAt);
      batch = {};
      batchAt = undefined;
    };
    for (const item of items) {
      const tag = binding.handles.get(item.clientHandle);
      if (!tag) continue;
      const value = this.decode(tag, item.value);
      if (value === undefined) continue;
      if (snapshot) {
        (snapshot.values as Record<string, unknown>)[tag] = value;
        snapshot.seen.add(tag);
        continue;
      }
      if (tag in batch) flush();
      (batch as Record<string, unknown>)[tag] = value;
      const source = item.value.sourceTimestamp?.getTime();
      if (source !== undefined && !Number.isNaN(source) && (batchAt === undefined || source > batchAt)) batchAt = source;
    }
    if (snapshot) {
      if (snapshot.seen.size < MONITORED_TAGS.length) return;
      this.snapshot = undefined;
      this.bound = binding;
      this.everConnected = true;
      this.report(true, `connected to ${this.endpoint} (${this.options.security.mode}, publishing interval ${link.revisedPublishingIntervalMs} ms, session shared by ${this.shared?.units.size ?? 1} unit(s))`);
      this.deliver(snapshot.values, true);
      snapshot.delivered.resolve();
      this.first?.resolve();
      return;
    }
    flush();
  }

  private decode(tag: TagName, dataValue: DataValue): unknown {
    // A bad status carries no value (BadWaitingForInitialData on a PLC that is starting up): the
    // tag is not delivered, and a snapshot waits for a good one.
    if (!dataValue.statusCode.isGoodish()) return undefined;
    const decoded = tagValueFromVariant(tagSpec(tag), dataValue.value);
    return 'value' in decoded ? decoded.value : undefined;
  }

  private deliver(values: Partial<PlcTags> & { ResultData?: Buffer }, full: boolean, at?: number): void {
    const { ResultData, ...tags } = values;
    if (ResultData !== undefined) {
      this.resultData = ResultData;
      for (const waiter of this.resultWaiters) waiter();
    }
    if (tags.StateCurrent !== undefined) this.lastState = tags.StateCurrent;
    if (Object.keys(tags).length === 0 && !full) return;
    this.listeners.emitTags(tags, full, at);
  }

  /** Tells the listeners about a change of state (and the first failure before any connection). */
  private report(connected: boolean, reason: string): void {
    const previous = this.reported;
    this.reported = { connected, reason };
    if (previous?.connected === connected) return;
    this.listeners.emitConnection(connected, reason);
  }

}

/** Turns node-opcua's errors into ones that say what to do. */
function explain(err: unknown, unitId: string, where: string, options: OpcuaTransportOptions): StationLinkError {
  if (err instanceof StationLinkError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const own = pkiLayout(options.pkiDir, 'client');
  if (/BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid/.test(message)) {
    return new ConfigurationError(unitId, `${where}: the server refused user '${options.security.user?.username ?? '(anonymous)'}' (${firstStatus(message)}): check the username and password`, { cause: err });
  }
  if (/ANONYMOUS user token policy/i.test(message)) {
    return new ConfigurationError(unitId, `${where}: the server does not accept anonymous sessions: configure a user (opcuaSecurity.user)`, { cause: err });
  }
  if (/server Certificate verification failed/i.test(message)) {
    return new ConfigurationError(
      unitId,
      `${where}: this controller does not trust the server's certificate (${firstStatus(message)}). It was saved in ${own.rejected}: ` +
        `check it is the PLC's, then move it to ${own.trusted} (or copy the PLC's exported certificate there) and connect again`,
      { cause: err },
    );
  }
  if (/BadSecurityChecksFailed|BadCertificate/.test(message)) {
    return new ConfigurationError(
      unitId,
      `${where}: the server refused this controller's certificate (${firstStatus(message)}). Trust ${own.ownCertificate} on the server ` +
        `(the simulator: move it from its pki rejected/ folder to trusted/certs/; a PLC: import it in its engineering tool) and connect again`,
      { cause: err },
    );
  }
  if (/cannot find endpoint|Cannot find an Endpoint/i.test(message)) {
    return new ConfigurationError(unitId, `${where}: the server offers no endpoint with security ${options.security.mode}/${options.security.policy}: ${message}`, { cause: err });
  }
  return new LinkDownError(unitId, `${where}: ${message}`, { cause: err });
}

function defaultArguments(declared: DataValue | undefined): Variant[] | string {
  if (!declared) return [];
  if (!declared.statusCode.isGood()) return `its InputArguments cannot be read: ${describeStatus(declared.statusCode)}`;
  const args = declared.value.value as Argument[] | null;
  if (!Array.isArray(args)) return [];
  const values: Variant[] = [];
  for (const arg of args) {
    // Arrays (Start's PackMLDescriptorDataType[] Parameter) are passed empty; a scalar argument has no default.
    if (arg.valueRank < 1 && arg.valueRank !== -3 && arg.valueRank !== 0) return `the method takes a scalar argument '${arg.name ?? '?'}' the cardline interface does not define`;
    const builtIn = arg.dataType.namespace === 0 && typeof arg.dataType.value === 'number' && arg.dataType.value <= 25 ? (arg.dataType.value as DataType) : DataType.ExtensionObject;
    values.push(new Variant({ dataType: builtIn, arrayType: VariantArrayType.Array, value: [] }));
  }
  return values;
}

function checkValueType(spec: TagSpec, value: unknown, endpoint: string): void {
  const ok =
    (spec.type === 'uint32' && typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff) ||
    (spec.type === 'bool' && typeof value === 'boolean') ||
    (spec.type === 'string' && typeof value === 'string') ||
    (spec.type === 'bytes' && Buffer.isBuffer(value));
  if (!ok) throw new Error(`${endpoint}: ${spec.name} takes a ${spec.type}, not ${typeof value} ${String(value)}`);
}

function describeStatus(status: StatusCode): string {
  return `${status.name} (0x${status.value.toString(16).padStart(8, '0')})${status.description ? `: ${status.description}` : ''}`;
}

function firstStatus(message: string): string {
  return /Bad[A-Za-z]+/.exec(message)?.[0] ?? message;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

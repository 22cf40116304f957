/**
 * The simulator's OPC UA server for one line: every OPC UA unit of the line (a station or an encoder
 * head) as a PackML object whose variables follow the unit's TagStore (address space:
 * src/plc/opcua/address-space.ts; contract: docs/plc-interface.md, "OPC UA").
 *
 * PLC-written variables are read-only to clients and follow store.onChange through
 * setValueFromSource, so exception-based monitored items (samplingInterval 0) report every change
 * without sampling; the server advertises MinSupportedSampleRate 0, which keeps node-opcua from
 * folding changes that come faster than a sampling window. Host-written variables are writable and
 * a client's write goes to store.setHost. The PackML state machine, Status and Admin are kept in
 * step with the store; their command methods call store.command.
 *
 * Fault injection for tests: dropConnections() cuts every client's socket; setAnswering(false)
 * stops reading and writing on them (and on new ones) so requests time out with the sockets open.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Server as NetServer, Socket } from 'node:net';
import path from 'node:path';
import {
  DataType,
  type DataValue,
  makeAccessLevelFlag,
  MessageSecurityMode,
  NodeId,
  NodeIdType,
  nodesets,
  OPCUAServer,
  promoteToStateMachine,
  SecurityPolicy,
  StatusCodes,
  Subscription,
  type IHelloAckLimits,
  type ISessionContext,
  type Namespace,
  type UAObject,
  type UAStateMachineEx,
  type UAVariable,
  type Variant,
  VariantArrayType,
} from 'node-opcua';
import {
  CARDLINE_NAMESPACE_URI,
  CARDLINE_OBJECT,
  cardlineNodeIdentifier,
  COMMAND_METHODS,
  MAX_CHUNK_COUNT,
  MAX_MESSAGE_BYTES,
  nestedStates,
  objectPathProblem,
  PACKML_NAMESPACE_URI,
  STATE_MACHINES,
  type StateMachineLevel,
  TAG_DATA_TYPES,
  tagNodeIdentifier,
  tagVariant,
  tagValueFromVariant,
} from '../../src/plc/opcua/address-space.ts';
import { openCertificateManager } from '../../src/plc/opcua/pki.ts';
import { commandName, STOP_REASONS, type PackMLCommandName } from '../../src/plc/packml.ts';
import type { TagStore } from '../../src/plc/tag-store.ts';
import { COMMAND_RESULTS, TAGS, type HostTagName, type StationTags, type TagGroup, type TagName } from '../../src/plc/tags.ts';

export interface OpcuaUnitBinding {
  readonly unitId: string;
  /** Browse names from Objects to the unit object, e.g. ['demo-opcua', 'encoder', 'Head1']. */
  readonly objectPath: readonly string[];
  readonly store: TagStore;
}

export interface OpcuaServerSecurity {
  readonly mode: 'None' | 'Sign' | 'SignAndEncrypt';
  readonly policy: 'None' | 'Basic256Sha256';
  readonly allowAnonymous: boolean;
  readonly users: readonly { readonly username: string; readonly password: string }[];
  /**
   * Trust every client certificate (a demo convenience). Default false: a client's certificate is
   * refused and saved in `<pkiDir>/rejected/` until an operator moves it to `<pkiDir>/trusted/certs/`.
   */
  readonly acceptUnknownCertificates?: boolean;
}

export interface OpcuaServerOptions {
  /** The interface to bind; the simulator uses 127.0.0.1. */
  readonly host: string;
  /** 0 = a free port. */
  readonly port: number;
  readonly units: readonly OpcuaUnitBinding[];
  /** The server's certificate store (own certificate created on first start). */
  readonly pkiDir: string;
  readonly security: OpcuaServerSecurity;
  /**
   * The fastest publishing interval the server grants, in ms (node-opcua's default floor is 50).
   * It is node-opcua's process-wide setting: the last server started sets it.
   */
  readonly minPublishingIntervalMs?: number;
}

export interface RunningOpcuaServer {
  readonly endpointUrl: string;
  readonly port: number;
  close(): Promise<void>;
  /** Fault injection: closes every client's connection (clients must see it and reconnect). */
  dropConnections(): void;
  /** Fault injection: stop answering requests (sockets stay open, requests time out) / resume. */
  setAnswering(answering: boolean): void;
  /** Sessions open now (a test checks that the units of one PLC share one). */
  readonly sessionCount: number;
  /** Subscriptions open now, over every session. */
  readonly subscriptionCount: number;
}

export const DEFAULT_MIN_PUBLISHING_INTERVAL_MS = 10;

export async function startOpcuaServer(options: OpcuaServerOptions): Promise<RunningOpcuaServer> {
  checkOptions(options);
  const { security } = options;
  const serverCertificateManager = await openCertificateManager(options.pkiDir, { automaticallyAcceptUnknownCertificate: security.acceptUnknownCertificates ?? false });
  // X.509 user tokens are not used (username/password only), but node-opcua wants their store too.
  const userCertificateManager = await openCertificateManager(path.join(options.pkiDir, 'user-tokens'));
  const hostname = options.host === '0.0.0.0' || options.host === '::' ? undefined : options.host;
  Subscription.minimumPublishingInterval = options.minPublishingIntervalMs ?? DEFAULT_MIN_PUBLISHING_INTERVAL_MS;

  const users = security.users.map((u) => ({ username: u.username, password: Buffer.from(u.password, 'utf8') }));
  const server = new OPCUAServer({
    host: options.host,
    ...(hostname === undefined ? {} : { hostname }),
    port: options.port,
    nodesets: [nodesets.standard, nodesets.di, nodesets.packML],
    serverCertificateManager,
    userCertificateManager,
    securityModes: [MessageSecurityMode[security.mode]],
    securityPolicies: [SecurityPolicy[security.policy]],
    allowAnonymous: security.allowAnonymous,
    userManager: {
      isValidUser(username: string, password: string): boolean {
        const given = Buffer.from(password, 'utf8');
        return users.some((u) => u.username === username && u.password.length === given.length && timingSafeEqual(u.password, given));
      },
    },
    serverInfo: {
      applicationName: { text: 'cardline PLC simulator' },
      applicationUri: 'urn:cardline:plc-simulator',
      productUri: 'urn:cardline:plc-sim',
    },
    buildInfo: { productName: 'cardline PLC simulator', manufacturerName: 'cardline', softwareVersion: '0.1.0' },
    serverCapabilities: {
      maxSessions: 100,
      // Every change of an exception-based item is reported (see the file comment).
      minSupportedSampleRate: 0,
      maxByteStringLength: MAX_MESSAGE_BYTES,
      maxStringLength: MAX_MESSAGE_BYTES,
      maxArrayLength: MAX_MESSAGE_BYTES,
    },
    maxConnectionsPerEndpoint: 100,
    transportSettings: { adjustTransportLimits },
    isAuditing: false,
  });

  const detach: (() => void)[] = [];
  try {
    await server.initialize();
    const space = buildAddressSpace(server, options.units);
    detach.push(...space.detach);
    await server.start();
  } catch (err) {
    for (const d of detach) d();
    await server.shutdown(0).catch(() => undefined);
    throw new Error(`OPC UA simulator server on ${options.host}:${options.port} did not start: ${(err as Error).message}`, { cause: err });
  }

  const sockets = new Set<Socket>();
  let answering = true;
  const hold = (socket: Socket): void => {
    socket.pause();
    socket.cork();
  };
  for (const endpoint of server.endpoints) {
    // node-opcua keeps its net.Server private; the fault injection needs the accepted sockets.
    const listener = (endpoint as unknown as { _server?: NetServer })._server;
    if (!listener) throw new Error('OPC UA simulator: cannot reach the endpoint socket server (node-opcua internals changed)');
    listener.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      if (!answering) hold(socket);
    });
  }

  const port = server.endpoints[0]?.port ?? options.port;
  let closed: Promise<void> | undefined;
  return {
    endpointUrl: server.getEndpointUrl(),
    port,
    close() {
      closed ??= (async () => {
        for (const d of detach) d();
        if (!answering) for (const s of sockets) s.destroy();
        await server.shutdown(0);
        for (const s of sockets) s.destroy();
      })();
      return closed;
    },
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    get sessionCount() {
      return server.currentSessionCount;
    },
    get subscriptionCount() {
      return server.currentSubscriptionCount;
    },
    setAnswering(value: boolean) {
      if (value === answering) return;
      answering = value;
      for (const s of sockets) {
        if (value) {
          s.uncork();
          s.resume();
        } else {
          hold(s);
        }
      }
    },
  };
}

function checkOptions(options: OpcuaServerOptions): void {
  const { security } = options;
  if ((security.mode === 'None') !== (security.policy === 'None')) {
    throw new Error(`OPC UA simulator: security mode ${security.mode} does not go with policy ${security.policy} (None goes with None; Sign and SignAndEncrypt need Basic256Sha256)`);
  }
  if (!security.allowAnonymous && security.users.length === 0) {
    throw new Error('OPC UA simulator: anonymous access is off and no user is configured: nobody could log in');
  }
  const paths = new Map<string, string>();
  for (const unit of options.units) {
    const problem = objectPathProblem(unit.objectPath);
    if (problem) throw new Error(`OPC UA simulator: unit ${unit.unitId}: ${problem}`);
    const key = unit.objectPath.join('/');
    for (const [other, otherUnit] of paths) {
      if (other === key || other.startsWith(`${key}/`) || key.startsWith(`${other}/`)) {
        throw new Error(`OPC UA simulator: units ${otherUnit} (${other}) and ${unit.unitId} (${key}) overlap: a unit object cannot contain another`);
      }
    }
    paths.set(key, unit.unitId);
  }
}

/** The server's answer to a client's Hello: messages up to MAX_MESSAGE_BYTES, or what the client asks if less. */
function adjustTransportLimits(hello: IHelloAckLimits): IHelloAckLimits {
  const buffer = (n: number): number => Math.min(Math.max(n || 65_536, 8192), 8 * 65_536);
  const receiveBufferSize = buffer(hello.receiveBufferSize);
  const sendBufferSize = buffer(hello.sendBufferSize);
  const maxMessageSize = hello.maxMessageSize ? Math.min(hello.maxMessageSize, MAX_MESSAGE_BYTES) : MAX_MESSAGE_BYTES;
  const needed = Math.ceil(maxMessageSize / Math.min(receiveBufferSize, sendBufferSize)) + 1;
  const maxChunkCount = hello.maxChunkCount ? Math.min(hello.maxChunkCount, Math.max(needed, MAX_CHUNK_COUNT)) : Math.max(needed, MAX_CHUNK_COUNT);
  return { receiveBufferSize, sendBufferSize, maxMessageSize, maxChunkCount };
}

const PACKML_OPTIONALS: readonly string[] = [
  ...COMMAND_METHODS.map((m) => [...STATE_MACHINES[m.on], m.method].join('.')),
  ...(['base', 'machine', 'execute'] as const).map((level) => [...STATE_MACHINES[level], 'CurrentState', 'Number'].join('.')),
  'Admin.ProdProcessedCount',
  'Admin.ProdDefectiveCount',
  'Admin.StopReason',
  'PackMLVersion',
];

// UN/CEFACT common code H87 ("piece") as OPC UA packs it into EUInformation.unitId.
const PIECE_UNIT = {
  namespaceUri: 'http://www.opcfoundation.org/UA/units/un/cefact',
  unitId: (0x48 << 16) | (0x38 << 8) | 0x37,
  displayName: { text: 'pcs' },
  description: { text: 'piece (card)' },
};

function buildAddressSpace(server: OPCUAServer, units: readonly OpcuaUnitBinding[]): { detach: (() => void)[] } {
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('the address space is not built');
  const ns = addressSpace.registerNamespace(CARDLINE_NAMESPACE_URI);
  const nsPackML = addressSpace.getNamespaceIndex(PACKML_NAMESPACE_URI);
  const packmlType = addressSpace.findObjectType('PackMLBaseObjectType', nsPackML);
  if (nsPackML < 0 || !packmlType) throw new Error('the PackML companion nodeset (OPC 30050) did not load');

  const nodeId = (...segments: string[]): NodeId => new NodeId(NodeIdType.STRING, cardlineNodeIdentifier(segments), ns.index);
  const folders = new Map<string, UAObject>();
  const folderAt = (segments: readonly string[]): UAObject => {
    if (segments.length === 0) return addressSpace.rootFolder.objects;
    const key = segments.join('/');
    let folder = folders.get(key);
    if (!folder) {
      folder = ns.addFolder(folderAt(segments.slice(0, -1)), { browseName: segments.at(-1)!, nodeId: nodeId(...segments) });
      folders.set(key, folder);
    }
    return folder;
  };

  const detach: (() => void)[] = [];
  for (const unit of units) {
    const name = unit.objectPath.at(-1)!;
    const unitObject = packmlType.instantiate({
      namespace: ns,
      browseName: { name, namespaceIndex: ns.index },
      nodeId: nodeId(...unit.objectPath),
      organizedBy: folderAt(unit.objectPath.slice(0, -1)),
      description: `cardline station unit ${unit.unitId}`,
      optionals: PACKML_OPTIONALS as string[],
    });
    const packml = bindPackML(addressSpace, unitObject, nsPackML, unit);
    const variables = addTagVariables(ns, unitObject, unit, nodeId);
    const sync = new StoreSync(unit.store, variables, packml);
    detach.push(() => sync.detach());
  }
  return { detach };
}

type AddressSpace = NonNullable<OPCUAServer['engine']['addressSpace']>;

interface PackMLNodes {
  readonly machines: Readonly<Record<StateMachineLevel, UAStateMachineEx>>;
  readonly unitMode: UAVariable;
  readonly starved: UAVariable;
  readonly blocked: UAVariable;
  readonly processed: UAVariable;
  readonly defective: UAVariable;
  readonly stopReason: UAVariable;
  readonly addressSpace: AddressSpace;
}

function bindPackML(addressSpace: AddressSpace, unitObject: UAObject, nsPackML: number, unit: OpcuaUnitBinding): PackMLNodes {
  const child = (parent: UAObject, browseName: string): UAObject => {
    const node = parent.getComponentByName(browseName, nsPackML);
    if (!node) throw new Error(`PackML object ${unit.objectPath.join('/')} has no ${browseName}`);
    return node as UAObject;
  };
  const variable = (parent: UAObject, browseName: string): UAVariable => {
    const node = parent.getComponentByName(browseName, nsPackML);
    if (!node) throw new Error(`PackML object ${unit.objectPath.join('/')} has no ${browseName}`);
    return node as UAVariable;
  };
  const base = child(unitObject, 'BaseStateMachine');
  const machine = child(base, 'MachineState');
  const execute = child(machine, 'ExecuteState');
  const machines = { base: promoteToStateMachine(base), machine: promoteToStateMachine(machine), execute: promoteToStateMachine(execute) };
  for (const sm of Object.values(machines)) {
    const available = sm.getComponentByName('AvailableStates') as UAVariable | null;
    available?.setValueFromSource({ dataType: DataType.NodeId, arrayType: VariantArrayType.Array, value: sm.getStates().map((s) => s.nodeId) });
  }

  for (const m of COMMAND_METHODS) {
    const method = machines[m.on].getMethodByName(m.method, nsPackML);
    if (!method) throw new Error(`PackML object ${unit.objectPath.join('/')} has no method ${m.method}`);
    // node-opcua tells a promise-returning method from a callback one by its arity (2 vs 3).
    method.bindMethod((_inputArguments: Variant[], _context: ISessionContext) => Promise.resolve(runCommand(unit.store, m.command)));
  }
  for (const unsupported of ['SetMachSpeed', 'SetParameter', 'SetProduct', 'SetUnitMode', 'RemoteCommand', 'SetInterlock']) {
    unitObject.getMethodByName(unsupported, nsPackML)?.bindMethod((_inputArguments: Variant[], _context: ISessionContext) => Promise.resolve({ statusCode: StatusCodes.BadNotImplemented }));
  }
  const version = unitObject.getPropertyByName('PackMLVersion', nsPackML);
  version?.setValueFromSource({ dataType: DataType.String, value: 'ISA-TR88.00.02-2015 / OPC 30050 1.00' });

  const status = child(unitObject, 'Status');
  const admin = child(unitObject, 'Admin');
  return {
    machines,
    unitMode: variable(status, 'UnitModeCurrent'),
    starved: variable(status, 'EquipmentStarved'),
    blocked: variable(status, 'EquipmentBlocked'),
    processed: variable(admin, 'ProdProcessedCount'),
    defective: variable(admin, 'ProdDefectiveCount'),
    stopReason: variable(admin, 'StopReason'),
    addressSpace,
  };
}

function runCommand(store: TagStore, command: PackMLCommandName): { statusCode: typeof StatusCodes.Good; outputArguments?: [] } {
  try {
    const outcome = store.command(command);
    return outcome.accepted ? { statusCode: StatusCodes.Good, outputArguments: [] } : { statusCode: StatusCodes.BadInvalidState };
  } catch {
    return { statusCode: StatusCodes.BadInternalError };
  }
}

function isCommandName(name: string): name is PackMLCommandName {
  return COMMAND_METHODS.some((m) => m.command === name);
}

function addTagVariables(ns: Namespace, unitObject: UAObject, unit: OpcuaUnitBinding, nodeId: (...segments: string[]) => NodeId): Map<TagName, UAVariable> {
  const cardline = ns.addObject({ componentOf: unitObject, browseName: CARDLINE_OBJECT, nodeId: nodeId(...unit.objectPath, CARDLINE_OBJECT) });
  const groups = new Map<TagGroup, UAObject>();
  const variables = new Map<TagName, UAVariable>();
  for (const spec of TAGS) {
    let group = groups.get(spec.group);
    if (!group) {
      group = ns.addObject({ componentOf: cardline, browseName: spec.group, nodeId: nodeId(...unit.objectPath, CARDLINE_OBJECT, spec.group) });
      groups.set(spec.group, group);
    }
    const access = makeAccessLevelFlag(spec.writer === 'host' ? 'CurrentRead | CurrentWrite' : 'CurrentRead');
    const variable = ns.addVariable({
      componentOf: group,
      browseName: spec.name,
      nodeId: new NodeId(NodeIdType.STRING, tagNodeIdentifier(unit.objectPath, spec.name), ns.index),
      dataType: DataType[TAG_DATA_TYPES[spec.type]],
      accessLevel: access,
      userAccessLevel: access,
      minimumSamplingInterval: 0,
      description: `${spec.description} (written by the ${spec.writer === 'host' ? 'host' : 'PLC'})`,
    });
    variable.setValueFromSource(tagVariant(spec.name, unit.store.get(spec.name)));
    variables.set(spec.name, variable);
  }
  return variables;
}

/**
 * Keeps one unit's variables and PackML parts in step with its TagStore, and hands clients' writes
 * to the store.
 */
class StoreSync {
  /** Set while the store's changes are copied into variables: those value changes are not client writes. */
  private copying = false;
  /** The tag a client is writing right now: its variable already holds the value. */
  private writing: TagName | undefined;
  private readonly current: Record<StateMachineLevel, string | null | undefined> = { base: undefined, machine: undefined, execute: undefined };
  private readonly unsubscribe: () => void;
  private readonly unhook: (() => void)[] = [];

  constructor(
    private readonly store: TagStore,
    private readonly variables: ReadonlyMap<TagName, UAVariable>,
    private readonly packml: PackMLNodes,
  ) {
    this.unsubscribe = store.onChange((changes) => this.copy(changes));
    for (const spec of TAGS) {
      if (spec.writer !== 'host') continue;
      const variable = variables.get(spec.name)!;
      const onWrite = (dataValue: DataValue): void => this.clientWrote(spec.name as HostTagName, dataValue);
      variable.on('value_changed', onWrite);
      this.unhook.push(() => variable.removeListener('value_changed', onWrite));
    }
    this.mirror(store.tags);
  }

  detach(): void {
    this.unsubscribe();
    for (const u of this.unhook) u();
  }

  private copy(changes: Partial<StationTags>): void {
    const wasCopying = this.copying;
    this.copying = true;
    try {
      for (const key of Object.keys(changes) as TagName[]) {
        if (key === this.writing) continue;
        const value = changes[key];
        if (value === undefined) continue;
        this.variables.get(key)?.setValueFromSource(tagVariant(key, value));
      }
      this.mirror(changes);
    } finally {
      this.copying = wasCopying;
    }
  }

  private clientWrote(tag: HostTagName, dataValue: DataValue): void {
    if (this.copying) return;
    const decoded = tagValueFromVariant(TAGS.find((t) => t.name === tag)!, dataValue.value);
    // node-opcua has checked the DataType against the variable's; a null String/ByteString decodes to empty.
    if (!('value' in decoded)) return;
    const previous = this.writing;
    this.writing = tag;
    try {
      this.store.setHost({ [tag]: decoded.value });
    } finally {
      this.writing = previous;
    }
    if (tag === 'CmdChangeRequest' && decoded.value === true) {
      // The Modbus-style command path. Deferred: this runs inside the variable's change event, and
      // writing CmdChangeRequest back now would reach subscribers before the client's `true`.
      setImmediate(() => this.commandRequested());
    }
  }

  private commandRequested(): void {
    if (!this.store.get('CmdChangeRequest')) return;
    const name = commandName(this.store.get('CntrlCmd'));
    if (isCommandName(name)) {
      runCommand(this.store, name);
    } else {
      this.store.setPlc({ LastCmdResult: COMMAND_RESULTS.UnknownCommand });
    }
    this.store.setHost({ CmdChangeRequest: false });
  }

  private mirror(changes: Partial<StationTags>): void {
    const { packml } = this;
    if (changes.StateCurrent !== undefined) {
      const target = nestedStates(changes.StateCurrent);
      for (const level of ['base', 'machine', 'execute'] as const) {
        if (this.current[level] === target[level]) continue;
        this.current[level] = target[level];
        packml.machines[level].setState(target[level]);
      }
    }
    if (changes.UnitModeCurrent !== undefined) packml.unitMode.setValueFromSource({ dataType: DataType.Int32, value: changes.UnitModeCurrent });
    if (changes.ProdProcessedCount !== undefined) this.setCount(packml.processed, 1, 'processed cards', changes.ProdProcessedCount);
    if (changes.ProdDefectiveCount !== undefined) this.setCount(packml.defective, 2, 'defective cards', changes.ProdDefectiveCount);
    if (changes.StopReason !== undefined) {
      const reason = changes.StopReason;
      const message = (Object.keys(STOP_REASONS) as (keyof typeof STOP_REASONS)[]).find((k) => STOP_REASONS[k] === reason) ?? `reason ${reason}`;
      const alarm = packml.addressSpace.constructExtensionObject(packml.stopReason.dataType, {
        ID: reason,
        Value: reason,
        Message: message,
        DateTime: new Date(),
        Trigger: reason !== STOP_REASONS.None,
      });
      packml.stopReason.setValueFromSource({ dataType: DataType.ExtensionObject, value: alarm });
      packml.starved.setValueFromSource({ dataType: DataType.Boolean, value: reason === STOP_REASONS.Starved });
      packml.blocked.setValueFromSource({ dataType: DataType.Boolean, value: reason === STOP_REASONS.Blocked });
    }
  }

  private setCount(variable: UAVariable, id: number, name: string, count: number): void {
    // PackMLCountDataType counts are Int32; the PackTags counters wrap at 2^31 here.
    const value = count % 2 ** 31;
    const entry = this.packml.addressSpace.constructExtensionObject(variable.dataType, { ID: id, Name: name, Unit: PIECE_UNIT, Count: value, AccCount: value });
    variable.setValueFromSource({ dataType: DataType.ExtensionObject, arrayType: VariantArrayType.Array, value: [entry] });
  }
}

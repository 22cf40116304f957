/**
 * The simulator's OPC UA server as a generic client (an HMI, UaExpert) sees it: a real PackML
 * object per unit whose state machine, Status and Admin follow the TagStore, command methods that
 * reach store.command, the Cardline variables with their NodeIds, data types and access levels,
 * every change of an exception-based item reported, and the CntrlCmd + CmdChangeRequest path.
 */
import path from 'node:path';
import {
  AttributeIds,
  type ClientSession,
  DataType,
  type NodeId,
  OPCUAClient,
  type OPCUACertificateManager,
  ReferenceTypeIds,
  resolveNodeId,
  coerceNodeId,
  StatusCodes,
  TimestampsToReturn,
  Variant,
  VariantArrayType,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDLINE_NAMESPACE_URI, PACKML_NAMESPACE_URI } from '../../src/plc/opcua/address-space.ts';
import { acquireCertificateManager, releaseCertificateManager } from '../../src/plc/opcua/pki.ts';
import { tempDir } from '../../src/plc/opcua/testing.ts';
import { PACKML_STATES, STOP_REASONS } from '../../src/plc/packml.ts';
import { TagStore } from '../../src/plc/tag-store.ts';
import { startOpcuaServer, type RunningOpcuaServer } from './opcua-server.ts';
import { attachPackMLLogic } from '../testing/scripted-plc.ts';

let work: Awaited<ReturnType<typeof tempDir>>;
let store: TagStore;
let server: RunningOpcuaServer;
let manager: OPCUACertificateManager;
let client: OPCUAClient;
let session: ClientSession;
let ns: number;
let nsPackML: number;
let detachLogic: () => void;

/** Resolves a browse path from Objects: segments are [namespaceIndex, name]. */
async function browse(...segments: [number, string][]): Promise<NodeId> {
  const [result] = await session.translateBrowsePath([
    {
      startingNode: resolveNodeId('ObjectsFolder'),
      relativePath: {
        elements: segments.map(([namespaceIndex, name]) => ({
          referenceTypeId: coerceNodeId(ReferenceTypeIds.HierarchicalReferences),
          isInverse: false,
          includeSubtypes: true,
          targetName: { namespaceIndex, name },
        })),
      },
    },
  ]);
  if (!result?.statusCode.isGood() || !result.targets?.[0]) throw new Error(`no node at ${segments.map((s) => s[1]).join('/')}: ${result?.statusCode.toString()}`);
  return result.targets[0].targetId;
}

const unit = (): [number, string][] => [
  [ns, 'demo'],
  [ns, 'encoder'],
  [ns, 'Head1'],
];
const packml = (...names: string[]): [number, string][] => [...unit(), ...names.map((n): [number, string] => [nsPackML, n])];

async function value(nodeId: NodeId | string): Promise<unknown> {
  const dv = await session.read({ nodeId, attributeId: AttributeIds.Value });
  return dv.value.value;
}

beforeAll(async () => {
  work = await tempDir('opcua-server');
  store = new TagStore('encoder.1');
  detachLogic = attachPackMLLogic(store);
  server = await startOpcuaServer({
    host: '127.0.0.1',
    port: 0,
    units: [
      { unitId: 'encoder.1', objectPath: ['demo', 'encoder', 'Head1'], store },
      { unitId: 'encoder.2', objectPath: ['demo', 'encoder', 'Head2'], store: new TagStore('encoder.2') },
    ],
    pkiDir: path.join(work.dir, 'server-pki'),
    security: { mode: 'None', policy: 'None', allowAnonymous: true, users: [] },
  });
  manager = await acquireCertificateManager(path.join(work.dir, 'client-pki'));
  client = OPCUAClient.create({ clientCertificateManager: manager, endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await client.connect(server.endpointUrl);
  session = await client.createSession();
  const namespaces = await session.readNamespaceArray();
  ns = namespaces.indexOf(CARDLINE_NAMESPACE_URI);
  nsPackML = namespaces.indexOf(PACKML_NAMESPACE_URI);
}, 30_000);

afterAll(async () => {
  detachLogic?.();
  await session?.close();
  await client?.disconnect();
  if (manager) await releaseCertificateManager(manager);
  await server?.close();
  await work?.remove();
});

describe('the simulator OPC UA server', () => {
  it('binds the loopback interface and advertises it', () => {
    expect(server.endpointUrl).toBe(`opc.tcp://127.0.0.1:${server.port}`);
    expect(ns).toBeGreaterThan(0);
    expect(nsPackML).toBeGreaterThan(0);
  });

  it('makes each unit a PackMLBaseObjectType instance with Status, Admin and the state machine', async () => {
    const head = await browse(...unit());
    expect(head.toString()).toBe(`ns=${ns};s=demo.encoder.Head1`);
    const typeDefinition = await session.browse({ nodeId: head, referenceTypeId: 'HasTypeDefinition', browseDirection: 0, resultMask: 63 });
    expect(typeDefinition.references?.map((r) => r.browseName.toString())).toStrictEqual([`${nsPackML}:PackMLBaseObjectType`]);
    const children = await session.browse({ nodeId: head, referenceTypeId: 'HasComponent', browseDirection: 0, resultMask: 63 });
    const names = children.references?.map((r) => r.browseName.toString()) ?? [];
    expect(names).toEqual(expect.arrayContaining([`${nsPackML}:Status`, `${nsPackML}:Admin`, `${nsPackML}:BaseStateMachine`, `${ns}:Cardline`]));
  });

  it('gives the Cardline variables deterministic string NodeIds, their data types and access levels', async () => {
    const jobId = await browse(...unit(), [ns, 'Cardline'], [ns, 'Handshake'], [ns, 'JobId']);
    expect(jobId.toString()).toBe(`ns=${ns};s=demo.encoder.Head1.Cardline.Handshake.JobId`);
    const read = async (tag: string, group: string): Promise<unknown[]> => {
      const nodeId = `ns=${ns};s=demo.encoder.Head1.Cardline.${group}.${tag}`;
      const dvs = await session.read([AttributeIds.DataType, AttributeIds.AccessLevel, AttributeIds.UserAccessLevel].map((attributeId) => ({ nodeId, attributeId })));
      return dvs.map((dv) => (dv.value.value as { toString(): string }).toString());
    };
    // AccessLevel 1 = CurrentRead, 3 = CurrentRead | CurrentWrite.
    expect(await read('JobId', 'Handshake')).toStrictEqual(['ns=0;i=7', '3', '3']);
    expect(await read('JobData', 'Handshake')).toStrictEqual(['ns=0;i=15', '3', '3']);
    expect(await read('ResultData', 'Handshake')).toStrictEqual(['ns=0;i=15', '1', '1']);
    expect(await read('CardSerial', 'Handshake')).toStrictEqual(['ns=0;i=12', '1', '1']);
    expect(await read('Done', 'Handshake')).toStrictEqual(['ns=0;i=1', '1', '1']);
    expect(await read('StateCurrent', 'Status')).toStrictEqual(['ns=0;i=7', '1', '1']);
    expect(await read('CmdChangeRequest', 'Command')).toStrictEqual(['ns=0;i=1', '3', '3']);
  });

  it('takes a client write of a host tag into the store, and refuses one to a PLC tag', async () => {
    const base = `ns=${ns};s=demo.encoder.Head1.Cardline.Handshake`;
    const [ok, refused] = await session.write([
      { nodeId: `${base}.HostHeartbeat`, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.UInt32, value: 77 } } },
      { nodeId: `${base}.JobAck`, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.UInt32, value: 77 } } },
    ]);
    expect([ok?.name, refused?.name]).toStrictEqual(['Good', 'BadNotWritable']);
    expect(store.get('HostHeartbeat')).toBe(77);
    expect(store.get('JobAck')).toBe(0);
  });

  it('keeps the PackML state machine in step with StateCurrent (nested OPC 30050 states, Number and Id)', async () => {
    const current = (...machine: string[]): Promise<NodeId> => browse(...packml(...machine), [0, 'CurrentState']);
    const base = await current('BaseStateMachine');
    const machine = await current('BaseStateMachine', 'MachineState');
    const execute = await current('BaseStateMachine', 'MachineState', 'ExecuteState');
    const executeNumber = await browse(...packml('BaseStateMachine', 'MachineState', 'ExecuteState'), [0, 'CurrentState'], [0, 'Number']);
    const text = async (nodeId: NodeId): Promise<string | null> => {
      const dv = await session.read({ nodeId, attributeId: AttributeIds.Value });
      return dv.statusCode.equals(StatusCodes.BadStateNotActive) ? null : ((dv.value.value as { text: string | null }).text ?? null);
    };
    const states = async (): Promise<(string | null)[]> => [await text(base), await text(machine), await text(execute)];

    store.setPlc({ StateCurrent: PACKML_STATES.Execute });
    expect(await states()).toStrictEqual(['Cleared', 'Running', 'Execute']);
    expect(await value(executeNumber)).toBe(PACKML_STATES.Execute);
    store.setPlc({ StateCurrent: PACKML_STATES.Held });
    expect(await states()).toStrictEqual(['Cleared', 'Running', 'Held']);
    store.setPlc({ StateCurrent: PACKML_STATES.Aborted });
    expect(await states()).toStrictEqual(['Aborted', null, null]);
    store.setPlc({ StateCurrent: PACKML_STATES.Clearing });
    expect(await states()).toStrictEqual(['Cleared', 'Clearing', null]);
    store.setPlc({ StateCurrent: PACKML_STATES.Stopped });
    expect(await states()).toStrictEqual(['Cleared', 'Stopped', null]);
    const id = await browse(...packml('BaseStateMachine', 'MachineState'), [0, 'CurrentState'], [0, 'Id']);
    const stopped = (await value(id)) as NodeId;
    expect(stopped.namespace).toBe(nsPackML);
  });

  it('runs the Start method (with its Parameter array) through store.command, and answers BadInvalidState when refused', async () => {
    const executeState = await browse(...packml('BaseStateMachine', 'MachineState', 'ExecuteState'));
    const start = await browse(...packml('BaseStateMachine', 'MachineState', 'ExecuteState', 'Start'));
    const parameter = new Variant({ dataType: DataType.ExtensionObject, arrayType: VariantArrayType.Array, value: [] });
    store.setPlc({ StateCurrent: PACKML_STATES.Stopped });
    const refused = await session.call({ objectId: executeState, methodId: start, inputArguments: [parameter] });
    expect(refused.statusCode.name).toBe('BadInvalidState');
    expect(store.get('StateCurrent')).toBe(PACKML_STATES.Stopped);

    store.setPlc({ StateCurrent: PACKML_STATES.Idle });
    const accepted = await session.call({ objectId: executeState, methodId: start, inputArguments: [parameter] });
    expect(accepted.statusCode.name).toBe('Good');
    expect([PACKML_STATES.Starting, PACKML_STATES.Execute]).toContain(store.get('StateCurrent'));
    expect(store.get('LastCmdResult')).toBe(0);
  });

  it('mirrors UnitModeCurrent, the Admin counters and StopReason into the PackML Status and Admin', async () => {
    store.setPlc({ UnitModeCurrent: 2, ProdProcessedCount: 1234, ProdDefectiveCount: 5, StopReason: STOP_REASONS.Starved });
    expect(await value(await browse(...packml('Status', 'UnitModeCurrent')))).toBe(2);
    expect(await value(await browse(...packml('Status', 'EquipmentStarved')))).toBe(true);
    const processed = (await value(await browse(...packml('Admin', 'ProdProcessedCount')))) as { count: number; accCount: number }[];
    expect(processed.map((c) => [c.count, c.accCount])).toStrictEqual([[1234, 1234]]);
    const defective = (await value(await browse(...packml('Admin', 'ProdDefectiveCount')))) as { count: number }[];
    expect(defective[0]?.count).toBe(5);
    const reason = (await value(await browse(...packml('Admin', 'StopReason')))) as { iD: number; value: number; message: string; trigger: boolean };
    expect(reason).toMatchObject({ value: STOP_REASONS.Starved, message: 'Starved', trigger: true });
  });

  it('executes CntrlCmd + CmdChangeRequest written by a client, then resets CmdChangeRequest', async () => {
    store.setPlc({ StateCurrent: PACKML_STATES.Stopped });
    const base = `ns=${ns};s=demo.encoder.Head1.Cardline.Command`;
    const write = (cmd: number): Promise<unknown> =>
      session.write([
        { nodeId: `${base}.CntrlCmd`, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.UInt32, value: cmd } } },
        { nodeId: `${base}.CmdChangeRequest`, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Boolean, value: true } } },
      ]);
    const settled = async (): Promise<void> => {
      for (let i = 0; i < 100 && store.get('CmdChangeRequest'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    await write(1); // Reset
    await settled();
    expect([store.get('CmdChangeRequest'), store.get('LastCmdResult')]).toStrictEqual([false, 0]);
    // Resetting, or already Idle when the machine is slow (the scripted logic settles after 5 ms).
    expect([PACKML_STATES.Resetting, PACKML_STATES.Idle]).toContain(store.get('StateCurrent'));
    expect(await value(`${base}.CmdChangeRequest`)).toBe(false);
    await write(4); // Hold: not from Resetting
    await settled();
    expect(store.get('LastCmdResult')).toBe(1);
    await write(42);
    await settled();
    expect(store.get('LastCmdResult')).toBe(2);
  });

  it('reports every change of an exception-based item, however fast (no sampling window folds them)', async () => {
    const subscription = await session.createSubscription2({ requestedPublishingInterval: 10, requestedMaxKeepAliveCount: 100, requestedLifetimeCount: 1000, publishingEnabled: true });
    const item = await subscription.monitor(
      { nodeId: `ns=${ns};s=demo.encoder.Head1.Cardline.Status.Heartbeat`, attributeId: AttributeIds.Value },
      { samplingInterval: 0, queueSize: 100, discardOldest: true },
      TimestampsToReturn.Neither,
    );
    const seen: number[] = [];
    item.on('changed', (dv) => seen.push(dv.value.value as number));
    await new Promise((resolve) => setTimeout(resolve, 100));
    seen.length = 0;
    for (let i = 1; i <= 50; i++) store.setPlc({ Heartbeat: 1000 + i });
    for (let i = 0; i < 100 && seen.length < 50; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toStrictEqual(Array.from({ length: 50 }, (_, i) => 1001 + i));
    await subscription.terminate();
  });
});

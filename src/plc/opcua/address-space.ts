/**
 * The OPC UA address space of a station unit: the one description the simulator's server builds and
 * the controller's client resolves, so the two cannot drift (docs/plc-interface.md, "OPC UA").
 *
 * Under Objects, each segment of the unit's object path is an object in the cardline namespace; the
 * unit object is an instance of OPC 30050's PackMLBaseObjectType (Status, Admin, the state machine
 * and its command methods, in the PackML namespace), and beside the PackML parts it carries
 * `Cardline/<Group>/<Tag>`: one plain variable per tag of src/plc/tags.ts. The PackML object has its
 * own `Status` and `Admin` (structured types a PLC programmer cannot map one to one onto PackTags),
 * hence the separate `Cardline` object rather than variables added to them.
 */
import { DataType } from 'node-opcua';
import { PACKML_STATES, type PackMLCommandName, type PackMLStateName } from '../packml.ts';
import { PLC_TAG_ORDER, TAGS, tagSpec, type PlcTagName, type StationTags, type TagName, type TagSpec, type TagType } from '../tags.ts';

export const CARDLINE_NAMESPACE_URI = 'urn:cardline:plc';
export const PACKML_NAMESPACE_URI = 'http://opcfoundation.org/UA/PackML/';
/** The object under the unit that holds the tag variables. */
export const CARDLINE_OBJECT = 'Cardline';

/** Job and result data may be this large (a laser job with a portrait is 300–600 KiB). */
export const MAX_DATA_BYTES = 8 * 1024 * 1024;
/** Both ends raise their message limits so one ByteString of MAX_DATA_BYTES fits with room to spare. */
export const MAX_MESSAGE_BYTES = 2 * MAX_DATA_BYTES;
/** Chunks per message at the smallest buffer node-opcua negotiates (8 KiB). */
export const MAX_CHUNK_COUNT = Math.ceil(MAX_MESSAGE_BYTES / 8192);

export const TAG_DATA_TYPES: Readonly<Record<TagType, DataType>> = {
  uint32: DataType.UInt32,
  bool: DataType.Boolean,
  string: DataType.String,
  bytes: DataType.ByteString,
};

/**
 * The monitored items of the controller's subscription, in order: every PLC-written tag, with each
 * flag after the tags it announces (CardSerial before CardPresent; the result, its size, CRC and
 * data before Done). A DataChangeNotification lists values by monitored item, so when a batch has
 * to be split (one tag changed twice in one publishing interval) the data still comes first.
 */
export const MONITORED_TAGS: readonly PlcTagName[] = PLC_TAG_ORDER;

/** Checks an object path for the address space: non-empty segments, no '.', which joins NodeIds. */
export function objectPathProblem(objectPath: readonly string[]): string | undefined {
  if (objectPath.length === 0) return 'the object path is empty';
  const bad = objectPath.find((s) => s.length === 0 || s.includes('.') || s.includes('/'));
  return bad === undefined ? undefined : `object path segment '${bad}' must be non-empty and contain neither '.' nor '/'`;
}

/**
 * String NodeId identifier (in the cardline namespace) of a node we create: its browse path from
 * Objects, joined by '.'. `demo-opcua.encoder.Head1.Cardline.Handshake.JobId`.
 */
export function cardlineNodeIdentifier(objectPath: readonly string[], ...below: readonly string[]): string {
  return [...objectPath, ...below].join('.');
}

/** The browse names from the unit object down to a tag's variable, all in the cardline namespace. */
export function tagRelativePath(tag: TagName): readonly [string, string, string] {
  const spec = tagSpec(tag);
  return [CARDLINE_OBJECT, spec.group, spec.name];
}

export function tagNodeIdentifier(objectPath: readonly string[], tag: TagName): string {
  return cardlineNodeIdentifier(objectPath, ...tagRelativePath(tag));
}

/** The state machine objects under the unit (PackML browse names). */
export const STATE_MACHINES = {
  base: ['BaseStateMachine'],
  machine: ['BaseStateMachine', 'MachineState'],
  execute: ['BaseStateMachine', 'MachineState', 'ExecuteState'],
} as const;
export type StateMachineLevel = keyof typeof STATE_MACHINES;

/**
 * Where OPC 30050 puts each command's method: Abort and Clear on BaseStateMachine, Stop and Reset
 * (Stopped → Resetting) on MachineState, the rest (and Reset from Complete) on ExecuteState.
 * PackML's Complete command is the method ToComplete.
 */
export const COMMAND_METHODS: readonly { readonly command: PackMLCommandName; readonly on: StateMachineLevel; readonly method: string }[] = [
  { command: 'Abort', on: 'base', method: 'Abort' },
  { command: 'Clear', on: 'base', method: 'Clear' },
  { command: 'Stop', on: 'machine', method: 'Stop' },
  { command: 'Reset', on: 'machine', method: 'Reset' },
  { command: 'Reset', on: 'execute', method: 'Reset' },
  { command: 'Start', on: 'execute', method: 'Start' },
  { command: 'Hold', on: 'execute', method: 'Hold' },
  { command: 'Unhold', on: 'execute', method: 'Unhold' },
  { command: 'Suspend', on: 'execute', method: 'Suspend' },
  { command: 'Unsuspend', on: 'execute', method: 'Unsuspend' },
  { command: 'Complete', on: 'execute', method: 'ToComplete' },
];

/** The method a client calls for `command` in `state` (Reset from Complete is ExecuteState's). */
export function commandMethod(command: PackMLCommandName, state: number | undefined): { readonly on: StateMachineLevel; readonly method: string } {
  if (command === 'Reset' && state === PACKML_STATES.Complete) return { on: 'execute', method: 'Reset' };
  const placement = COMMAND_METHODS.find((m) => m.command === command);
  if (!placement) throw new Error(`no method for command ${command}`);
  return placement;
}

export type NestedStates = { readonly [L in StateMachineLevel]: string | null };

/**
 * A PackML StateCurrent as OPC 30050's nested state machines: BaseStateMachine is Aborting,
 * Aborted or Cleared; inside Cleared, MachineState is Stopped, Stopping, Clearing or Running; inside
 * Running, ExecuteState holds the remaining twelve states. null = the sub-machine is not active.
 */
export function nestedStates(state: number): NestedStates {
  const name = (Object.keys(PACKML_STATES) as PackMLStateName[]).find((k) => PACKML_STATES[k] === state);
  switch (name) {
    case undefined:
    case 'Undefined':
      return { base: null, machine: null, execute: null };
    case 'Aborting':
    case 'Aborted':
      return { base: name, machine: null, execute: null };
    case 'Clearing':
    case 'Stopped':
    case 'Stopping':
      return { base: 'Cleared', machine: name, execute: null };
    default:
      return { base: 'Cleared', machine: 'Running', execute: name };
  }
}

/** A tag value as an OPC UA Variant's options. */
export function tagVariant<K extends TagName>(tag: K, value: StationTags[K]): { dataType: DataType; value: unknown } {
  return { dataType: TAG_DATA_TYPES[tagSpec(tag).type], value };
}

/**
 * A received Variant as a tag value, or the reason it is not one. Integers of any width are taken
 * for uint32 tags (a PLC may model a counter as UInt16 or Int32), as long as the value fits.
 */
export function tagValueFromVariant(spec: TagSpec, variant: { dataType: DataType; value: unknown }): { value: StationTags[TagName] } | { problem: string } {
  const { dataType, value } = variant;
  switch (spec.type) {
    case 'uint32':
      if (INTEGER_TYPES.has(dataType) && typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff) return { value };
      break;
    case 'bool':
      if (dataType === DataType.Boolean && typeof value === 'boolean') return { value };
      break;
    case 'string':
      if (dataType === DataType.String && (typeof value === 'string' || value === null)) return { value: value ?? '' };
      // A never-written String reads as Null on some servers.
      if (dataType === DataType.Null) return { value: '' };
      break;
    case 'bytes':
      if (dataType === DataType.ByteString && (Buffer.isBuffer(value) || value === null)) return { value: value ?? Buffer.alloc(0) };
      if (dataType === DataType.Null) return { value: Buffer.alloc(0) };
      break;
  }
  return { problem: `expected ${DataType[TAG_DATA_TYPES[spec.type]]}, got ${DataType[dataType] ?? String(dataType)} ${describe(value)}` };
}

const INTEGER_TYPES: ReadonlySet<DataType> = new Set([DataType.UInt32, DataType.UInt16, DataType.Byte, DataType.Int32, DataType.Int16, DataType.SByte]);

function describe(value: unknown): string {
  if (Buffer.isBuffer(value)) return `(${value.length} bytes)`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** All tags of the model, for building and resolving every variable. */
export const ALL_TAGS: readonly TagSpec[] = TAGS;

/**
 * The Modbus TCP register map of one station unit, derived from the tag table (tags.ts): holding
 * registers 0–71, read with function 3, written with functions 6 and 16.
 *
 * - uint32: two registers, high word first (big-endian word order; each register big-endian on
 *   the wire, as Modbus always is). 70000 = 0x0001_1170 reads as [0x0001, 0x1170].
 * - bool: one register, 0 or 1.
 * - string (CardSerial, registers 40–55; ResultCardSerial, 56–71): 32 bytes of ASCII, two characters a register, the first
 *   character in the high byte, NUL-padded. The value ends at the first NUL.
 * - Register 19 is reserved: it reads 0 and cannot be written.
 *
 * Both ends use this one table: the simulator's server to answer and to check writes, the
 * transport to decode polls and to build writes. Nothing here does I/O.
 */
import { MODBUS_REGISTER_COUNT, PLC_TAG_ORDER, TAGS, tagSpec, type HostTags, type PlcTags, type StationTags, type TagName, type TagWriter } from '../tags.ts';

/** Tags that live in registers; JobData and ResultData travel through the job folder. */
export type RegisterTagName = Exclude<TagName, 'JobData' | 'ResultData'>;
export type RegisterTags = Pick<StationTags, RegisterTagName>;
export type HostRegisterTagName = Exclude<keyof HostTags, 'JobData'>;
export type HostRegisterTags = Pick<StationTags, HostRegisterTagName>;
export type PlcRegisterTagName = Exclude<keyof PlcTags, 'ResultData'>;
export type PlcRegisterTags = Pick<StationTags, PlcRegisterTagName>;

export interface RegisterField {
  readonly name: RegisterTagName;
  readonly type: 'uint32' | 'bool' | 'string';
  readonly writer: TagWriter;
  /** First holding register, 0-based (PDU address). */
  readonly register: number;
  /** Registers the value takes. */
  readonly count: number;
}

/** Modbus exception codes the simulator's server answers with (Modbus Application Protocol V1.1b3, §7). */
export const MODBUS_EXCEPTIONS = {
  /** A function code the map does not use (coils, inputs, input registers, …). */
  IllegalFunction: 0x01,
  /**
   * An address outside 0–71, the reserved register 19, a register the PLC writes (the host may not),
   * or a write that covers only one half of a uint32.
   */
  IllegalDataAddress: 0x02,
  /** A quantity outside what the function allows, or a bool register written with neither 0 nor 1. */
  IllegalDataValue: 0x03,
  /** The server could not encode what the PLC holds (a PLC logic bug); never used for client mistakes. */
  ServerDeviceFailure: 0x04,
  /** No unit with that unit id behind this server (as a gateway answers for an absent device). */
  GatewayTargetFailedToRespond: 0x0b,
} as const;

const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  0x01: 'illegal function',
  0x02: 'illegal data address',
  0x03: 'illegal data value',
  0x04: 'server device failure',
  0x05: 'acknowledge',
  0x06: 'server device busy',
  0x08: 'memory parity error',
  0x0a: 'gateway path unavailable',
  0x0b: 'gateway target device failed to respond',
};

export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? 'unknown exception';
}

/** Most registers one function 3 request may read, and one function 16 request may write. */
export const MAX_READ_QUANTITY = 125;
export const MAX_WRITE_QUANTITY = 123;

const UINT32_MAX = 0xffff_ffff;

function fieldOf(spec: (typeof TAGS)[number]): RegisterField | undefined {
  if (spec.register === undefined || spec.type === 'bytes') return undefined;
  const count = spec.type === 'uint32' ? 2 : spec.type === 'bool' ? 1 : Math.ceil((spec.maxBytes ?? 0) / 2);
  return { name: spec.name as RegisterTagName, type: spec.type, writer: spec.writer, register: spec.register, count };
}

/** Every register tag, in register order. */
export const REGISTER_FIELDS: readonly RegisterField[] = TAGS.map(fieldOf)
  .filter((f): f is RegisterField => f !== undefined)
  .sort((a, b) => a.register - b.register);

/** The field each register belongs to; undefined for a reserved register. */
const FIELD_AT: readonly (RegisterField | undefined)[] = (() => {
  const at: (RegisterField | undefined)[] = new Array<RegisterField | undefined>(MODBUS_REGISTER_COUNT).fill(undefined);
  for (const field of REGISTER_FIELDS) {
    for (let r = field.register; r < field.register + field.count; r++) {
      // The tag table is a contract other people edit: a clash must stop the process at load.
      if (r >= MODBUS_REGISTER_COUNT) throw new Error(`tags.ts: ${field.name} reaches register ${r}, past the map's last register ${MODBUS_REGISTER_COUNT - 1}`);
      const other = at[r];
      if (other) throw new Error(`tags.ts: ${field.name} and ${other.name} both claim register ${r}`);
      at[r] = field;
    }
  }
  return at;
})();

export function fieldAtRegister(register: number): RegisterField | undefined {
  return FIELD_AT[register];
}

export function registerField(name: RegisterTagName): RegisterField {
  const field = REGISTER_FIELDS.find((f) => f.name === name);
  if (!field) throw new Error(`${name} has no register`);
  return field;
}

export const PLC_REGISTER_TAGS: readonly PlcRegisterTagName[] = REGISTER_FIELDS.filter((f) => f.writer === 'plc').map((f) => f.name as PlcRegisterTagName);
export const HOST_REGISTER_TAGS: readonly HostRegisterTagName[] = REGISTER_FIELDS.filter((f) => f.writer === 'host').map((f) => f.name as HostRegisterTagName);

/**
 * The order the transport delivers PLC tags that changed between two polls. A poll cannot see the
 * order the PLC made its changes in, so values come before the flags that announce them: CardSerial
 * before CardPresent, the result and its size/CRC before Done, LastCmdResult before anything a
 * listener could act on. A listener that acts key by key then always sees a complete picture.
 */
export const PLC_DELIVERY_ORDER: readonly PlcRegisterTagName[] = PLC_TAG_ORDER.filter((t): t is PlcRegisterTagName => tagSpec(t).register !== undefined);

// ---------------------------------------------------------------------------------------------
// Values ↔ registers

export function encodeUint32(value: number): [number, number] {
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) throw new RangeError(`not a uint32: ${value}`);
  return [Math.floor(value / 0x1_0000), value % 0x1_0000];
}

export function decodeUint32(high: number, low: number): number {
  return (high & 0xffff) * 0x1_0000 + (low & 0xffff);
}

/** ASCII without NUL (NUL ends the value), as a PLC string of `maxBytes` holds it. */
export function isRegisterString(value: string, maxBytes: number): boolean {
  if (value.length > maxBytes) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x01 || c > 0x7f) return false;
  }
  return true;
}

export function encodeString(value: string, registers: number): number[] {
  if (!isRegisterString(value, registers * 2)) {
    throw new RangeError(`not an ASCII string of at most ${registers * 2} characters without NUL: ${JSON.stringify(value)}`);
  }
  const out: number[] = [];
  for (let r = 0; r < registers; r++) {
    const hi = r * 2 < value.length ? value.charCodeAt(r * 2) : 0;
    const lo = r * 2 + 1 < value.length ? value.charCodeAt(r * 2 + 1) : 0;
    out.push((hi << 8) | lo);
  }
  return out;
}

/** Never throws: bytes above 0x7F come out as their Latin-1 characters, so a bad PLC string stays visible. */
export function decodeString(registers: ArrayLike<number>, offset: number, count: number): string {
  let out = '';
  for (let r = offset; r < offset + count; r++) {
    const word = (registers[r] ?? 0) & 0xffff;
    const hi = word >> 8;
    if (hi === 0) return out;
    out += String.fromCharCode(hi);
    const lo = word & 0xff;
    if (lo === 0) return out;
    out += String.fromCharCode(lo);
  }
  return out;
}

function encodeField(field: RegisterField, value: unknown): number[] {
  switch (field.type) {
    case 'uint32':
      if (typeof value !== 'number') throw new TypeError(`${field.name} must be a number, got ${typeof value}`);
      return encodeUint32(value);
    case 'bool':
      if (typeof value !== 'boolean') throw new TypeError(`${field.name} must be a boolean, got ${typeof value}`);
      return [value ? 1 : 0];
    case 'string':
      if (typeof value !== 'string') throw new TypeError(`${field.name} must be a string, got ${typeof value}`);
      return encodeString(value, field.count);
  }
}

function decodeField(field: RegisterField, registers: ArrayLike<number>): number | boolean | string {
  const at = field.register;
  switch (field.type) {
    case 'uint32':
      return decodeUint32(registers[at] ?? 0, registers[at + 1] ?? 0);
    case 'bool':
      // Lenient on read: a PLC that writes 0xFFFF for TRUE (some do) still reads as true.
      return ((registers[at] ?? 0) & 0xffff) !== 0;
    case 'string':
      return decodeString(registers, at, field.count);
  }
}

/**
 * The 72 registers of a unit. Throws (RangeError/TypeError naming the tag) when a value does not fit
 * its register type: on the server that is a PLC logic bug, answered with exception 04.
 */
export function encodeImage(tags: RegisterTags): number[] {
  const image = new Array<number>(MODBUS_REGISTER_COUNT).fill(0);
  for (const field of REGISTER_FIELDS) {
    let words: number[];
    try {
      words = encodeField(field, tags[field.name]);
    } catch (error) {
      throw new RangeError(`${field.name} (registers ${field.register}–${field.register + field.count - 1}): ${(error as Error).message}`, { cause: error });
    }
    for (let i = 0; i < words.length; i++) image[field.register + i] = words[i]!;
  }
  return image;
}

/** Every register tag from a unit’s 72 registers. Never throws; missing registers read as 0. */
export function decodeImage(registers: ArrayLike<number>): RegisterTags {
  const tags: Partial<Record<RegisterTagName, unknown>> = {};
  for (const field of REGISTER_FIELDS) tags[field.name] = decodeField(field, registers);
  return tags as RegisterTags;
}

// ---------------------------------------------------------------------------------------------
// Host writes

/** One write request: function 6 when `values` has one register, else function 16. */
export interface RegisterWrite {
  readonly address: number;
  readonly values: readonly number[];
  /** The tags it carries, for messages. */
  readonly tags: readonly HostRegisterTagName[];
}

/**
 * Host tags → the fewest write requests: one per run of contiguous host registers. Throws on misuse
 * (a PLC tag, JobData, a value that does not fit), naming the tag.
 */
export function encodeHostWrite(values: Partial<HostRegisterTags>): RegisterWrite[] {
  const fields: RegisterField[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const field = REGISTER_FIELDS.find((f) => f.name === name);
    if (!field || field.writer !== 'host') {
      throw new TypeError(`${name} is not a host register tag; the host writes ${HOST_REGISTER_TAGS.join(', ')}${name === 'JobData' ? ' (JobData goes through writeJob)' : ''}`);
    }
    fields.push(field);
  }
  fields.sort((a, b) => a.register - b.register);
  const writes: { address: number; values: number[]; tags: HostRegisterTagName[] }[] = [];
  for (const field of fields) {
    let words: number[];
    try {
      words = encodeField(field, values[field.name as HostRegisterTagName]);
    } catch (error) {
      throw new RangeError(`${field.name}: ${(error as Error).message}`, { cause: error });
    }
    const last = writes.at(-1);
    if (last && last.address + last.values.length === field.register) {
      last.values.push(...words);
      last.tags.push(field.name as HostRegisterTagName);
    } else {
      writes.push({ address: field.register, values: words, tags: [field.name as HostRegisterTagName] });
    }
  }
  return writes;
}

export type DecodedWrite =
  | { readonly ok: true; readonly changes: Partial<HostRegisterTags> }
  | { readonly ok: false; readonly exception: number; readonly reason: string };

/**
 * A client's write of `values` at `address` (function 6 or 16), checked against the map: only whole
 * host tags, every bool 0 or 1. The server answers a refusal with `exception`.
 */
export function decodeHostWrite(address: number, values: readonly number[]): DecodedWrite {
  const quantity = values.length;
  if (quantity < 1 || quantity > MAX_WRITE_QUANTITY) {
    return { ok: false, exception: MODBUS_EXCEPTIONS.IllegalDataValue, reason: `quantity ${quantity} is outside 1–${MAX_WRITE_QUANTITY}` };
  }
  const end = address + quantity; // exclusive
  if (address < 0 || end > MODBUS_REGISTER_COUNT) {
    const span = quantity === 1 ? `register ${address} is` : `registers ${address}–${end - 1} are`;
    return { ok: false, exception: MODBUS_EXCEPTIONS.IllegalDataAddress, reason: `${span} outside the map (0–${MODBUS_REGISTER_COUNT - 1})` };
  }
  const changes: Partial<Record<HostRegisterTagName, number | boolean>> = {};
  for (let r = address; r < end; ) {
    const field = FIELD_AT[r];
    if (!field) return { ok: false, exception: MODBUS_EXCEPTIONS.IllegalDataAddress, reason: `register ${r} is reserved` };
    if (field.writer !== 'host') {
      return { ok: false, exception: MODBUS_EXCEPTIONS.IllegalDataAddress, reason: `register ${r} holds ${field.name}, which only the PLC writes` };
    }
    if (field.register < address || field.register + field.count > end) {
      return {
        ok: false,
        exception: MODBUS_EXCEPTIONS.IllegalDataAddress,
        reason: `${field.name} is registers ${field.register}–${field.register + field.count - 1}; a write must cover both halves`,
      };
    }
    const word = (i: number): number => values[field.register - address + i]!;
    if (field.type === 'bool') {
      const v = word(0);
      if (v !== 0 && v !== 1) return { ok: false, exception: MODBUS_EXCEPTIONS.IllegalDataValue, reason: `${field.name} (register ${r}) takes 0 or 1, not ${v}` };
      changes[field.name as HostRegisterTagName] = v === 1;
    } else {
      // Host tags are uint32 or bool only (the strings, CardSerial and ResultCardSerial, are the PLC’s).
      changes[field.name as HostRegisterTagName] = decodeUint32(word(0), word(1));
    }
    r = field.register + field.count;
  }
  return { ok: true, changes: changes as Partial<HostRegisterTags> };
}

/** `12–14 (CntrlCmd, CmdChangeRequest)`, for messages. */
export function describeRange(address: number, quantity: number): string {
  const names: string[] = [];
  for (let r = address; r < address + quantity; r++) {
    const name = FIELD_AT[r]?.name ?? (r < MODBUS_REGISTER_COUNT ? 'reserved' : 'outside the map');
    if (names.at(-1) !== name) names.push(name);
  }
  const span = quantity === 1 ? `register ${address}` : `registers ${address}–${address + quantity - 1}`;
  return `${span} (${names.join(', ')})`;
}

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initialTags, MODBUS_REGISTER_COUNT, TAGS } from '../tags.ts';
import {
  decodeHostWrite,
  decodeImage,
  decodeString,
  decodeUint32,
  encodeHostWrite,
  encodeImage,
  encodeString,
  encodeUint32,
  fieldAtRegister,
  HOST_REGISTER_TAGS,
  MODBUS_EXCEPTIONS,
  PLC_DELIVERY_ORDER,
  PLC_REGISTER_TAGS,
  REGISTER_FIELDS,
  type RegisterTags,
} from './register-map.ts';

const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
/** ASCII without NUL, up to the 32 bytes of CardSerial. */
const cardSerial = fc.string({ unit: fc.integer({ min: 1, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 32 });

const registerTags: fc.Arbitrary<RegisterTags> = fc.record({
  StateCurrent: uint32,
  UnitModeCurrent: uint32,
  ProdProcessedCount: uint32,
  ProdDefectiveCount: uint32,
  StopReason: uint32,
  Heartbeat: uint32,
  CntrlCmd: uint32,
  CmdChangeRequest: fc.boolean(),
  LastCmdResult: uint32,
  CardPresent: fc.boolean(),
  CardSerial: cardSerial,
  JobId: uint32,
  JobReady: fc.boolean(),
  JobAck: uint32,
  ResultJobId: uint32,
  ResultCardSerial: cardSerial,
  Result: uint32,
  Done: fc.boolean(),
  DoneAck: fc.boolean(),
  HostHeartbeat: uint32,
  JobDataSize: uint32,
  JobDataCrc32: uint32,
  ResultDataSize: uint32,
  ResultDataCrc32: uint32,
}, { noNullPrototype: true });

function registerTagsOf(): RegisterTags {
  const { JobData: _j, ResultData: _r, ...rest } = initialTags();
  return rest;
}

describe('the register map', () => {
  it('is exactly the documented map (source: the brief and src/plc/tags.ts)', () => {
    expect(REGISTER_FIELDS.map((f) => [f.register, f.count, f.name, f.type, f.writer])).toStrictEqual([
      [0, 2, 'StateCurrent', 'uint32', 'plc'],
      [2, 2, 'UnitModeCurrent', 'uint32', 'plc'],
      [4, 2, 'ProdProcessedCount', 'uint32', 'plc'],
      [6, 2, 'ProdDefectiveCount', 'uint32', 'plc'],
      [8, 2, 'StopReason', 'uint32', 'plc'],
      [10, 2, 'Heartbeat', 'uint32', 'plc'],
      [12, 2, 'CntrlCmd', 'uint32', 'host'],
      [14, 1, 'CmdChangeRequest', 'bool', 'host'],
      [15, 1, 'CardPresent', 'bool', 'plc'],
      [16, 1, 'JobReady', 'bool', 'host'],
      [17, 1, 'Done', 'bool', 'plc'],
      [18, 1, 'DoneAck', 'bool', 'host'],
      [20, 2, 'JobId', 'uint32', 'host'],
      [22, 2, 'JobAck', 'uint32', 'plc'],
      [24, 2, 'ResultJobId', 'uint32', 'plc'],
      [26, 2, 'Result', 'uint32', 'plc'],
      [28, 2, 'HostHeartbeat', 'uint32', 'host'],
      [30, 2, 'JobDataSize', 'uint32', 'host'],
      [32, 2, 'JobDataCrc32', 'uint32', 'host'],
      [34, 2, 'ResultDataSize', 'uint32', 'plc'],
      [36, 2, 'ResultDataCrc32', 'uint32', 'plc'],
      [38, 2, 'LastCmdResult', 'uint32', 'plc'],
      [40, 16, 'CardSerial', 'string', 'plc'],
      [56, 16, 'ResultCardSerial', 'string', 'plc'],
    ]);
    // Only register 19 is unused; every tag but the two bulk ones has registers.
    const unused = Array.from({ length: MODBUS_REGISTER_COUNT }, (_, r) => r).filter((r) => fieldAtRegister(r) === undefined);
    expect(unused).toStrictEqual([19]);
    expect(REGISTER_FIELDS.length).toBe(TAGS.length - 2);
  });

  it('delivers every PLC register tag, and only those', () => {
    expect([...PLC_DELIVERY_ORDER].sort()).toStrictEqual([...PLC_REGISTER_TAGS].sort());
    expect(HOST_REGISTER_TAGS).toStrictEqual(['CntrlCmd', 'CmdChangeRequest', 'JobReady', 'DoneAck', 'JobId', 'HostHeartbeat', 'JobDataSize', 'JobDataCrc32']);
  });

  it('puts a uint32 high word first and a string first character in the high byte', () => {
    const tags = { ...registerTagsOf(), Heartbeat: 70_000, JobId: 0xffff_ffff, CardSerial: 'AB~', Done: true };
    const image = encodeImage(tags);
    expect(image.slice(10, 12)).toStrictEqual([0x0001, 0x1170]);
    expect(image.slice(20, 22)).toStrictEqual([0xffff, 0xffff]);
    expect(image.slice(40, 43)).toStrictEqual([0x4142, 0x7e00, 0x0000]);
    expect(image[17]).toBe(1);
    expect(image[19]).toBe(0);
  });

  it('refuses values their registers cannot carry, naming the tag', () => {
    expect(() => encodeImage({ ...registerTagsOf(), Heartbeat: 2 ** 32 })).toThrow(/Heartbeat \(registers 10–11\): not a uint32: 4294967296/);
    expect(() => encodeImage({ ...registerTagsOf(), Result: -1 })).toThrow(/Result .*not a uint32: -1/);
    expect(() => encodeImage({ ...registerTagsOf(), Result: 1.5 })).toThrow(/not a uint32: 1.5/);
    expect(() => encodeImage({ ...registerTagsOf(), CardSerial: 'x'.repeat(33) })).toThrow(/CardSerial .*at most 32/);
    expect(() => encodeImage({ ...registerTagsOf(), CardSerial: 'Đ' })).toThrow(/CardSerial .*ASCII/);
    expect(() => encodeImage({ ...registerTagsOf(), CardSerial: 'A\0B' })).toThrow(/without NUL/);
  });

  it('round-trips every register tag for arbitrary values (property)', () => {
    fc.assert(
      fc.property(registerTags, (tags) => {
        const image = encodeImage(tags);
        expect(image).toHaveLength(MODBUS_REGISTER_COUNT);
        for (const word of image) expect(word >= 0 && word <= 0xffff && Number.isInteger(word)).toBe(true);
        expect(decodeImage(image)).toStrictEqual(tags);
      }),
      { numRuns: 2_000 },
    );
  });

  it('round-trips uint32 and strings on their own (property)', () => {
    fc.assert(fc.property(uint32, (v) => decodeUint32(...encodeUint32(v)) === v));
    fc.assert(fc.property(cardSerial, (s) => decodeString(encodeString(s, 16), 0, 16) === s));
  });

  it('decodes any 72 registers without throwing (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: MODBUS_REGISTER_COUNT, maxLength: MODBUS_REGISTER_COUNT }), (registers) => {
        const tags = decodeImage(registers);
        for (const f of REGISTER_FIELDS) {
          const v = tags[f.name];
          if (f.type === 'uint32') expect(typeof v === 'number' && v >= 0 && v <= 0xffff_ffff).toBe(true);
          if (f.type === 'bool') expect(typeof v).toBe('boolean');
          if (f.type === 'string') expect(typeof v === 'string' && v.length <= 32).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
    // Nor from short, long or non-uint16 input (a misbehaving client library).
    fc.assert(fc.property(fc.array(fc.integer(), { maxLength: 80 }), (registers) => void decodeImage(registers)));
  });
});

describe('host writes', () => {
  it('go out in one request per contiguous run of host registers', () => {
    expect(encodeHostWrite({ CntrlCmd: 2, CmdChangeRequest: true })).toStrictEqual([{ address: 12, values: [0, 2, 1], tags: ['CntrlCmd', 'CmdChangeRequest'] }]);
    expect(encodeHostWrite({ HostHeartbeat: 70_000, JobDataSize: 1, JobDataCrc32: 0xffff_ffff })).toStrictEqual([
      { address: 28, values: [1, 0x1170, 0, 1, 0xffff, 0xffff], tags: ['HostHeartbeat', 'JobDataSize', 'JobDataCrc32'] },
    ]);
    // JobId (20–21) and JobDataSize/Crc32 (30–33) have PLC registers between them: two requests.
    expect(encodeHostWrite({ JobDataCrc32: 7, JobId: 9, JobDataSize: 8 }).map((w) => [w.address, w.values.length])).toStrictEqual([
      [20, 2],
      [30, 4],
    ]);
    // JobReady (16) and DoneAck (18) straddle Done (17).
    expect(encodeHostWrite({ JobReady: false, DoneAck: true }).map((w) => [w.address, w.values])).toStrictEqual([
      [16, [0]],
      [18, [1]],
    ]);
    expect(encodeHostWrite({})).toStrictEqual([]);
  });

  it('refuse PLC tags, JobData and values that do not fit, naming the tag', () => {
    expect(() => encodeHostWrite({ JobAck: 1 } as never)).toThrow(/JobAck is not a host register tag/);
    expect(() => encodeHostWrite({ JobData: Buffer.alloc(1) } as never)).toThrow(/JobData goes through writeJob/);
    expect(() => encodeHostWrite({ JobId: 2 ** 32 })).toThrow(/JobId: not a uint32/);
    expect(() => encodeHostWrite({ JobReady: 1 as unknown as boolean })).toThrow(/JobReady must be a boolean/);
  });

  it('are checked by the server side: whole host tags only, bools 0 or 1', () => {
    expect(decodeHostWrite(12, [0, 2, 1])).toStrictEqual({ ok: true, changes: { CntrlCmd: 2, CmdChangeRequest: true } });
    expect(decodeHostWrite(28, [0xffff, 0xffff, 0, 0, 1, 0])).toStrictEqual({ ok: true, changes: { HostHeartbeat: 0xffff_ffff, JobDataSize: 0, JobDataCrc32: 0x1_0000 } });
    const refused = (address: number, values: number[]) => {
      const d = decodeHostWrite(address, values);
      return d.ok ? 'accepted' : [d.exception, d.reason];
    };
    expect(refused(22, [0, 1])).toStrictEqual([MODBUS_EXCEPTIONS.IllegalDataAddress, 'register 22 holds JobAck, which only the PLC writes']);
    expect(refused(16, [1, 0])).toStrictEqual([MODBUS_EXCEPTIONS.IllegalDataAddress, 'register 17 holds Done, which only the PLC writes']);
    expect(refused(19, [0])).toStrictEqual([MODBUS_EXCEPTIONS.IllegalDataAddress, 'register 19 is reserved']);
    expect(refused(13, [5])).toStrictEqual([MODBUS_EXCEPTIONS.IllegalDataAddress, 'CntrlCmd is registers 12–13; a write must cover both halves']);
    expect(refused(71, [0, 0])).toStrictEqual([MODBUS_EXCEPTIONS.IllegalDataAddress, 'registers 71–72 are outside the map (0–71)']);
    expect(refused(16, [2])).toStrictEqual([MODBUS_EXCEPTIONS.IllegalDataValue, 'JobReady (register 16) takes 0 or 1, not 2']);
    expect(refused(0, [])).toStrictEqual([MODBUS_EXCEPTIONS.IllegalDataValue, 'quantity 0 is outside 1–123']);
  });

  it('encode and decode back to the same changes (property)', () => {
    const hostValues = fc.record(
      { CntrlCmd: uint32, CmdChangeRequest: fc.boolean(), JobReady: fc.boolean(), DoneAck: fc.boolean(), JobId: uint32, HostHeartbeat: uint32, JobDataSize: uint32, JobDataCrc32: uint32 },
      { requiredKeys: [], noNullPrototype: true },
    );
    fc.assert(
      fc.property(hostValues, (values) => {
        const merged = {};
        for (const w of encodeHostWrite(values)) {
          const d = decodeHostWrite(w.address, w.values);
          if (!d.ok) throw new Error(d.reason);
          Object.assign(merged, d.changes);
        }
        expect(merged).toStrictEqual(values);
      }),
    );
  });
});

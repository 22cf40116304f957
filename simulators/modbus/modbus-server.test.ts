/**
 * The simulator's Modbus server, seen by clients that are not ours: a bare modbus-serial client
 * (exceptions, job folder behaviour) and Debian's mbpoll (the register map, independently of our
 * codec). Real sockets on loopback.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import modbusSerial from 'modbus-serial';
import { dataCrc32, TagStore } from '../../src/plc/tag-store.ts';
import { COMMAND_RESULTS, TAGS, type PlcTags, type StationTags } from '../../src/plc/tags.ts';
import { PACKML_COMMANDS, PACKML_STATES } from '../../src/plc/packml.ts';
import { MODBUS_EXCEPTIONS } from '../../src/plc/modbus/register-map.ts';
import { freePort, startModbusServer, type RunningModbusServer } from './modbus-server.ts';
import { scriptedPlc } from '../testing/scripted-plc.ts';

const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

const HOST = '127.0.0.1';
let port: number;
let server: RunningModbusServer;
let jobDir: string;
const log: string[] = [];
const unit1 = scriptedPlc(new TagStore('station'));
/** A second unit with no PLC logic: the server's own behaviour, nothing reacting to it. */
const unit2 = new TagStore('head.2');
let client: Client;

/** Values chosen so every register differs from its neighbours and from 0 (documented in the test names). */
const KNOWN: Partial<PlcTags> = {
  StateCurrent: PACKML_STATES.Execute,
  UnitModeCurrent: 3,
  ProdProcessedCount: 65_536, // 0x0001_0000: the high word alone
  ProdDefectiveCount: 65_535, // 0x0000_FFFF: the low word alone
  StopReason: 0x1234_5678,
  Heartbeat: 0xffff_ffff,
  LastCmdResult: 2,
  CardPresent: true,
  CardSerial: 'VN-2024/07 "ok" {A~z} 0123456789',
  JobAck: 4_000_000_000,
  ResultJobId: 70_000,
  Result: 40,
  Done: true,
  ResultDataSize: 614_400,
  ResultDataCrc32: 0x8000_0001,
};

async function connectClient(unitId = 1): Promise<Client> {
  const c = new ModbusRTU();
  c.setTimeout(1_000);
  await c.connectTCP(HOST, { port });
  c.setID(unitId);
  return c;
}

/** One raw Modbus TCP frame; everything answered within 200 ms, in hex ('' for nothing). */
async function rawRequest(frame: number[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const chunks: Buffer[] = [];
    socket.on('data', (data) => chunks.push(data));
    socket.on('error', () => undefined);
    setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('hex'));
    }, 200);
    socket.write(Buffer.from(frame));
  });
}

async function exceptionOf(request: Promise<unknown>): Promise<number | string> {
  try {
    await request;
    return 'answered';
  } catch (error) {
    return (error as { modbusCode?: number }).modbusCode ?? `no exception: ${(error as Error).message}`;
  }
}

beforeAll(async () => {
  jobDir = mkdtempSync(path.join(tmpdir(), 'cardline-modbus-server-'));
  unit1.store.setPlc(KNOWN);
  port = await freePort();
  server = await startModbusServer({
    host: HOST,
    port,
    units: [
      { unitId: 1, store: unit1.store, jobDir: path.join(jobDir, 'u1') },
      { unitId: 2, store: unit2, jobDir: path.join(jobDir, 'u2') },
    ],
    log: (m) => log.push(m),
  });
  client = await connectClient();
});

afterAll(async () => {
  await new Promise<void>((resolve) => client.close(() => resolve()));
  await server.close();
  unit1.detach();
  rmSync(jobDir, { recursive: true, force: true });
});

describe('startModbusServer', () => {
  it('refuses port 0 (modbus-serial would listen on 502)', async () => {
    await expect(startModbusServer({ host: HOST, port: 0, units: [] })).rejects.toThrow(/port must be 1–65535, got 0/);
  });

  it('reports a port that is taken', async () => {
    await expect(startModbusServer({ host: HOST, port, units: [] })).rejects.toThrow(new RegExp(`cannot listen on 127.0.0.1:${port}`));
  });
});

describe('exceptions (Modbus Application Protocol V1.1b3 §7)', () => {
  it('02 for a write to a register the PLC writes, whatever the function', async () => {
    expect(await exceptionOf(client.writeRegister(22, 5))).toBe(MODBUS_EXCEPTIONS.IllegalDataAddress); // JobAck, FC6
    expect(await exceptionOf(client.writeRegisters(22, [0, 5]))).toBe(MODBUS_EXCEPTIONS.IllegalDataAddress); // JobAck, FC16
    expect(await exceptionOf(client.writeRegisters(16, [1, 0, 1]))).toBe(MODBUS_EXCEPTIONS.IllegalDataAddress); // straddles Done
    expect(await exceptionOf(client.writeRegisters(40, [0x4142]))).toBe(MODBUS_EXCEPTIONS.IllegalDataAddress); // CardSerial
    expect(unit1.store.get('JobAck')).toBe(KNOWN.JobAck); // and nothing of it was applied
    expect(unit1.store.get('JobReady')).toBe(false);
    expect(log).toContain('refused with exception 2: unit 1: write of register 22 (JobAck): register 22 holds JobAck, which only the PLC writes');
  });

  it('02 for reads past register 71, the reserved register 19 and half a uint32', async () => {
    expect(await exceptionOf(client.readHoldingRegisters(0, 73))).toBe(MODBUS_EXCEPTIONS.IllegalDataAddress);
    expect(await exceptionOf(client.readHoldingRegisters(71, 2))).toBe(MODBUS_EXCEPTIONS.IllegalDataAddress);
    expect(await exceptionOf(client.readHoldingRegisters(72, 1))).toBe(MODBUS_EXCEPTIONS.IllegalDataAddress);
    expect(await exceptionOf(client.writeRegister(19, 0))).toBe(MODBUS_EXCEPTIONS.IllegalDataAddress);
    expect(await exceptionOf(client.writeRegister(13, 2))).toBe(MODBUS_EXCEPTIONS.IllegalDataAddress); // CntrlCmd's low word alone
    expect(await exceptionOf(client.writeRegisters(71, [0, 0]))).toBe(MODBUS_EXCEPTIONS.IllegalDataAddress);
    // Reading 19 is fine: one request reads the whole unit.
    expect((await client.readHoldingRegisters(19, 1)).data).toStrictEqual([0]);
    expect((await client.readHoldingRegisters(55, 1)).data).toHaveLength(1);
  });

  it('03 for a bool written with neither 0 nor 1, and a quantity above 125', async () => {
    expect(await exceptionOf(client.writeRegister(16, 2))).toBe(MODBUS_EXCEPTIONS.IllegalDataValue);
    expect(await exceptionOf(client.readHoldingRegisters(0, 126))).toBe(MODBUS_EXCEPTIONS.IllegalDataValue);
  });

  it('one 02 for a quantity of 0 (modbus-serial answers it itself)', async () => {
    // MBAP (transaction 1, protocol 0, length), unit 1, then the PDU.
    expect(await rawRequest([0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 0])).toBe('000100000003018302'); // FC3 ×0
    expect(await rawRequest([0, 1, 0, 0, 0, 7, 1, 16, 0, 16, 0, 0, 0])).toBe('000100000003019002'); // FC16 ×0
  });

  it('01 for the function codes the map does not use', async () => {
    expect(await exceptionOf(client.readCoils(0, 1))).toBe(MODBUS_EXCEPTIONS.IllegalFunction);
    expect(await exceptionOf(client.readDiscreteInputs(0, 1))).toBe(MODBUS_EXCEPTIONS.IllegalFunction);
    expect(await exceptionOf(client.readInputRegisters(0, 2))).toBe(MODBUS_EXCEPTIONS.IllegalFunction);
    expect(await exceptionOf(client.readInputRegisters(0, 1))).toBe(MODBUS_EXCEPTIONS.IllegalFunction);
    expect(await exceptionOf(client.writeCoil(0, true))).toBe(MODBUS_EXCEPTIONS.IllegalFunction);
    expect(await exceptionOf(client.writeCoils(0, [true, false]))).toBe(MODBUS_EXCEPTIONS.IllegalFunction);
    expect(await exceptionOf(client.maskWriteRegister(16, 0xffff, 0))).toBe(MODBUS_EXCEPTIONS.IllegalFunction); // FC22
    expect(await exceptionOf(client.readDeviceIdentification(1, 0))).toBe(MODBUS_EXCEPTIONS.IllegalFunction); // FC43/14
    // modbus-serial's client never settles an exception to FC23: a raw frame instead.
    // MBAP (transaction 7, protocol 0, length 13), unit 1, FC23 read 0×2, write 16×1 = [1].
    const answer = await rawRequest([0, 7, 0, 0, 0, 13, 1, 23, 0, 0, 0, 2, 0, 16, 0, 1, 2, 0, 1]);
    expect(answer).toBe('000700000003019701'); // unit 1, FC 0x97, exception 01
    expect(unit1.store.get('JobReady')).toBe(false);
  });

  it('0B for a unit id with no unit behind it', async () => {
    const other = await connectClient(9);
    try {
      expect(await exceptionOf(other.readHoldingRegisters(0, 72))).toBe(MODBUS_EXCEPTIONS.GatewayTargetFailedToRespond);
      expect(await exceptionOf(other.writeRegister(16, 1))).toBe(MODBUS_EXCEPTIONS.GatewayTargetFailedToRespond);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('04 when the PLC holds a value its registers cannot carry (a PLC logic bug)', async () => {
    const other = await connectClient(2);
    try {
      unit2.setPlc({ CardSerial: 'x'.repeat(33) });
      expect(await exceptionOf(other.readHoldingRegisters(0, 72))).toBe(MODBUS_EXCEPTIONS.ServerDeviceFailure);
      expect(log.some((m) => m.includes('CardSerial (registers 40–55)'))).toBe(true);
    } finally {
      unit2.setPlc({ CardSerial: '' });
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});

describe('commands and the job folder', () => {
  it('runs CntrlCmd + CmdChangeRequest before answering, and resets CmdChangeRequest', async () => {
    const other = await connectClient(2);
    try {
      // Unit 2 has no PLC logic: the store refuses; an unknown command number is UnknownCommand.
      await other.writeRegisters(12, [0, PACKML_COMMANDS.Start, 1]);
      expect((await other.readHoldingRegisters(12, 3)).data).toStrictEqual([0, PACKML_COMMANDS.Start, 0]);
      expect((await other.readHoldingRegisters(38, 2)).data).toStrictEqual([0, COMMAND_RESULTS.NotAllowedInState]);
      await other.writeRegisters(12, [0, 99, 1]);
      expect((await other.readHoldingRegisters(38, 2)).data).toStrictEqual([0, COMMAND_RESULTS.UnknownCommand]);
      await other.writeRegisters(12, [0, 0, 1]);
      expect(unit2.get('LastCmdResult')).toBe(COMMAND_RESULTS.UnknownCommand);
      // CmdChangeRequest alone (FC6) takes the CntrlCmd already there.
      await other.writeRegisters(12, [0, PACKML_COMMANDS.Abort]);
      unit2.setCommandHandler(() => ({ accepted: true }));
      await other.writeRegister(14, 1);
      expect(unit2.get('LastCmdResult')).toBe(COMMAND_RESULTS.Accepted);
      expect(unit2.get('CmdChangeRequest')).toBe(false);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('loads the job file into JobData before it passes JobReady on; a bad file leaves JobData empty', async () => {
    const other = await connectClient(2);
    const seen: { jobReady: boolean; jobData: Buffer }[] = [];
    const off = unit2.onChange((changes) => {
      if (changes.JobReady !== undefined) seen.push({ jobReady: changes.JobReady, jobData: unit2.get('JobData') });
    });
    const dir = path.join(jobDir, 'u2', 'jobs');
    const send = async (jobId: number, size: number, crc: number) => {
      await other.writeRegisters(20, [Math.floor(jobId / 65536), jobId % 65536]);
      await other.writeRegisters(30, [Math.floor(size / 65536), size % 65536, Math.floor(crc / 65536), crc % 65536]);
      await other.writeRegister(16, 1);
      await other.writeRegister(16, 0);
    };
    try {
      const data = Buffer.from('job seven');
      writeFileSync(path.join(dir, '7.job'), data);
      await send(7, data.length, dataCrc32(data));
      await send(8, 10, 0); // no file
      writeFileSync(path.join(dir, '9.job'), data.subarray(0, 4));
      await send(9, data.length, dataCrc32(data)); // short
      writeFileSync(path.join(dir, '10.job'), Buffer.from('job sevem'));
      await send(10, data.length, dataCrc32(data)); // CRC mismatch
      expect(seen.map((s) => [s.jobReady, s.jobData.toString()])).toStrictEqual([
        [true, 'job seven'],
        [false, 'job seven'],
        [true, ''],
        [false, ''],
        [true, ''],
        [false, ''],
        [true, ''],
        [false, ''],
      ]);
      expect(log.filter((m) => m.startsWith('unit 2: job '))).toHaveLength(3);
    } finally {
      off();
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('writes the result file inside the store listener, before Done can be seen', () => {
    const data = Buffer.from('result bytes');
    let fileAtDone: string | undefined;
    const off = unit2.onChange((changes) => {
      if (changes.Done === true) fileAtDone = readFileSync(path.join(jobDir, 'u2', 'outbox', '4242.result'), 'utf8');
    });
    unit2.setPlc({ ResultJobId: 4242, ResultData: data, ResultDataSize: data.length, ResultDataCrc32: dataCrc32(data) });
    unit2.setPlc({ Done: true });
    off();
    expect(fileAtDone).toBe('result bytes');
    // The host deleting it is fine; the next result goes in as before.
    rmSync(path.join(jobDir, 'u2', 'outbox', '4242.result'));
    unit2.setPlc({ ResultData: Buffer.from('again') });
    expect(readFileSync(path.join(jobDir, 'u2', 'outbox', '4242.result'), 'utf8')).toBe('again');
    expect(existsSync(path.join(jobDir, 'u2', 'outbox'))).toBe(true);
  });
});

describe('mbpoll, an independent client (Debian package mbpoll)', () => {
  /**
   * mbpoll numbers registers from 1 (Modicon reference numbers): `-r 1` is PDU address 0, so
   * register N of the map is mbpoll reference N+1 (`-0` would switch it to 0-based). `-t 4` is the
   * holding-register table; mbpoll prints `[ref]: value` with the signed reading in parentheses
   * above 32767; `-t 4:int -B` reads two registers as one 32-bit integer, high word first.
   */
  async function mbpoll(args: string[], writeValues: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      // Values to write come after the host.
      execFile('mbpoll', ['-m', 'tcp', '-p', String(port), '-1', '-o', '2', ...args, HOST, ...writeValues], (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new Error('mbpoll is not installed. Install it with `sudo apt-get install -y mbpoll` (Debian/Ubuntu), then run the tests again.'));
          return;
        }
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  function parse(stdout: string): Map<number, number> {
    const values = new Map<number, number>();
    for (const match of stdout.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)) values.set(Number(match[1]), Number(match[2]));
    return values;
  }

  /** What tags.ts says each register must hold, computed here without the project's codec. */
  function expectedRegisters(tags: Readonly<StationTags>): number[] {
    const registers = new Array<number>(72).fill(0);
    for (const spec of TAGS) {
      if (spec.register === undefined) continue;
      const value = tags[spec.name];
      if (spec.type === 'uint32') {
        registers[spec.register] = Math.floor((value as number) / 65536);
        registers[spec.register + 1] = (value as number) % 65536;
      } else if (spec.type === 'bool') {
        registers[spec.register] = value ? 1 : 0;
      } else if (spec.type === 'string') {
        const bytes = Buffer.alloc(spec.maxBytes!, 0);
        bytes.write(value as string, 'ascii');
        for (let i = 0; i < spec.maxBytes! / 2; i++) registers[spec.register + i] = bytes.readUInt16BE(i * 2);
      }
    }
    return registers;
  }

  it('reads every documented register as the tag table says (reference N+1 = register N)', async () => {
    const { code, stdout, stderr } = await mbpoll(['-a', '1', '-r', '1', '-c', '72', '-t', '4']);
    expect({ code, stderr }).toStrictEqual({ code: 0, stderr: '' });
    const read = parse(stdout);
    expect([...read.keys()]).toStrictEqual(Array.from({ length: 72 }, (_, i) => i + 1));
    const expected = expectedRegisters(unit1.store.tags);
    expect(Array.from({ length: 72 }, (_, r) => read.get(r + 1))).toStrictEqual(expected);
    // The known values are really in there (not all zeros matching all zeros).
    expect(read.get(11 + 1)).toBe(0xffff); // Heartbeat high word
    expect(read.get(40 + 1)).toBe(0x564e); // 'VN'
  });

  it('reads uint32 tags as 32-bit integers with high word first (-t 4:int -B)', async () => {
    const { code, stdout } = await mbpoll(['-a', '1', '-r', '5', '-c', '4', '-t', '4:int', '-B']); // registers 4–11
    expect(code).toBe(0);
    const read = parse(stdout);
    // mbpoll prints 32-bit integers signed.
    expect([read.get(5), read.get(7), read.get(9), read.get(11)]).toStrictEqual([65_536, 65_535, 0x1234_5678, -1]);
  });

  it('writes a host tag, and is refused a PLC tag with "Illegal data address"', async () => {
    const ok = await mbpoll(['-a', '1', '-r', '29', '-t', '4:int', '-B'], ['70000']); // HostHeartbeat, registers 28–29
    expect(ok.code).toBe(0);
    expect(unit1.store.get('HostHeartbeat')).toBe(70_000);
    const refused = await mbpoll(['-a', '1', '-r', '23', '-t', '4'], ['5']); // JobAck, register 22
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Illegal data address/);
    expect(unit1.store.get('JobAck')).toBe(KNOWN.JobAck);
    const past = await mbpoll(['-a', '1', '-r', '72', '-c', '2', '-t', '4']);
    expect(past.code).not.toBe(0);
    expect(past.stderr).toMatch(/Illegal data address/);
  });
});

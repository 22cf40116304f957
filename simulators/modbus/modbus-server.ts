/**
 * The Modbus TCP face of simulated stations: a real modbus-serial ServerTCP on its own port (each
 * PLC has its own address), serving the holding registers of one or more units (a station is
 * unit 1; an encoder's heads are units 1…N), each backed by a TagStore, plus each unit's job folder
 * (src/plc/modbus/job-folder.ts). The register map is src/plc/modbus/register-map.ts.
 *
 * What the server does beyond answering registers, as a station's PLC program would:
 * - JobReady 0→1: reads `<jobDir>/jobs/<JobId>.job` into JobData first, then passes JobReady on, so
 *   the PLC logic always finds the data in place. A missing, short or CRC-mismatched file still
 *   passes JobReady on, with JobData empty: the PLC logic reports JobDataInvalid.
 * - CmdChangeRequest=1: runs `store.command(CntrlCmd)` (which sets LastCmdResult; an unknown
 *   CntrlCmd sets UnknownCommand), then resets CmdChangeRequest to 0, all before the write is answered.
 * - ResultData set by the PLC logic: writes `<jobDir>/outbox/<ResultJobId>.result` synchronously
 *   inside the store listener, so the file is complete before any poll can see Done. The PLC logic
 *   sets ResultJobId no later than ResultData (in the same setPlc, or before).
 *
 * Every function code a client may send gets an answer (modbus-serial lets a request without a
 * handler go unanswered, and the client then times out): the map's own (3, 6, 16) or an exception.
 */
import net from 'node:net';
import { mkdirSync, readFileSync } from 'node:fs';
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import { commandName, PACKML_COMMANDS, type PackMLCommandName } from '../../src/plc/packml.ts';
import { dataCrc32, type TagStore } from '../../src/plc/tag-store.ts';
import { COMMAND_RESULTS, MODBUS_REGISTER_COUNT } from '../../src/plc/tags.ts';
import { JOB_FOLDER_MODE, jobFilePath, jobsFolder, outboxFolder, resultFilePath, writeFileAtomicallySync } from '../../src/plc/modbus/job-folder.ts';
import { decodeHostWrite, describeRange, encodeImage, MAX_READ_QUANTITY, MODBUS_EXCEPTIONS, type HostRegisterTags } from '../../src/plc/modbus/register-map.ts';

export interface ModbusUnitBinding {
  unitId: number;
  store: TagStore;
  jobDir: string;
}

export interface ModbusServerOptions {
  host: string;
  /** Required, never 0: modbus-serial would turn 0 into 502. Use freePort() in tests. */
  port: number;
  units: readonly ModbusUnitBinding[];
  /** What the server refused or could not do (bad job files, refused writes); default: nothing. */
  log?: (message: string) => void;
}

export interface RunningModbusServer {
  readonly port: number;
  close(): Promise<void>;
  /** Fault injection: destroy every client socket. */
  dropConnections(): void;
  /** Fault injection: stop answering (requests get no response, the client times out). */
  setAnswering(answering: boolean): void;
  /** Client connections open now (a test checks the heads of an encoder share one). */
  readonly clientCount: number;
  /** Requests served so far, per unit id (a test counts an idle unit's polls). */
  requestCount(unitId: number): number;
}

type Callback<T> = (err: Error | null, value?: T) => void;

/** modbus-serial answers an error carrying `modbusErrorCode` with that exception code. */
class ModbusException extends Error {
  constructor(
    readonly modbusErrorCode: number,
    message: string,
  ) {
    super(message);
  }
}

interface Unit extends ModbusUnitBinding {
  readonly off: () => void;
}

export async function startModbusServer(options: ModbusServerOptions): Promise<RunningModbusServer> {
  const { host, port } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`modbus server port must be 1–65535, got ${port} (modbus-serial would turn 0 into 502; use freePort())`);
  }
  const log = options.log ?? (() => undefined);
  const units = new Map<number, Unit>();
  for (const binding of options.units) {
    if (!Number.isInteger(binding.unitId) || binding.unitId < 1 || binding.unitId > 247) throw new RangeError(`unit id must be 1–247, got ${binding.unitId}`);
    if (units.has(binding.unitId)) throw new Error(`unit id ${binding.unitId} is bound twice`);
    // 0770 with the station's group at most: the job files carry BAC keys and card images (src/plc/modbus/job-folder-access.ts).
    mkdirSync(jobsFolder(binding.jobDir), { recursive: true, mode: JOB_FOLDER_MODE });
    mkdirSync(outboxFolder(binding.jobDir), { recursive: true, mode: JOB_FOLDER_MODE });
    units.set(binding.unitId, { ...binding, off: () => undefined });
  }
  for (const unit of units.values()) {
    const off = unit.store.onChange((changes, by) => {
      if (by !== 'plc' || changes.ResultData === undefined) return;
      const jobId = unit.store.get('ResultJobId');
      const file = resultFilePath(unit.jobDir, jobId);
      try {
        writeFileAtomicallySync(file, changes.ResultData);
      } catch (error) {
        // The host will find no (or an old) file and report it with the path; the PLC logic goes on.
        log(`unit ${unit.unitId}: cannot write result file ${file}: ${(error as Error).message}`);
      }
    });
    units.set(unit.unitId, { ...unit, off });
  }

  let answering = true;
  let closed = false;

  const unitFor = (unitId: number): Unit => {
    const unit = units.get(unitId);
    if (!unit) throw new ModbusException(MODBUS_EXCEPTIONS.GatewayTargetFailedToRespond, `no unit ${unitId} on this server`);
    return unit;
  };

  const readRegisters = (unitId: number, address: number, quantity: number): number[] => {
    const unit = unitFor(unitId);
    if (quantity < 1 || quantity > MAX_READ_QUANTITY) throw new ModbusException(MODBUS_EXCEPTIONS.IllegalDataValue, `quantity ${quantity} is outside 1–${MAX_READ_QUANTITY}`);
    if (address + quantity > MODBUS_REGISTER_COUNT) {
      throw new ModbusException(MODBUS_EXCEPTIONS.IllegalDataAddress, `unit ${unitId}: ${describeRange(address, quantity)} reaches past register ${MODBUS_REGISTER_COUNT - 1}`);
    }
    let image: number[];
    try {
      image = encodeImage(unit.store.tags);
    } catch (error) {
      throw new ModbusException(MODBUS_EXCEPTIONS.ServerDeviceFailure, `unit ${unitId}: the PLC holds a value its registers cannot carry: ${(error as Error).message}`);
    }
    return image.slice(address, address + quantity);
  };

  const writeRegisters = (unitId: number, address: number, values: readonly number[]): void => {
    const unit = unitFor(unitId);
    const decoded = decodeHostWrite(address, values);
    if (!decoded.ok) throw new ModbusException(decoded.exception, `unit ${unitId}: write of ${describeRange(address, values.length)}: ${decoded.reason}`);
    applyHostWrite(unit, decoded.changes, log);
  };

  /**
   * Runs a request as the vector's callback style wants it, or not at all while not answering.
   * `onError` is the value passed with an error: modbus-serial's input-register path indexes it.
   */
  const requests = new Map<number, number>();
  const serve = <T>(cb: Callback<T>, what: () => T, onError?: T, unitId?: number): void => {
    if (!answering || closed) return;
    if (unitId !== undefined) requests.set(unitId, (requests.get(unitId) ?? 0) + 1);
    let value: T;
    try {
      value = what();
    } catch (error) {
      if (error instanceof ModbusException) log(`refused with exception ${error.modbusErrorCode}: ${error.message}`);
      else log(`failed: ${(error as Error).message}`);
      cb(error as Error, onError);
      return;
    }
    cb(null, value);
  };

  const illegalFunction = (what: string): ModbusException => new ModbusException(MODBUS_EXCEPTIONS.IllegalFunction, `${what}: the map has holding registers only`);

  // Callback-style handlers (their arity tells modbus-serial so): not calling back = no answer.
  const vector: IServiceVector = {
    getHoldingRegister: (addr: number, unitId: number, cb: Callback<number>) => serve(cb, () => readRegisters(unitId, addr, 1)[0]!, undefined, unitId),
    getMultipleHoldingRegisters: (addr: number, length: number, unitId: number, cb: Callback<number[]>) => serve(cb, () => readRegisters(unitId, addr, length), undefined, unitId),
    setRegister: (addr: number, value: number, unitId: number, cb: Callback<void>) => serve(cb, () => writeRegisters(unitId, addr, [value]), undefined, unitId),
    setRegisterArray: (addr: number, value: number[], unitId: number, cb: Callback<void>) => {
      // Quantity 0: modbus-serial has already answered 02 itself; a second answer would garble the stream.
      if (value.length === 0) return;
      serve(cb, () => writeRegisters(unitId, addr, value), undefined, unitId);
    },
    getCoil: (_addr: number, _unitId: number, cb: Callback<boolean>) => serve(cb, () => { throw illegalFunction('coils'); }),
    getDiscreteInput: (_addr: number, _unitId: number, cb: Callback<boolean>) => serve(cb, () => { throw illegalFunction('discrete inputs'); }),
    getInputRegister: (_addr: number, _unitId: number, cb: Callback<number>) => serve(cb, () => { throw illegalFunction('input registers'); }),
    getMultipleInputRegisters: (_addr: number, _length: number, _unitId: number, cb: Callback<number[]>) => serve(cb, () => { throw illegalFunction('input registers'); }, []),
    setCoil: (_addr: number, _value: boolean, _unitId: number, cb: Callback<void>) => serve(cb, () => { throw illegalFunction('coils'); }),
  } as IServiceVector;

  const server = new ServerTCP(vector, { host, port, unitID: 255 /* every unit id reaches the vector */ });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('initialized', () => resolve());
      server.once('serverError', (error: Error | null) => reject(new Error(`cannot listen on ${host}:${port}: ${error?.message ?? 'unknown error'}`, { cause: error })));
    });
  } catch (error) {
    for (const unit of units.values()) unit.off();
    throw error;
  }
  // A client that resets its socket must not take the simulator down.
  server.on('socketError', () => undefined);
  server.on('serverError', (error: Error | null) => log(`server error: ${error?.message ?? 'unknown'}`));
  server.on('error', (error: Error | null) => log(`error: ${error?.message ?? 'unknown'}`));

  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        for (const unit of units.values()) unit.off();
        // close() stops listening, destroys the client sockets and calls back once they are gone.
        server.close(() => resolve());
      });
      return closing;
    },
    dropConnections: () => {
      for (const socket of server.socks.keys()) socket.destroy();
    },
    setAnswering: (value: boolean) => {
      answering = value;
    },
    requestCount: (unitId: number) => requests.get(unitId) ?? 0,
    get clientCount() {
      return server.socks.size;
    },
  };
}

function applyHostWrite(unit: Unit, changes: Partial<HostRegisterTags>, log: (message: string) => void): void {
  const { store } = unit;
  const { JobReady, CmdChangeRequest, ...plain } = changes;
  store.setHost(plain);
  if (JobReady !== undefined) {
    if (JobReady && !store.get('JobReady')) store.setHost({ JobData: loadJobData(unit, log) });
    store.setHost({ JobReady });
  }
  if (CmdChangeRequest === true) {
    store.setHost({ CmdChangeRequest: true });
    const cntrlCmd = store.get('CntrlCmd');
    const name = commandName(cntrlCmd);
    if (isCommand(name)) store.command(name);
    else store.setPlc({ LastCmdResult: COMMAND_RESULTS.UnknownCommand });
    store.setHost({ CmdChangeRequest: false });
  } else if (CmdChangeRequest === false) {
    store.setHost({ CmdChangeRequest: false });
  }
}

function isCommand(name: string): name is PackMLCommandName {
  return name !== 'Undefined' && Object.hasOwn(PACKML_COMMANDS, name);
}

/** The job file named by JobId, checked against JobDataSize and JobDataCrc32; empty when it does not match. */
function loadJobData(unit: Unit, log: (message: string) => void): Buffer {
  const { store } = unit;
  const jobId = store.get('JobId');
  const size = store.get('JobDataSize');
  const crc = store.get('JobDataCrc32');
  const file = jobFilePath(unit.jobDir, jobId);
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    log(`unit ${unit.unitId}: job ${jobId}: cannot read ${file}: ${(error as Error).message}`);
    return Buffer.alloc(0);
  }
  if (data.length !== size || dataCrc32(data) !== crc) {
    log(`unit ${unit.unitId}: job ${jobId}: ${file} has ${data.length} bytes, CRC ${dataCrc32(data)}; JobDataSize ${size}, JobDataCrc32 ${crc}`);
    return Buffer.alloc(0);
  }
  return data;
}

/** A free TCP port on `host`, for tests and demos (modbus-serial cannot listen on port 0 itself). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ port: 0, host, exclusive: true }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error(`no free port on ${host}`))));
    });
  });
}

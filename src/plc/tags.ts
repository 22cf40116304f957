/**
 * The station tag model: one logical set of tags per station (or encoder head), the same over
 * OPC UA and Modbus TCP. This table is the source of docs/plc-interface.md's tag list, of the
 * Modbus register map and of the OPC UA variables; a test keeps the document in step with it.
 */

export type TagType = 'uint32' | 'bool' | 'string' | 'bytes';
/** Who writes the tag: the station's PLC or the host (the cardline controller). */
export type TagWriter = 'plc' | 'host';
export type TagGroup = 'Status' | 'Admin' | 'Command' | 'Handshake';

export interface TagSpec {
  readonly name: TagName;
  readonly type: TagType;
  readonly writer: TagWriter;
  readonly group: TagGroup;
  /** First Modbus holding register (0-based); undefined for bulk data, which goes through the job folder. */
  readonly register?: number;
  /** String capacity in bytes (Modbus: 2 bytes a register). */
  readonly maxBytes?: number;
  readonly description: string;
}

export interface StationTags {
  // Status and Admin (PLC)
  StateCurrent: number;
  UnitModeCurrent: number;
  ProdProcessedCount: number;
  ProdDefectiveCount: number;
  StopReason: number;
  Heartbeat: number;
  // Command (host requests, PLC answers)
  CntrlCmd: number;
  CmdChangeRequest: boolean;
  LastCmdResult: number;
  // Handshake
  CardPresent: boolean;
  CardSerial: string;
  JobId: number;
  JobReady: boolean;
  JobAck: number;
  ResultJobId: number;
  ResultCardSerial: string;
  Result: number;
  Done: boolean;
  DoneAck: boolean;
  HostHeartbeat: number;
  JobDataSize: number;
  JobDataCrc32: number;
  ResultDataSize: number;
  ResultDataCrc32: number;
  JobData: Buffer;
  ResultData: Buffer;
}

export type TagName = keyof StationTags;

export const CARD_SERIAL_MAX_BYTES = 32;

/** Every tag, in Modbus register order. */
export const TAGS: readonly TagSpec[] = [
  { name: 'StateCurrent', type: 'uint32', writer: 'plc', group: 'Status', register: 0, description: 'PackML state, 0–17' },
  { name: 'UnitModeCurrent', type: 'uint32', writer: 'plc', group: 'Status', register: 2, description: 'unit mode: 1 Produce, 2 Maintenance, 3 Manual' },
  { name: 'ProdProcessedCount', type: 'uint32', writer: 'plc', group: 'Admin', register: 4, description: 'cards processed since power-up (good and defective)' },
  { name: 'ProdDefectiveCount', type: 'uint32', writer: 'plc', group: 'Admin', register: 6, description: 'cards this station found defective since power-up' },
  { name: 'StopReason', type: 'uint32', writer: 'plc', group: 'Admin', register: 8, description: 'why the station is not producing (STOP_REASONS)' },
  { name: 'Heartbeat', type: 'uint32', writer: 'plc', group: 'Status', register: 10, description: 'incremented by the PLC every heartbeat period' },
  { name: 'CntrlCmd', type: 'uint32', writer: 'host', group: 'Command', register: 12, description: 'PackML command, 1–10, taken when CmdChangeRequest is set' },
  { name: 'CmdChangeRequest', type: 'bool', writer: 'host', group: 'Command', register: 14, description: 'host sets 1 with CntrlCmd; the PLC executes or refuses, sets LastCmdResult, then resets it to 0' },
  { name: 'LastCmdResult', type: 'uint32', writer: 'plc', group: 'Command', register: 38, description: '0 accepted, 1 not allowed in the current state, 2 unknown command' },
  { name: 'CardPresent', type: 'bool', writer: 'plc', group: 'Handshake', register: 15, description: 'a card is at the station\'s infeed and needs a job; CardSerial is valid' },
  { name: 'CardSerial', type: 'string', writer: 'plc', group: 'Handshake', register: 40, maxBytes: CARD_SERIAL_MAX_BYTES, description: 'serial of the card presented for a job (ASCII)' },
  { name: 'JobId', type: 'uint32', writer: 'host', group: 'Handshake', register: 20, description: 'the job for the present card; never 0, never reused on a line' },
  { name: 'JobReady', type: 'bool', writer: 'host', group: 'Handshake', register: 16, description: 'host sets 1 after JobId and the job data are in place' },
  { name: 'JobAck', type: 'uint32', writer: 'plc', group: 'Handshake', register: 22, description: 'the PLC echoes JobId when it takes the job' },
  { name: 'ResultJobId', type: 'uint32', writer: 'plc', group: 'Handshake', register: 24, description: 'the job the result belongs to' },
  { name: 'ResultCardSerial', type: 'string', writer: 'plc', group: 'Handshake', register: 56, maxBytes: CARD_SERIAL_MAX_BYTES, description: 'serial of the card the result is about (ASCII)' },
  { name: 'Result', type: 'uint32', writer: 'plc', group: 'Handshake', register: 26, description: '0 good, otherwise a result code (RESULT_CODES)' },
  { name: 'Done', type: 'bool', writer: 'plc', group: 'Handshake', register: 17, description: 'PLC sets 1 when ResultJobId, Result and the result data are in place' },
  { name: 'DoneAck', type: 'bool', writer: 'host', group: 'Handshake', register: 18, description: 'host sets 1 once the result is persisted; the PLC then clears Done' },
  { name: 'HostHeartbeat', type: 'uint32', writer: 'host', group: 'Handshake', register: 28, description: 'incremented by the host every heartbeat period' },
  { name: 'JobDataSize', type: 'uint32', writer: 'host', group: 'Handshake', register: 30, description: 'bytes of job data' },
  { name: 'JobDataCrc32', type: 'uint32', writer: 'host', group: 'Handshake', register: 32, description: 'CRC-32 (IEEE) of the job data' },
  { name: 'ResultDataSize', type: 'uint32', writer: 'plc', group: 'Handshake', register: 34, description: 'bytes of result data' },
  { name: 'ResultDataCrc32', type: 'uint32', writer: 'plc', group: 'Handshake', register: 36, description: 'CRC-32 (IEEE) of the result data' },
  { name: 'JobData', type: 'bytes', writer: 'host', group: 'Handshake', description: 'the job (OPC UA ByteString; Modbus: the job folder)' },
  { name: 'ResultData', type: 'bytes', writer: 'plc', group: 'Handshake', description: 'what the station did or read (OPC UA ByteString; Modbus: the outbox)' },
];

/** Holding registers of one unit: 0–71. */
export const MODBUS_REGISTER_COUNT = 72;

export function tagSpec(name: TagName): TagSpec {
  const spec = TAGS.find((t) => t.name === name);
  if (!spec) throw new Error(`unknown tag ${name}`);
  return spec;
}

export type PlcTagName = { [K in TagName]: K extends HostTagName ? never : K }[TagName];
export type HostTagName = 'CntrlCmd' | 'CmdChangeRequest' | 'JobId' | 'JobReady' | 'DoneAck' | 'HostHeartbeat' | 'JobDataSize' | 'JobDataCrc32' | 'JobData';
export type PlcTags = Pick<StationTags, PlcTagName>;
export type HostTags = Pick<StationTags, HostTagName>;

export const HOST_TAGS: readonly HostTagName[] = TAGS.filter((t) => t.writer === 'host').map((t) => t.name as HostTagName);
export const PLC_TAGS: readonly PlcTagName[] = TAGS.filter((t) => t.writer === 'plc').map((t) => t.name as PlcTagName);

/**
 * Every PLC-written tag in the order a change must reach the host: values before the flags that
 * announce them (CardSerial before CardPresent; the result data, its size, CRC, ResultJobId and
 * Result before Done), so a host acting tag by tag always sees a complete picture. Both transports
 * deliver in this order (OPC UA: the order of the monitored items; Modbus: of the decoded image).
 */
export const PLC_TAG_ORDER: readonly PlcTagName[] = [
  'StateCurrent',
  'UnitModeCurrent',
  'ProdProcessedCount',
  'ProdDefectiveCount',
  'StopReason',
  'Heartbeat',
  'LastCmdResult',
  'CardSerial',
  'CardPresent',
  'JobAck',
  'ResultData',
  'ResultDataSize',
  'ResultDataCrc32',
  'ResultCardSerial',
  'ResultJobId',
  'Result',
  'Done',
];

/** Power-up values of every tag. */
export function initialTags(): StationTags {
  return {
    StateCurrent: 2, // Stopped
    UnitModeCurrent: 1,
    ProdProcessedCount: 0,
    ProdDefectiveCount: 0,
    StopReason: 0,
    Heartbeat: 0,
    CntrlCmd: 0,
    CmdChangeRequest: false,
    LastCmdResult: 0,
    CardPresent: false,
    CardSerial: '',
    JobId: 0,
    JobReady: false,
    JobAck: 0,
    ResultJobId: 0,
    ResultCardSerial: '',
    Result: 0,
    Done: false,
    DoneAck: false,
    HostHeartbeat: 0,
    JobDataSize: 0,
    JobDataCrc32: 0,
    ResultDataSize: 0,
    ResultDataCrc32: 0,
    JobData: Buffer.alloc(0),
    ResultData: Buffer.alloc(0),
  };
}

/** LastCmdResult values. */
export const COMMAND_RESULTS = { Accepted: 0, NotAllowedInState: 1, UnknownCommand: 2 } as const;

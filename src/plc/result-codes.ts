/**
 * Result codes a station's PLC writes to `Result` (0 = good). One table for every station kind;
 * docs/plc-interface.md lists it. A station whose own result is not 0 sends the card to the reject
 * bin through its reject gate. Faults a station cannot see itself (an empty or partial chip write,
 * a misregistered engraving, a wrong MRZ) are not result codes: they show in what QA reads back,
 * and the controller's verdict catches them.
 */
export const RESULT_CODES = {
  Good: 0,
  /** Encoder: the chip did not accept the write (or the write-verify failed). */
  ChipWriteFailed: 10,
  /** Encoder: no chip answered in the field. */
  ChipNoResponse: 11,
  /** Laser: the engraver faulted during the job. */
  LaserFault: 20,
  /** Any station: the card jammed; the station goes to Held and the card is removed to the reject bin. */
  CardJam: 30,
  /** Feeder or any station: the blank is physically defective. */
  BlankDefect: 31,
  /** The job data could not be read or did not match its size/CRC. */
  JobDataInvalid: 40,
  /** No job arrived for the present card in time: the card was rejected. */
  NoJobInTime: 41,
  /** The job was for another kind of station or another card. */
  JobRejected: 42,
  /** The station was aborted (e-stop) with the card inside; it was purged to the reject bin. */
  Aborted: 43,
  /** QA: the chip could not be read at all. */
  QaReadFailed: 50,
} as const;

export type ResultCodeName = keyof typeof RESULT_CODES;
export type ResultCode = (typeof RESULT_CODES)[ResultCodeName];

const NAMES = Object.fromEntries(Object.entries(RESULT_CODES).map(([k, v]) => [v, k])) as Record<number, ResultCodeName>;

export function resultCodeName(code: number): ResultCodeName | `Unknown(${number})` {
  return NAMES[code] ?? `Unknown(${code})`;
}

/**
 * Why a card went to the reject bin: one table for the spoil log, the card events, the records'
 * attempt reasons and the reports (docs/line-control.md lists it). Station result codes
 * (src/plc/result-codes.ts) map onto it; the QA verdict and the controller add their own.
 */
import { RESULT_CODES } from '../plc/result-codes.ts';

export const REASONS = {
  // From the stations' own results
  BLANK_DEFECT: 'the blank is physically defective (feeder)',
  CHIP_WRITE_FAILED: 'the chip did not accept the write (encoder)',
  CHIP_NO_RESPONSE: 'no chip answered in the encoder field',
  LASER_FAULT: 'the laser faulted during the job',
  CARD_JAM: 'the card jammed; the station held until the jam was cleared',
  JOB_DATA_INVALID: 'the station could not read the job data',
  NO_JOB_IN_TIME: 'the station got no job for the card in time',
  JOB_REJECTED: 'the station refused the job',
  ABORTED: 'the station was aborted (emergency stop) with the card inside',
  STATION_ERROR: 'another station result code',
  // The controller's QA verdict
  CHIP_UNREADABLE: 'QA could not read the chip through BAC (empty chip, wrong MRZ, no answer)',
  CHIP_FILE_MISSING: 'a chip file is missing (partial write)',
  CHIP_HASH_MISMATCH: 'a data group does not match its hash in EF.SOD',
  CHIP_SIGNATURE_INVALID: 'EF.SOD does not verify against the Country Signing CA',
  CHIP_DG1_MISMATCH: "the chip's DG1 is not the record's MRZ",
  MRZ_OCR_MISMATCH: 'the engraved MRZ, as read by QA, is not the record’s MRZ',
  PRINT_GRADE_LOW: 'the print grade is below the threshold (misregistration)',
  SERIAL_DISCONTINUITY: 'QA saw another card than the one the record was fed on',
  // The controller
  JOB_LOST: 'a job’s outcome is unknown (link lost or station restarted): the card is not trusted',
  JOB_TIMEOUT: 'a station did not answer a job in time: the card is not trusted',
  SUSPECT_AFTER_RESTART: 'the card was in the line when the controller stopped: re-made, never shipped unchecked',
  LINE_PURGED: 'the card was in the line when the controller stopped, and the line reports it in the reject bin (a restarted PLC purged it)',
  UNKNOWN_CARD: 'a card the controller has no record for (fed while it was down)',
  LINE_ABORTED: 'the batch was aborted with the card in the line',
  INSPECTOR_REJECT: 'an inspector rejected the card after output',
  WRITTEN_OFF: 'a supervisor wrote off a card the records held in the line but that was no longer there',
  PACK_MISMATCH: 'the packer put the card into another pack than the pack plan gave it',
} as const;

export type ReasonCode = keyof typeof REASONS;

const BY_RESULT: Readonly<Record<number, ReasonCode>> = {
  [RESULT_CODES.BlankDefect]: 'BLANK_DEFECT',
  [RESULT_CODES.ChipWriteFailed]: 'CHIP_WRITE_FAILED',
  [RESULT_CODES.ChipNoResponse]: 'CHIP_NO_RESPONSE',
  [RESULT_CODES.LaserFault]: 'LASER_FAULT',
  [RESULT_CODES.CardJam]: 'CARD_JAM',
  [RESULT_CODES.JobDataInvalid]: 'JOB_DATA_INVALID',
  [RESULT_CODES.NoJobInTime]: 'NO_JOB_IN_TIME',
  [RESULT_CODES.JobRejected]: 'JOB_REJECTED',
  [RESULT_CODES.Aborted]: 'ABORTED',
  [RESULT_CODES.QaReadFailed]: 'CHIP_UNREADABLE',
};

/** The reason code of a station's non-zero result. */
export function reasonOfResult(result: number): ReasonCode {
  return BY_RESULT[result] ?? 'STATION_ERROR';
}

export function isReasonCode(code: string): code is ReasonCode {
  return Object.hasOwn(REASONS, code);
}

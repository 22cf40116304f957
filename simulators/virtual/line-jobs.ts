/**
 * Light data preparation and QA judging, for runs that are about the line rather than the chip or
 * the card layout (the capacity simulation's line fidelity, the controller's tests): the real MRZ
 * from the stored record, a chip job with EF.COM and DG1, a laser job with placeholder sides and
 * the MRZ; and a judge that checks DG1, the OCR'd MRZ and the print grade. The product's preparer
 * (src/line/prepare.ts) renders the card and signs the LDS instead.
 */
import { parseCivilDate, parsePartialDate } from '../../src/domain/dates.ts';
import { composeTd1, composeVietnameseMrz, type Td1Lines } from '../../src/domain/mrz/compose.ts';
import { parseTd1Input } from '../../src/domain/mrz/td1-input.ts';
import type { Sex } from '../../src/domain/personal-id.ts';
import type { JobPreparer, PreparedRecord, QaJudge } from '../../src/line/ports.ts';
import { encodeJob } from '../../src/plc/job-data.ts';
import type { BatchStore } from '../../src/store/batch-store.ts';
import { encodeDg1 } from '../model/chip.ts';

/** The MRZ lines a stored record's card must carry, composed from its decrypted fields. */
export async function recordMrz(batches: BatchStore, batchId: string, seq: number): Promise<Td1Lines> {
  const personal = await batches.recordPersonal(batchId, seq);
  if (personal.format === 'TD1') {
    // A generic TD1 document (template icao-td1-generic): its field set, stored with the store's key in pid.
    const { pid: _key, ...fields } = personal;
    const doc = parseTd1Input(fields);
    if (!doc.ok) throw new Error(`record ${seq} is not a valid TD1 field set`);
    return composeTd1(doc.value).lines;
  }
  const r = personal as { pid: string; fullName: string; birthDate: string; sex: Sex; issueDate: string };
  return composeVietnameseMrz({ pid: r.pid, fullName: r.fullName, birthDate: parsePartialDate(r.birthDate)!, sex: r.sex, issueDate: parseCivilDate(r.issueDate)! }).lines;
}

export class LightPreparer implements JobPreparer {
  prepared = 0;
  constructor(private readonly batches: BatchStore) {}

  async prepare(batchId: string, seq: number): Promise<PreparedRecord> {
    const lines = await recordMrz(this.batches, batchId, seq);
    this.prepared += 1;
    return {
      batchId,
      seq,
      mrz: lines,
      chipJob: encodeJob({ v: 1, kind: 'chip', files: [{ fid: '011E', data: Buffer.from([0x60, 0x03, 0x5c, 0x01, 0x61]) }, { fid: '0101', data: encodeDg1(lines) }] }),
      laserJob: encodeJob({ v: 1, kind: 'laser', sides: [{ side: 'front', mediaType: 'application/pdf', data: Buffer.from(`front ${seq}`) }, { side: 'back', mediaType: 'application/pdf', data: Buffer.from(lines.join('\n')) }], mrz: [...lines] }),
    };
  }
}

export const lightJudge: QaJudge = {
  judge(prepared, inspection) {
    const dg1 = inspection.chip?.files.find((f) => f.fid === '0101')?.data;
    if (!dg1) return Promise.resolve({ ok: false, code: 'CHIP_UNREADABLE', detail: 'no DG1 read' });
    if (!dg1.equals(encodeDg1(prepared.mrz))) return Promise.resolve({ ok: false, code: 'CHIP_DG1_MISMATCH', detail: 'DG1 differs' });
    if (inspection.ocrMrz?.join('') !== prepared.mrz.join('')) return Promise.resolve({ ok: false, code: 'MRZ_OCR_MISMATCH', detail: 'OCR differs' });
    if (inspection.printGrade < 2) return Promise.resolve({ ok: false, code: 'PRINT_GRADE_LOW', detail: `grade ${inspection.printGrade}` });
    return Promise.resolve({ ok: true });
  },
};

/**
 * What the controller's QA judge (src/line/prepare.ts, LdsQaJudge) hands on as the station's
 * figures (src/qa/measure.ts), on the TEST PKI's chip images: a good card measured in full, a
 * data group altered (its hash, and only its, no longer matches EF.SOD), a chip that did not answer,
 * a misread MRZ line and a low print grade; and the notes (figures-notes.ts) give each record's
 * figures to its verdict event once, nothing to another event.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fileOf, flipped, testCards, testSigner, withFile, type TestCard, type TestSigner } from '../../test/lds/fixtures.ts';
import type { LdsImage } from '../domain/lds/index.ts';
import { LdsQaJudge } from '../line/prepare.ts';
import type { PreparedRecord } from '../line/ports.ts';
import type { JobResult } from '../plc/job-data.ts';
import type { InspectionFigures } from './figures.ts';
import { InspectionNotes } from './figures-notes.ts';

let signer: TestSigner;
let adult: TestCard;
let image: LdsImage;

beforeAll(async () => {
  const [cards, s] = await Promise.all([testCards(), testSigner()]);
  signer = s;
  adult = cards.find((c) => c.label === 'aged 14–59')!;
  image = await signer.builder.build(adult.data.input);
});

const prepared = (): PreparedRecord => ({ batchId: 'B1', seq: 4, mrz: adult.data.mrz, dataGroups: [1, 2, 13], chipJob: Buffer.alloc(0), laserJob: Buffer.alloc(0) });

async function measure(inspection: Extract<JobResult, { kind: 'inspect' }>): Promise<{ figures: InspectionFigures; verdict: unknown }> {
  let figures: InspectionFigures | undefined;
  const judge = new LdsQaJudge({ csca: [signer.pki.csca.certificate], onFigures: (_record, f) => (figures = f) });
  const verdict = await judge.judge(prepared(), inspection);
  return { figures: figures!, verdict };
}

const inspect = (files: { fid: string; data: Buffer }[] | null, ocrMrz: [string, string, string] | null, printGrade: number): Extract<JobResult, { kind: 'inspect' }> => ({
  v: 1,
  kind: 'inspect',
  chip: files ? { files } : null,
  ocrMrz,
  printGrade,
});

describe('the QA station figures', () => {
  it('a good card: every measurement, and no personal data in them', async () => {
    const { figures, verdict } = await measure(inspect(image.files.map((f) => ({ fid: f.fid, data: Buffer.from(f.data) })), [...adult.data.mrz] as [string, string, string], 3.8));
    expect(verdict).toStrictEqual({ ok: true });
    expect(figures).toMatchObject({ v: 1, chipRead: true, dg1MatchesMrz: true, ocrMrzLinesMatch: [true, true, true], printGrade: 3.8, minPrintGrade: 2.5 });
    expect(figures.sod).toMatchObject({ signatureValid: true, chainValid: true, hashAlgorithm: '2.16.840.1.101.3.4.2.1' });
    expect(figures.sod?.signer?.subject).toMatch(/CN=TEST Document Signer/);
    expect(figures.files.map((f) => [f.name, f.ok, f.hashMatches])).toStrictEqual([
      ['EF.COM', true, null],
      ['DG1', true, true],
      ['DG2', true, true],
      ['DG13', true, true],
      ['EF.SOD', true, null],
    ]);
    const text = JSON.stringify(figures);
    for (const line of adult.data.mrz) expect(text).not.toContain(line);
    expect(text).not.toContain(adult.record.fullName);
  });

  it('an altered DG2: its hash alone differs; the verdict is the hash mismatch', async () => {
    const dg2 = fileOf(image, '0102');
    const { figures, verdict } = await measure(inspect(withFile(image, '0102', flipped(dg2, dg2.length - 3)), [...adult.data.mrz] as [string, string, string], 3.8));
    expect(verdict).toMatchObject({ ok: false, code: 'CHIP_HASH_MISMATCH' });
    expect(figures.files.filter((f) => f.hashMatches === false).map((f) => f.name)).toStrictEqual(['DG2']);
  });

  it('a silent chip, a misread MRZ line and a low grade are measured as such', async () => {
    const silent = await measure(inspect(null, null, 1.2));
    expect(silent.verdict).toMatchObject({ ok: false, code: 'CHIP_UNREADABLE' });
    expect(silent.figures).toMatchObject({ chipRead: false, files: [], sod: null, dg1MatchesMrz: null, ocrMrzLinesMatch: null, printGrade: 1.2 });
    const files = image.files.map((f) => ({ fid: f.fid, data: Buffer.from(f.data) }));
    const misread = await measure(inspect(files, [adult.data.mrz[0], `${adult.data.mrz[1].slice(0, -1)}X`, adult.data.mrz[2]], 3.8));
    expect(misread.verdict).toMatchObject({ ok: false, code: 'MRZ_OCR_MISMATCH' });
    expect(misread.figures.ocrMrzLinesMatch).toStrictEqual([true, false, true]);
    const low = await measure(inspect(files, [...adult.data.mrz] as [string, string, string], 1.5));
    expect(low.verdict).toMatchObject({ ok: false, code: 'PRINT_GRADE_LOW' });
    expect(low.figures.printGrade).toBe(1.5);
  });

  it('a record’s figures go to its verdict event, once', () => {
    const notes = new InspectionNotes();
    const figures = { v: 1, printGrade: 3.9 } as unknown as InspectionFigures;
    notes.put({ batchId: 'B1', seq: 4 }, figures);
    expect(notes.annotate({ op: 'event', event: 'qa.done', batchId: 'B1', seq: 4 })).toBeUndefined();
    expect(notes.annotate({ op: 'event', event: 'qa.passed', batchId: 'B1', seq: 5 })).toBeUndefined();
    expect(notes.annotate({ op: 'event', event: 'qa.passed', batchId: 'B1', seq: 4 })).toStrictEqual({ inspection: figures });
    expect(notes.annotate({ op: 'event', event: 'qa.failed', batchId: 'B1', seq: 4 })).toBeUndefined();
  });
});

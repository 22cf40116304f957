/**
 * Chip verification on worker threads gives the verdict the calling thread gives, on the TEST PKI's
 * good images and on tampered ones (test/lds/fixtures.ts); a thread that dies fails its jobs with a
 * ChipVerifierError naming how it died (none waits forever) and the next job gets a new thread; close()
 * lets the jobs in hand finish and refuses later ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileOf, flipped, testCards, testSigner, withFile, type TestCard, type TestSigner } from '../../../test/lds/fixtures.ts';
import { verifyLds, type LdsImage } from '../../domain/lds/index.ts';
import { LdsQaJudge } from '../../line/prepare.ts';
import type { PreparedRecord } from '../../line/ports.ts';
import type { JobResult } from '../../plc/job-data.ts';
import type { InspectionFigures } from '../figures.ts';
import { ChipVerifierError, ChipVerifierPool, verifyThreads } from './pool.ts';

let trusted: TestSigner;
let untrusted: TestSigner;
let adult: TestCard;
let child: TestCard;
let adultImage: LdsImage;
let childImage: LdsImage;
let csca: Buffer[];
const pools: ChipVerifierPool[] = [];

beforeAll(async () => {
  const [cards, t, u] = await Promise.all([testCards(), testSigner(), testSigner()]);
  [trusted, untrusted] = [t, u];
  adult = cards.find((c) => c.label === 'aged 14–59')!;
  child = cards.find((c) => c.label === 'aged 0–5')!;
  adultImage = await trusted.builder.build(adult.data.input);
  childImage = await trusted.builder.build(child.data.input);
  csca = [trusted.pki.csca.certificate];
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

function pool(options: { threads?: number; dying?: boolean } = {}): ChipVerifierPool {
  const p = new ChipVerifierPool({ csca, threads: options.threads ?? 1, ...(options.dying ? { entry: new URL('../../../test/helpers/dying-chip-verifier.ts', import.meta.url) } : {}) });
  pools.push(p);
  return p;
}

type Files = { fid: string; data: Buffer }[] | Map<string, Buffer>;

/** Good and tampered chips: what each fails on is verify.test.ts's business; here only that both threads agree. */
async function chips(): Promise<{ label: string; files: Files; mrz: readonly string[]; groups: number[] }[]> {
  const sod = fileOf(adultImage, '011D');
  const forged = await untrusted.builder.build(adult.data.input);
  const adultChip = (files: Files, label: string) => ({ label, files, mrz: adult.data.mrz, groups: [1, 2, 13] });
  return [
    adultChip(withFile(adultImage, '011E', fileOf(adultImage, '011E')), 'a good adult chip'),
    { label: 'a good child chip, as a Map', files: new Map(childImage.files.map((f) => [f.fid, f.data])), mrz: child.data.mrz, groups: [1, 13] },
    adultChip(withFile(adultImage, '0101', flipped(fileOf(adultImage, '0101'), 20)), 'DG1 altered'),
    adultChip(withFile(adultImage, '0102', flipped(fileOf(adultImage, '0102'), 200)), 'DG2 altered'),
    adultChip(withFile(adultImage, '011D', flipped(sod, sod.length - 3)), 'EF.SOD signature altered'),
    adultChip(withFile(adultImage, '010D', undefined), 'DG13 missing'),
    adultChip(childImage.files.map((f) => ({ fid: f.fid, data: f.data })), 'the child’s chip where the adult’s is expected'),
    adultChip(forged.files.map((f) => ({ fid: f.fid, data: f.data })), 'signed by an untrusted signer'),
  ];
}

describe('the verdict on a thread', () => {
  it('equals the calling thread’s, on good and tampered chips', async () => {
    const cases = await chips();
    const threads = pool({ threads: 2 });
    for (const c of cases) {
      const expectation = { expectedMrz: c.mrz, expectedDataGroups: c.groups };
      const [inThread, onThread] = await Promise.all([verifyLds(c.files, { csca, ...expectation }), threads.verify(c.files, expectation)]);
      expect(onThread, c.label).toStrictEqual(inThread);
    }
    const verdicts = await Promise.all(cases.map((c) => threads.verify(c.files, { expectedMrz: c.mrz, expectedDataGroups: c.groups })));
    expect(verdicts.map((v) => v.ok)).toStrictEqual([true, true, false, false, false, false, false, false]);
  });

  it('is the QA judge’s verdict and figures in a run (open) as outside one', async () => {
    const prepared: PreparedRecord = { batchId: 'B1', seq: 4, mrz: adult.data.mrz, dataGroups: [1, 2, 13], chipJob: Buffer.alloc(0), laserJob: Buffer.alloc(0) };
    const inspection = (files: { fid: string; data: Buffer }[]): Extract<JobResult, { kind: 'inspect' }> => ({ v: 1, kind: 'inspect', chip: { files }, ocrMrz: [...adult.data.mrz] as [string, string, string], printGrade: 3.6 });
    const judged = async (judge: LdsQaJudge, files: { fid: string; data: Buffer }[]): Promise<{ verdict: unknown; figures: InspectionFigures | undefined }> => {
      figures = undefined;
      const verdict = await judge.judge(prepared, inspection(files));
      return { verdict, figures };
    };
    let figures: InspectionFigures | undefined;
    const onFigures = (_record: unknown, f: InspectionFigures): void => {
      figures = f;
    };
    const inThread = new LdsQaJudge({ csca, onFigures });
    const onThread = new LdsQaJudge({ csca, onFigures, verifyThreads: 1 });
    onThread.open();
    try {
      for (const files of [
        withFile(adultImage, '011E', fileOf(adultImage, '011E')),
        withFile(adultImage, '0101', flipped(fileOf(adultImage, '0101'), 20)),
        withFile(adultImage, '010D', undefined),
      ]) {
        expect(await judged(onThread, files)).toStrictEqual(await judged(inThread, files));
      }
    } finally {
      await onThread.close();
    }
  });
});

describe('a thread that dies', () => {
  const good = (): { fid: string; data: Buffer }[] => withFile(adultImage, '011E', fileOf(adultImage, '011E'));

  it('fails every job it held with an error saying how it died; the next job gets a new thread', async () => {
    const threads = pool({ dying: true });
    const held = threads.verify(good(), {});
    const fatal = threads.verify([...good(), { fid: 'B00M', data: Buffer.from('x') }], {});
    await expect(fatal).rejects.toThrow(ChipVerifierError);
    await expect(fatal).rejects.toThrow(/the chip verification thread stopped \(exit code 1: a fault in the verification thread\) with 2 chip\(s\) unverified/);
    // The good job was sent first and may have been answered before the thread died.
    const first = await held.then(
      (v) => v.ok,
      (error: Error) => error.message,
    );
    expect([true, expect.stringMatching(/exit code 1/)]).toContainEqual(first);
    expect(await threads.verify(good(), { expectedMrz: adult.data.mrz })).toStrictEqual(await verifyLds(good(), { csca, expectedMrz: adult.data.mrz }));
  });

  it('that exits names its exit code', async () => {
    const threads = pool({ dying: true });
    await expect(threads.verify([{ fid: 'DEAD', data: Buffer.from('x') }], {})).rejects.toThrow(/thread stopped \(exit code 7\) with 1 chip\(s\) unverified; those cards have no QA verdict/);
  });
});

describe('closing', () => {
  it('lets the jobs in hand finish, then refuses new ones', async () => {
    const threads = pool();
    const inHand = threads.verify(adultImage.files, { expectedMrz: adult.data.mrz });
    await threads.close();
    expect((await inHand).ok).toBe(true);
    await expect(threads.verify(adultImage.files, {})).rejects.toThrow(/the chip verifier is closed/);
  });

  it('takes 1 or 2 threads', () => {
    expect(() => verifyThreads(3)).toThrow(/chip verification threads: 3; give a whole number from 1 to 2/);
    expect(() => new LdsQaJudge({ csca, verifyThreads: 0.5 })).toThrow(RangeError);
    expect(verifyThreads(2)).toBe(2);
  });
});

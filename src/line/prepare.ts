/**
 * The product's data preparation and QA judgement for the line controller (ports.ts):
 *
 * - RecordPreparer reads a record from the encrypted store and makes what the stations write: the
 *   laser job (both card sides rendered from the line's template on its card stock, and the MRZ),
 *   and the chip job (the signed LDS image — EF.COM, DG1, DG2 from age 6, DG13, EF.SOD — with the
 *   BAC document keys the chip answers with once locked). A `td1` template (icao-td1-generic) makes
 *   a generic TD1 document from a TD1 field set instead: DG1, DG2 with a portrait, no DG13.
 * - LdsQaJudge decides on what QA read back: the chip through BAC, verified (EF.SOD signature and
 *   Document Signer chain to the CSCA, every data group's hash, DG1 equal to the expected MRZ,
 *   exactly the expected data groups), the OCR'd MRZ equal to the expected one, and the print
 *   grade at or above the threshold. Verdict details never carry personal data.
 */
import { parseCivilDate, type CivilDate } from '../domain/dates.ts';
import { formatIssues } from '../domain/issues.ts';
import { documentKeysFromTd1 } from '../domain/bac/keys.ts';
import { cardChipData, type LdsInput } from '../domain/lds/card-data.ts';
import type { FaceImage } from '../domain/lds/dg2.ts';
import { composeTd1 } from '../domain/mrz/compose.ts';
import { parseTd1Input } from '../domain/mrz/td1-input.ts';
import { probeJpeg } from '../domain/image/jpeg.ts';
import type { LdsBuilder } from '../domain/lds/build.ts';
import { trustAnchors, verifyLds, type LdsVerdict, type TrustAnchors } from '../domain/lds/verify.ts';
import { validateRecord } from '../domain/record.ts';
import { encodeJob, type JobResult } from '../plc/job-data.ts';
import type { CardStock } from '../config/line-config.ts';
import { keepClearConflicts } from '../render/keep-clear.ts';
import { CardRenderer, laserJob, type RenderOptions } from '../render/renderer.ts';
import type { LoadedTemplate } from '../render/template/load.ts';
import type { BatchStore } from '../store/batch-store.ts';
import type { InspectionFigures } from '../qa/figures.ts';
import { inspectionFigures } from '../qa/measure.ts';
import { ChipVerifierPool, verifyThreads, type ChipExpectation } from '../qa/chip-verifier/pool.ts';
import type { JobPreparer, PreparedRecord, QaJudge, QaVerdict } from './ports.ts';

export class PreparationError extends Error {
  override name = 'PreparationError';
}

export interface RecordPreparerOptions {
  /** The card template (the line file's `template`); default vn-cancuoc-2024. */
  readonly template?: string;
  /** The line's card stock: a pre-printed body gets the personal layer only; a chip module's area stays blank. */
  readonly cardStock?: CardStock;
}

/** What the laser job of a card on this stock carries (previews and proofs always show every layer). */
export function laserRenderOptions(stock: CardStock | undefined): Pick<RenderOptions, 'layers' | 'keepClear'> {
  return {
    layers: stock?.prePrinted ? 'personal' : 'all',
    keepClear: stock?.chipModule ? [stock.chipModule] : [],
  };
}

/** Throws PreparationError when the laser job of `template` would engrave on the stock's chip module. */
export function checkTemplateForStock(template: LoadedTemplate, stock: CardStock | undefined): void {
  const laser = laserRenderOptions(stock);
  const conflicts = keepClearConflicts(template, laser.keepClear ?? [], laser.layers);
  const m = stock?.chipModule;
  if (conflicts.length === 0 || !m) return;
  const mm = (n: number): string => String(+n.toFixed(2));
  throw new PreparationError(
    `template ${template.name} engraves where the card stock's chip module is (${m.side}, x ${mm(m.x)}–${mm(m.x + m.width)} mm, y ${mm(m.y)}–${mm(m.y + m.height)} mm): ` +
      `${conflicts.join('; ')}; move those elements in the template, or correct cardStock.chipModule in the line file`,
  );
}

export class RecordPreparer implements JobPreparer {
  constructor(
    private readonly batches: BatchStore,
    private readonly lds: LdsBuilder,
    private readonly renderer: CardRenderer = new CardRenderer(),
    private readonly options: RecordPreparerOptions = {},
  ) {
    // Checked before the first card: a template that does not exist or puts ink on the chip
    // module would otherwise fail (or spoil) every card of the run.
    checkTemplateForStock(renderer.template(options.template), options.cardStock);
  }

  async prepare(batchId: string, seq: number): Promise<PreparedRecord> {
    const [personal, portrait] = await Promise.all([this.batches.recordPersonal(batchId, seq), this.batches.recordPortrait(batchId, seq)]);
    const fail = (message: string): PreparationError => new PreparationError(`record ${seq} of batch ${batchId}: ${message}`);
    const card = this.renderer.template(this.options.template).input === 'td1' ? td1Card(personal, portrait, fail) : vnCard(personal, portrait, fail);
    const bac = documentKeysFromTd1(card.lds.mrz);
    if (!bac) throw fail('the composed MRZ gives no BAC keys');
    const [image, rendered] = await Promise.all([
      this.lds.build(card.lds),
      this.renderer.renderCard(
        { record: card.record, portrait },
        { ...(this.options.template ? { template: this.options.template } : {}), ...(card.today ? { today: card.today } : {}), ...laserRenderOptions(this.options.cardStock) },
      ),
    ]);
    const [l1, l2, l3] = card.lds.mrz;
    return {
      batchId,
      seq,
      mrz: [l1!, l2!, l3!],
      dataGroups: [1, ...(card.lds.face ? [2] : []), ...(card.lds.nationalData ? [13] : [])],
      chipJob: encodeJob({ v: 1, kind: 'chip', files: image.files.map((f) => ({ fid: f.fid, data: f.data })), bac: { kEnc: bac.kEnc, kMac: bac.kMac } }),
      laserJob: encodeJob(laserJob(rendered)),
    };
  }
}

/**
 * The renderer's input for a stored record under `template`: the record, or for a td1 template
 * the TD1 field set without the store's key (`pid` is not part of the document).
 */
export function cardRecord(template: LoadedTemplate, personal: Record<string, unknown>): Record<string, unknown> {
  return template.input === 'td1' ? td1Fields(personal) : personal;
}

function td1Fields(personal: Record<string, unknown>): Record<string, unknown> {
  const { pid: _key, ...fields } = personal;
  return fields;
}

/** One card's inputs: what the renderer and the LDS builder get. */
interface CardSource {
  readonly record: unknown;
  readonly lds: LdsInput;
  /** The day validation takes as today (the issue date of a căn cước). */
  readonly today?: CivilDate;
}

/** A căn cước from a personalization record: DG1, DG2 from age 6, DG13. */
function vnCard(personal: Record<string, unknown>, portrait: Buffer | undefined, fail: (m: string) => PreparationError): CardSource {
  const issueDate = parseCivilDate(String(personal.issueDate));
  // The record was validated at import; checking again "as of" its issue date keeps a batch
  // imported today valid when it is produced later (no rule here depends on the run's date).
  const checked = validateRecord(personal, { portraitRules: false, ...(issueDate ? { today: issueDate } : {}) });
  if (!checked.ok) throw fail(formatIssues(checked.issues));
  const record = checked.value.record;
  try {
    return { record, lds: cardChipData(record, portrait).input, ...(issueDate ? { today: issueDate } : {}) };
  } catch (error) {
    throw fail((error as Error).message.replace(/^cardChipData: /, ''));
  }
}

/**
 * A generic ICAO TD1 document (template input `td1`) from its field set (docs/mrz.md; stored with
 * the batch store's key in `pid`, which is not part of the document): DG1 and, with a portrait,
 * DG2 — no national data group.
 */
function td1Card(personal: Record<string, unknown>, portrait: Buffer | undefined, fail: (m: string) => PreparationError): CardSource {
  const fields = td1Fields(personal);
  const parsed = parseTd1Input(fields);
  if (!parsed.ok) throw fail(formatIssues(parsed.issues));
  const doc = parsed.value;
  let face: FaceImage | undefined;
  if (portrait !== undefined) {
    const probe = probeJpeg(portrait);
    if (!probe.ok) throw fail(`portrait: ${probe.reason}`);
    face = { jpeg: portrait, width: probe.width, height: probe.height, gender: doc.sex === 'M' ? 'male' : doc.sex === 'F' ? 'female' : 'unspecified' };
  }
  return { record: fields, lds: { mrz: composeTd1(doc).lines, ...(face ? { face } : {}) } };
}

export interface LdsQaJudgeOptions {
  /** Trusted CSCA certificates (DER). */
  readonly csca: readonly Uint8Array[];
  /** The lowest print grade QA passes (ISO/IEC 15415 scale 0–4); default 2.5 (grade B−). */
  readonly minPrintGrade?: number;
  /** Gets what was measured at each judgement (src/qa/figures-notes.ts keeps it with the verdict). */
  readonly onFigures?: (record: { readonly batchId: string; readonly seq: number }, figures: InspectionFigures) => void;
  /**
   * Threads verifying the chips during a run (between open() and close()): 1 (default) or 2; 0
   * verifies on the calling thread, as every judgement outside a run does.
   */
  readonly verifyThreads?: number;
}

export const DEFAULT_MIN_PRINT_GRADE = 2.5;

export class LdsQaJudge implements QaJudge {
  private readonly minGrade: number;
  /** The trusted CSCAs parsed once, not for every card. */
  private readonly anchors: TrustAnchors;
  /** The chip verification threads while runs are open (a session's lines may share a judge). */
  private pool: ChipVerifierPool | undefined;
  private openRuns = 0;

  constructor(private readonly options: LdsQaJudgeOptions) {
    this.minGrade = options.minPrintGrade ?? DEFAULT_MIN_PRINT_GRADE;
    this.anchors = trustAnchors(options.csca);
    // Checked here, not when the first run opens the pool.
    if (options.verifyThreads !== undefined && options.verifyThreads !== 0) verifyThreads(options.verifyThreads);
  }

  /** A run starts: its chips are verified on the judge's threads, off the controller's event loop. */
  open(): void {
    this.openRuns += 1;
    if (this.pool || this.options.verifyThreads === 0) return;
    this.pool = new ChipVerifierPool({ csca: this.options.csca, threads: this.options.verifyThreads ?? 1 });
    this.pool.warm();
  }

  /** A run ended: the last one open lets its verifications finish and stops the threads. */
  async close(): Promise<void> {
    if (this.openRuns === 0) return;
    this.openRuns -= 1;
    const pool = this.pool;
    if (this.openRuns > 0 || !pool) return;
    this.pool = undefined;
    await pool.close();
  }

  async judge(prepared: PreparedRecord, inspection: Extract<JobResult, { kind: 'inspect' }>): Promise<QaVerdict> {
    const verdict = inspection.chip ? await this.verify(inspection.chip.files, { expectedMrz: prepared.mrz, ...(prepared.dataGroups ? { expectedDataGroups: prepared.dataGroups } : {}) }) : undefined;
    this.options.onFigures?.(prepared, inspectionFigures(inspection, verdict, prepared.mrz, this.minGrade));
    if (!verdict) return { ok: false, code: 'CHIP_UNREADABLE', detail: 'the chip did not answer BAC with the keys of the engraved MRZ' };
    if (!verdict.ok) {
      const problems = verdict.problems.join('; ');
      const missing = verdict.files.some((f) => f.problems.some((p) => /missing/i.test(p)));
      if (verdict.dg1Mrz !== null && verdict.dg1Mrz.join('') !== prepared.mrz.join('')) return { ok: false, code: 'CHIP_DG1_MISMATCH', detail: problems };
      if (missing) return { ok: false, code: 'CHIP_FILE_MISSING', detail: problems };
      if (verdict.sod.signatureValid === false || verdict.sod.chainValid === false) return { ok: false, code: 'CHIP_SIGNATURE_INVALID', detail: problems };
      return { ok: false, code: 'CHIP_HASH_MISMATCH', detail: problems };
    }
    if (inspection.ocrMrz === null) return { ok: false, code: 'MRZ_OCR_MISMATCH', detail: 'QA read no MRZ on the card' };
    const differing = inspection.ocrMrz.flatMap((line, i) => (line === prepared.mrz[i] ? [] : [i + 1]));
    if (differing.length > 0) return { ok: false, code: 'MRZ_OCR_MISMATCH', detail: `MRZ line ${differing.join(', ')} as read differs from the expected line` };
    if (inspection.printGrade < this.minGrade) return { ok: false, code: 'PRINT_GRADE_LOW', detail: `print grade ${inspection.printGrade} < ${this.minGrade}` };
    return { ok: true };
  }

  private verify(files: readonly { fid: string; data: Buffer }[], expectation: ChipExpectation): Promise<LdsVerdict> {
    return this.pool ? this.pool.verify(files, expectation) : verifyLds(files, { csca: this.anchors, ...expectation });
  }
}

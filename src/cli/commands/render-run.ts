/**
 * What `cardline render` does (render.ts registers the command and loads this on use): laser jobs
 * (one PDF per card side), optional PNG previews for the QA screen and an optional A4 proof sheet,
 * for one record file or for every record of an imported batch. Files are named by the record
 * file's name or the batch seq, never by personal data.
 */
import { createWriteStream, existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { formatIssues } from '../../domain/issues.ts';
import { CardRenderer, DEFAULT_TEMPLATE, pdfToPng, ProofSheet, RenderInputError, TemplateError, type CardInput, type RenderedCard } from '../../render/index.ts';
import { MAX_DPI, MIN_DPI } from '../../render/raster.ts';
import { DEFAULT_TEMPLATES_DIR } from '../../render/template/load.ts';
import { appendAudit } from '../../store/audit.ts';
import { DecryptError } from '../../store/keys.ts';
import { PurgeStore } from '../../store/purge-store.ts';
import { withContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeError } from '../io.ts';
import { progressLine } from '../progress.ts';

import { DEFAULT_TD1_TEMPLATE, type RenderCommandOptions } from './render.ts';

/** Batch statuses whose records are complete: an import still running or failed has none to render. */
const UNRENDERABLE_STATUSES = new Set(['importing', 'failed']);

export interface RenderSummary {
  /** Cards whose laser job was written. */
  readonly rendered: number;
  /** Batch records that could not be rendered (their problems were printed). */
  readonly failed: number;
  readonly files: readonly string[];
  readonly warnings: number;
}

interface Job {
  /** File name stem and proof label: never personal data. */
  readonly name: string;
  readonly label: string;
  readonly input: CardInput;
  readonly template: string | undefined;
}

function parseDpi(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < MIN_DPI || Number(value) > MAX_DPI) {
    throw new CliError(`--png must be a whole number of dots per inch from ${MIN_DPI} to ${MAX_DPI}, got '${value}'`);
  }
  return Number(value);
}

/** Reads a `--record` file: a personalization record or a TD1 field set, its `portrait` path relative to the file. */
export async function readRecordFile(file: string): Promise<{ input: CardInput; td1: boolean }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let record: unknown;
  try {
    record = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new CliError(`${file}: must hold one JSON object (a personalization record, docs/record-format.md, or a TD1 field set, docs/mrz.md)`);
  }
  const fields = record as Record<string, unknown>;
  const td1 = fields.format === 'TD1';
  const portraitPath = fields.portrait;
  if (portraitPath === undefined || portraitPath === null || portraitPath === '') return { input: { record: fields }, td1 };
  if (typeof portraitPath !== 'string') throw new CliError(`${file}: portrait: must be the path of a JPEG file, relative to the record file`);
  const resolved = path.resolve(path.dirname(file), portraitPath);
  let portrait: Buffer;
  try {
    portrait = await readFile(resolved);
  } catch (error) {
    throw new CliError(`${file}: portrait: cannot read ${resolved}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  // The TD1 field set has no portrait key (its schema is strict); the record schema has one.
  if (td1) {
    const { portrait: _path, ...rest } = fields;
    return { input: { record: rest, portrait }, td1 };
  }
  return { input: { record: fields, portrait }, td1 };
}

export async function runRender(options: RenderCommandOptions): Promise<RenderSummary> {
  if ((options.record === undefined) === (options.batch === undefined)) throw new CliError('give exactly one of --record FILE and --batch ID');
  const dpi = parseDpi(options.png);
  const renderer = new CardRenderer();
  const templates = readdirSync(DEFAULT_TEMPLATES_DIR).filter((d) => existsSync(path.join(DEFAULT_TEMPLATES_DIR, d, 'template.json')));
  if (options.template !== undefined && !templates.includes(options.template)) {
    throw new CliError(`--template ${options.template}: no such template; the templates are ${templates.join(', ')} (folders under templates/)`);
  }
  try {
    renderer.template(options.template ?? DEFAULT_TEMPLATE);
  } catch (error) {
    if (error instanceof TemplateError) throw new CliError(error.message);
    throw error;
  }
  // Laser jobs and previews carry personal data: the folder 0700 and each file 0600 (docs/security.md).
  await mkdir(options.out, { recursive: true, mode: 0o700 });
  const writer = new OutputWriter(renderer, options.out, dpi, options.proof ? (options.batch ?? path.basename(options.record!)) : undefined);

  if (options.record !== undefined) {
    const { input, td1 } = await readRecordFile(options.record);
    const name = path.basename(options.record).replace(/\.[^.]*$/, '') || 'card';
    const template = options.template ?? (td1 ? DEFAULT_TD1_TEMPLATE : DEFAULT_TEMPLATE);
    try {
      await writer.card({ name, label: name, input, template });
    } catch (error) {
      if (error instanceof RenderInputError) throw new CliError(`${options.record}: ${formatIssues(error.issues)}`);
      throw error;
    }
    return writer.end();
  }

  const batchId = options.batch!;
  return withContext({ permissions: ['batch.export'], what: 'render a batch (every citizen of it decrypted into files)' }, async (ctx) => {
    const batch = await ctx.batches.getBatch(batchId);
    if (!batch) throw new CliError(`batch ${batchId} does not exist (cardline batch list shows the batches)`);
    if (UNRENDERABLE_STATUSES.has(batch.status)) throw new CliError(`batch ${batchId} is ${batch.status}: it has no complete set of records to render`);
    if (batch.purgedAt) throw new CliError(`batch ${batchId} was purged on ${batch.purgedAt.toISOString().slice(0, 10)}: its personal data is gone, there is nothing to render`);
    // Rendering a batch decrypts every citizen of it: an export of personal data, audited before it starts.
    await appendAudit(ctx.db, {
      actor: ctx.actor,
      action: 'batch.exported',
      subjectType: 'batch',
      subjectId: batchId,
      details: { kind: 'render', out: path.resolve(options.out), proof: options.proof ?? false, png: options.png !== undefined },
    });
    const progress = progressLine('render');
    try {
      for await (const { seq, personal, portrait } of ctx.batches.batchRecords(batchId)) {
        const name = `seq-${String(seq).padStart(6, '0')}`;
        try {
          await writer.card({ name, label: `${batchId} seq ${seq}`, input: { record: personal, portrait }, template: options.template });
        } catch (error) {
          if (!(error instanceof RenderInputError)) throw error;
          // Named by seq and field only: the values are personal data.
          writeError(`seq ${seq}: not rendered: ${formatIssues(error.issues)}`);
          writer.failed++;
        }
        progress.update(`${writer.rendered} rendered, ${writer.failed} failed`);
      }
    } catch (error) {
      // A record that does not decrypt (altered in the database): named, no stack trace.
      if (error instanceof DecryptError) throw new CliError(`batch ${batchId}: ${error.message}`, EXIT.invalid);
      throw error;
    } finally {
      progress.done();
    }
    if (writer.rendered + writer.failed === 0) throw new CliError(`batch ${batchId} has no records`);
    const summary = await writer.end();
    // So that the batch's purge finds these files again (src/retention/purge.ts).
    await new PurgeStore(ctx.db).recordOutput(batchId, 'render', path.resolve(options.out), summary.files.map((f) => path.basename(f)));
    return summary;
  });
}

/** Writes each card's files as it is rendered, and the proof sheet (streamed) as its pages fill. */
class OutputWriter {
  rendered = 0;
  failed = 0;
  warnings = 0;
  readonly files: string[] = [];
  private proof: { sheet: ProofSheet; done: Promise<void>; file: string } | undefined;

  constructor(
    private readonly renderer: CardRenderer,
    private readonly out: string,
    private readonly dpi: number | undefined,
    private readonly proofTitle: string | undefined,
  ) {}

  /** Opened with the first card, so a batch with nothing rendered leaves no empty proof file. */
  private proofSheet(): ProofSheet | undefined {
    if (this.proofTitle === undefined) return undefined;
    if (!this.proof) {
      const file = path.join(this.out, 'proof.pdf');
      const stream = createWriteStream(file, { mode: 0o600 });
      this.proof = { sheet: new ProofSheet(this.proofTitle, stream), done: finished(stream), file };
    }
    return this.proof.sheet;
  }

  async card(job: Job): Promise<void> {
    const card: RenderedCard = await this.renderer.renderCard(job.input, job.template === undefined ? {} : { template: job.template });
    for (const side of ['front', 'back'] as const) {
      const pdf = path.join(this.out, `${job.name}-${side}.pdf`);
      await writeFile(pdf, card[side], { mode: 0o600 });
      this.files.push(pdf);
      if (this.dpi !== undefined) {
        const png = path.join(this.out, `${job.name}-${side}.png`);
        await writeFile(png, await pdfToPng(card[side], this.dpi), { mode: 0o600 });
        this.files.push(png);
      }
    }
    for (const warning of card.warnings) writeError(`warning: ${job.label}: ${warning.message}`);
    this.warnings += card.warnings.length;
    this.proofSheet()?.add({ label: job.label, layout: card.layout });
    this.rendered++;
  }

  async end(): Promise<RenderSummary> {
    if (this.proof) {
      await this.proof.sheet.end();
      await this.proof.done;
      this.files.push(this.proof.file);
    }
    return { rendered: this.rendered, failed: this.failed, files: this.files, warnings: this.warnings };
  }
}


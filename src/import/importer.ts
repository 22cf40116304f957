/**
 * Batch import: streams a batch file, validates every record, stores the valid ones in a new
 * batch (in chunks, each one transaction) and writes the others to the quarantine report.
 * Memory stays bounded whatever the file size: one chunk of records and its portraits are in
 * memory at a time, duplicates are found through the store's index, and the report is
 * streamed to disk.
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CivilDate } from '../domain/dates.ts';
import type { FieldIssue } from '../domain/issues.ts';
import { PORTRAIT_MIN_HEIGHT, PORTRAIT_MIN_WIDTH, RECORD_FIELDS, validateRecord, type ValidatedRecord } from '../domain/record.ts';
import type { BatchStore, NewRecord } from '../store/batch-store.ts';
import { probeJpeg } from './jpeg.ts';
import { QuarantineReport } from './quarantine-report.ts';
import { detectFormat, readRecordFile, type ReaderEvent, type RecordFormat } from './record-reader.ts';

export interface ImportOptions {
  readonly file: string;
  readonly store: BatchStore;
  readonly reportDir: string;
  readonly actor: string;
  readonly name?: string;
  readonly today?: CivilDate;
  /** Records per store transaction. */
  readonly chunkSize?: number;
  readonly onProgress?: (progress: { read: number; accepted: number; quarantined: number }) => void;
}

export interface ImportSummary {
  readonly batchId: string;
  readonly format: RecordFormat;
  readonly accepted: number;
  readonly quarantined: number;
  /** Accepted records whose name had to be shortened for the MRZ. */
  readonly namesShortened: number;
  readonly reportPath: string;
  readonly reportTextPath: string;
}

/** A problem with the file as a whole (it cannot be read, or its CSV header is unusable). */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

const DEFAULT_CHUNK = 1000;
const PORTRAIT_MAX_BYTES = 2 * 1024 * 1024;
const KNOWN_FIELDS = new Set<string>(RECORD_FIELDS);

/** A report entry waiting for its window: a rejected record, or a warning on an accepted one. */
interface HeldEntry {
  readonly line: number;
  readonly issues: readonly FieldIssue[];
  readonly warning?: boolean;
}

interface Pending {
  readonly line: number;
  readonly value: ValidatedRecord;
  portraitPath?: string;
  portrait?: Buffer;
}

export async function importBatch(options: ImportOptions): Promise<ImportSummary> {
  const file = options.file;
  const format = await sniffFormat(file);
  const events = readRecordFile(file, format);
  // The CSV header is checked before a batch exists: a wrong column name is the file's fault,
  // and quarantining every record for it would only bury the one real message.
  const first = await events.next();
  if (!first.done && first.value.kind === 'header') checkHeader(file, first.value.line, first.value.columns);

  const batch = await options.store.createBatch({
    name: options.name ?? path.basename(file),
    sourceFile: file,
    actor: options.actor,
  });
  const report = await QuarantineReport.create(options.reportDir, batch.id, file);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const baseDir = path.dirname(path.resolve(file));
  let read = 0;
  let accepted = 0;
  let namesShortened = 0;
  let nextSeq = 1;
  let chunk: Pending[] = [];
  // Rejections wait for their window to close, so the report lists them in line order even
  // though duplicates and portrait problems are only found when the chunk is stored.
  let held: HeldEntry[] = [];
  const reject = (line: number, issues: readonly FieldIssue[]): void => {
    held.push({ line, issues });
  };

  const flush = async (): Promise<void> => {
    const pending = chunk;
    chunk = [];
    if (pending.length > 0) await store(pending);
    const windowEntries = held.sort((a, b) => a.line - b.line);
    held = [];
    for (const r of windowEntries) {
      if (r.warning) report.warn(r.line, r.issues[0]!.field, r.issues[0]!.message);
      else report.reject(r.line, r.issues);
    }
    await report.drain();
    options.onProgress?.({ read, accepted, quarantined: report.rejected });
  };

  const store = async (pending: Pending[]): Promise<void> => {
    await loadPortraits(pending, baseDir, reject);
    const ready = pending.filter((p) => p.portraitPath === undefined || p.portrait !== undefined);
    const records: NewRecord[] = ready.map((p) => ({
      seq: nextSeq++,
      lineNo: p.line,
      pid: p.value.record.pid,
      cardVariant: p.value.facts.variant,
      personal: personalFields(p.value),
      ...(p.portrait ? { portrait: p.portrait } : {}),
    }));
    const result = await options.store.addRecords(batch.id, records);
    accepted += result.accepted.length;
    for (const duplicate of result.duplicates) reject(duplicate.lineNo, [{ field: 'pid', message: duplicate.reason }]);
    const acceptedSeqs = new Set(result.accepted);
    records.forEach((r, i) => {
      if (acceptedSeqs.has(r.seq) && ready[i]!.value.facts.nameShortened) {
        namesShortened += 1;
        held.push({ line: r.lineNo, warning: true, issues: [{ field: 'fullName', message: 'shortened in the MRZ (initials or cut): check the name line' }] });
      }
    });
  };

  const validation = { portraitRules: true, ...(options.today ? { today: options.today } : {}) };
  try {
    const handle = async (event: ReaderEvent): Promise<void> => {
      if (event.kind === 'header') return;
      read += 1;
      if (event.kind === 'error') {
        reject(event.line, [{ field: '(line)', message: event.message }]);
      } else {
        const checked = validateRecord(event.fields, validation);
        if (!checked.ok) {
          reject(event.line, checked.issues);
        } else {
          const portraitPath = checked.value.record.portrait;
          chunk.push({ line: event.line, value: checked.value, ...(portraitPath ? { portraitPath } : {}) });
        }
      }
      if (chunk.length >= chunkSize || held.length >= chunkSize) await flush();
    };
    if (!first.done) await handle(first.value);
    for await (const event of events) await handle(event);
    await flush();
  } catch (error) {
    await report.close({ accepted, status: 'failed' }).catch(() => undefined);
    await options.store.failImport(batch.id, describeFailure(error), options.actor);
    throw error;
  }

  const paths = await report.close({ accepted, status: accepted > 0 ? 'imported' : 'failed' });
  if (accepted > 0) {
    await options.store.finishImport(batch.id, {
      accepted,
      quarantined: report.rejected,
      reportPath: paths.json,
      actor: options.actor,
    });
  } else {
    await options.store.failImport(batch.id, 'no record was accepted', options.actor);
  }
  return {
    batchId: batch.id,
    format,
    accepted,
    quarantined: report.rejected,
    namesShortened,
    reportPath: paths.json,
    reportTextPath: paths.text,
  };
}

async function sniffFormat(file: string): Promise<RecordFormat> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new ImportFileError(`cannot open ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(4096), position: 0 });
    return detectFormat(file, buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

function checkHeader(file: string, line: number, columns: readonly string[]): void {
  const unknown = columns.filter((c) => !KNOWN_FIELDS.has(c));
  const seen = new Set<string>();
  const repeated = columns.filter((c) => (seen.has(c) ? true : (seen.add(c), false)));
  const problems: string[] = [];
  if (unknown.length > 0) problems.push(`unknown column ${unknown.map((c) => JSON.stringify(c)).join(', ')}`);
  if (repeated.length > 0) problems.push(`repeated column ${[...new Set(repeated)].map((c) => JSON.stringify(c)).join(', ')}`);
  if (problems.length > 0) {
    throw new ImportFileError(
      `${file} line ${line}: ${problems.join('; ')} in the CSV header; the columns are ${RECORD_FIELDS.join(', ')} (docs/record-format.md)`,
    );
  }
}

/** Reads and checks the chunk's portraits concurrently; a bad one quarantines its record. */
async function loadPortraits(
  pending: Pending[],
  baseDir: string,
  reject: (line: number, issues: readonly FieldIssue[]) => void,
): Promise<void> {
  const CONCURRENCY = 16;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pending.length) {
      const p = pending[next++]!;
      if (p.portraitPath === undefined) continue;
      const result = await readPortrait(baseDir, p.portraitPath);
      if (result.ok) p.portrait = result.data;
      else reject(p.line, [result.issue]);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

type PortraitResult = { ok: true; data: Buffer } | { ok: false; issue: FieldIssue };

async function readPortrait(baseDir: string, relative: string): Promise<PortraitResult> {
  const fail = (message: string): PortraitResult => ({ ok: false, issue: { field: 'portrait', message } });
  if (path.isAbsolute(relative)) return fail('must be a path relative to the batch file');
  const full = path.resolve(baseDir, relative);
  if (full !== baseDir && !full.startsWith(baseDir + path.sep)) return fail("must stay inside the batch file's folder");
  let data: Buffer;
  try {
    data = await readFile(full);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? 'error'})`);
  }
  if (data.length > PORTRAIT_MAX_BYTES) return fail(`is larger than ${PORTRAIT_MAX_BYTES / 1024 / 1024} MiB`);
  const probe = probeJpeg(data);
  if (!probe.ok) return fail(`is not a usable JPEG: ${probe.reason}`);
  if (probe.width < PORTRAIT_MIN_WIDTH || probe.height < PORTRAIT_MIN_HEIGHT) {
    return fail(`is ${probe.width} × ${probe.height} px; at least ${PORTRAIT_MIN_WIDTH} × ${PORTRAIT_MIN_HEIGHT} (width × height) is required`);
  }
  return { ok: true, data };
}

/** What goes into the encrypted payload: the normalized record without the portrait path. */
function personalFields(value: ValidatedRecord): Record<string, unknown> {
  const { portrait: _path, ...fields } = value.record;
  return fields;
}

function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}

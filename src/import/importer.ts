/**
 * Batch import: streams a batch file, validates every record, stores the valid ones in a new
 * batch (in chunks, each one transaction) and writes the others to the quarantine report.
 * Memory stays bounded whatever the file size: one chunk of records and its portraits are in
 * memory at a time, duplicates are found through the store's index, and the report is
 * streamed to disk.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { CivilDate } from '../domain/dates.ts';
import { resolveDeliveryOffice, UNSORTED } from '../domain/delivery-office.ts';
import type { FieldIssue } from '../domain/issues.ts';
import {
  PORTRAIT_MIN_HEIGHT,
  PORTRAIT_MIN_WIDTH,
  RECORD_FIELDS,
  validateRecord,
  type RecordRuleOptions,
  type ValidatedRecord,
} from '../domain/record.ts';
import { addressReformNotes, issuedAfterReform } from '../domain/provinces-2025.ts';
import type { BatchStore, NewRecord } from '../store/batch-store.ts';
import { probeJpeg } from '../domain/image/jpeg.ts';
import { QuarantineReport, type ReportLimits } from './quarantine-report.ts';
import { detectFormat, readRecordFile, type ReaderEvent, type RecordFormat } from './record-reader.ts';

export interface ImportOptions {
  readonly file: string;
  readonly store: BatchStore;
  readonly reportDir: string;
  readonly actor: string;
  readonly name?: string;
  /** What the batch records as its source when the file is a temporary copy (an upload): `upload:<name>`. */
  readonly sourceLabel?: string;
  readonly today?: CivilDate;
  /** Records per store transaction. */
  readonly chunkSize?: number;
  readonly onProgress?: (progress: { read: number; accepted: number; quarantined: number }) => void;
  /** Caps of the quarantine report (quarantine-report.ts has the defaults). */
  readonly reportLimits?: ReportLimits;
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
    sourceFile: options.sourceLabel ?? file,
    actor: options.actor,
  });
  const report = await QuarantineReport.create(options.reportDir, batch.id, file, options.reportLimits);
  const run = new ImportRun(options, batch.id, report, new PortraitFolder(path.dirname(path.resolve(file))));
  try {
    if (!first.done) await run.add(first.value);
    for await (const event of events) await run.add(event);
    await run.finish();
  } catch (error) {
    await run.abandon();
    await report.close({ accepted: run.accepted, status: 'failed' }).catch(() => undefined);
    await options.store.failImport(batch.id, describeFailure(error), options.actor);
    throw error;
  }

  const accepted = run.accepted;
  const paths = await report.close({ accepted, status: accepted > 0 ? 'imported' : 'failed', auditHead: await options.store.auditHead() });
  if (accepted > 0) {
    await options.store.finishImport(batch.id, { accepted, quarantined: report.rejected, reportPath: paths.json, actor: options.actor });
  } else {
    await options.store.failImport(batch.id, 'no record was accepted', options.actor);
  }
  return {
    batchId: batch.id,
    format,
    accepted,
    quarantined: report.rejected,
    namesShortened: run.namesShortened,
    reportPath: paths.json,
    reportTextPath: paths.text,
  };
}

/**
 * A window of the file: the valid records of one chunk and the report entries found while reading
 * it. Entries wait for their window to be stored, so the report lists them in line order although
 * duplicates and portrait problems only come to light when the chunk is stored.
 */
class Window {
  readonly records: Pending[] = [];
  readonly entries: HeldEntry[] = [];

  reject(line: number, issues: readonly FieldIssue[]): void {
    this.entries.push({ line, issues });
  }

  warn(line: number, field: string, message: string): void {
    this.entries.push({ line, issues: [{ field, message }], warning: true });
  }
}

class ImportRun {
  accepted = 0;
  namesShortened = 0;
  private read = 0;
  private nextSeq = 1;
  private window = new Window();
  private storing: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  private readonly chunkSize: number;
  private readonly validation: RecordRuleOptions;

  constructor(
    private readonly options: ImportOptions,
    private readonly batchId: string,
    private readonly report: QuarantineReport,
    private readonly portraits: PortraitFolder,
  ) {
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
    this.validation = { portraitRules: true, ...(options.today ? { today: options.today } : {}) };
  }

  async add(event: ReaderEvent): Promise<void> {
    if (event.kind === 'header') return;
    this.read += 1;
    if (event.kind === 'error') {
      this.window.reject(event.line, [{ field: '(line)', message: event.message }]);
    } else {
      const checked = validateRecord(event.fields, this.validation);
      if (!checked.ok) {
        this.window.reject(event.line, checked.issues);
      } else {
        const portraitPath = checked.value.record.portrait;
        this.window.records.push({ line: event.line, value: checked.value, ...(portraitPath ? { portraitPath } : {}) });
      }
    }
    if (this.window.records.length >= this.chunkSize || this.window.entries.length >= this.chunkSize) await this.closeWindow();
  }

  async finish(): Promise<void> {
    await this.closeWindow();
    await this.storing;
    this.throwIfFailed();
  }

  /** After a failure: let the chunk in flight settle before the batch is marked failed. */
  async abandon(): Promise<void> {
    await this.storing;
  }

  /**
   * Hands the window to the store and returns once the previous one is stored. Storing a window
   * thus overlaps with reading and validating the next, while only one is ever in the store:
   * chunks commit in file order, so of two records with the same PID the later line is the
   * duplicate, on SQLite and PostgreSQL alike.
   */
  private async closeWindow(): Promise<void> {
    const window = this.window;
    this.window = new Window();
    await this.storing;
    this.throwIfFailed();
    // A rejection is kept, not left unhandled: the next window (or finish) reports it.
    this.storing = this.store(window).catch((error: unknown) => {
      this.failure = { error };
    });
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private async store(window: Window): Promise<void> {
    if (window.records.length > 0) {
      loadPortraits(window.records, this.portraits, window);
      const ready = window.records.filter((p) => p.portraitPath === undefined || p.portrait !== undefined);
      const offices = ready.map((p) => resolveDeliveryOffice(p.value.record));
      const records: NewRecord[] = ready.map((p, i) => ({
        seq: this.nextSeq++,
        lineNo: p.line,
        pid: p.value.record.pid,
        cardVariant: p.value.facts.variant,
        personal: personalFields(p.value),
        deliveryOffice: offices[i]!.office,
        ...(p.portrait ? { portrait: p.portrait } : {}),
      }));
      const result = await this.options.store.addRecords(this.batchId, records);
      this.accepted += result.accepted.length;
      for (const duplicate of result.duplicates) window.reject(duplicate.lineNo, [{ field: 'pid', message: duplicate.reason }]);
      const acceptedSeqs = new Set(result.accepted);
      records.forEach((r, i) => {
        if (acceptedSeqs.has(r.seq) && ready[i]!.value.facts.nameShortened) {
          this.namesShortened += 1;
          window.warn(r.lineNo, 'fullName', 'shortened in the MRZ (initials or cut): check the name line');
        }
        if (acceptedSeqs.has(r.seq)) for (const note of reformNotes(ready[i]!.value)) window.warn(r.lineNo, note.field, note.message);
        if (acceptedSeqs.has(r.seq) && offices[i]!.source === 'unsorted') {
          window.warn(r.lineNo, 'deliveryOffice', `absent, and the residence's last part names no province: the card goes to office ${UNSORTED}`);
        }
      });
    }
    for (const entry of window.entries.sort((a, b) => a.line - b.line)) {
      if (entry.warning) this.report.warn(entry.line, entry.issues[0]!.field, entry.issues[0]!.message);
      else this.report.reject(entry.line, entry.issues);
    }
    await this.report.drain();
    this.options.onProgress?.({ read: this.read, accepted: this.accepted, quarantined: this.report.rejected });
  }
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

/**
 * Reads and checks the chunk's portraits. Synchronous on purpose: a portrait is a few KiB, and
 * open/stat/read/close as four thread-pool round trips cost the import more main-thread time than
 * the system calls themselves (measured: ~65 µs against ~12 µs a file).
 */
function loadPortraits(pending: Pending[], folder: PortraitFolder, window: Window): void {
  for (const p of pending) {
    if (p.portraitPath === undefined) continue;
    const result = folder.read(p.portraitPath);
    if (result.ok) p.portrait = result.data;
    else window.reject(p.line, [result.issue]);
  }
}

type PortraitResult = { ok: true; data: Buffer } | { ok: false; issue: FieldIssue };

// O_NOFOLLOW: a symbolic link put in place after the lstat below is refused by the open itself.
// O_NONBLOCK: a FIFO swapped in after the lstat cannot hang the import in open().
const PORTRAIT_OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * The batch file's folder, from which portraits are read. The batch comes from outside: a portrait
 * path must not lead out of the folder, neither by `..` nor through a symbolic link (the file or
 * any folder on the way), and nothing is opened before that is known. Then the file is opened
 * without following links, checked to be the same regular file and small enough, and only then
 * read.
 */
class PortraitFolder {
  private real: string | undefined;
  private readonly realDirs = new Map<string, string>();

  constructor(private readonly dir: string) {}

  read(relative: string): PortraitResult {
    const fail = (message: string): PortraitResult => ({ ok: false, issue: { field: 'portrait', message } });
    if (path.isAbsolute(relative)) return fail('must be a path relative to the batch file');
    const full = path.resolve(this.dir, relative);
    if (full !== this.dir && !full.startsWith(this.dir + path.sep)) return fail("must stay inside the batch file's folder");
    let fd: number | undefined;
    try {
      const link = lstatSync(full);
      if (link.isSymbolicLink()) return fail('is a symbolic link; portraits must be regular files inside the batch folder');
      if (!link.isFile()) return fail('is not a regular file');
      if (link.size > PORTRAIT_MAX_BYTES) return fail(`is larger than ${PORTRAIT_MAX_BYTES / 1024 / 1024} MiB`);
      if (!this.inside(path.dirname(full))) return fail("leads outside the batch file's folder (through a symbolic link)");
      fd = openSync(full, PORTRAIT_OPEN_FLAGS);
      const opened = fstatSync(fd);
      // Replaced between the lstat and the open: refuse rather than read something else.
      if (!opened.isFile() || opened.ino !== link.ino || opened.dev !== link.dev) return fail('changed while it was being read');
      if (opened.size > PORTRAIT_MAX_BYTES) return fail(`is larger than ${PORTRAIT_MAX_BYTES / 1024 / 1024} MiB`);
      const data = readWhole(fd, opened.size);
      return this.check(data);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') return fail('is a symbolic link; portraits must be regular files inside the batch folder');
      return fail(code === 'ENOENT' || code === 'ENOTDIR' ? 'file not found' : `cannot be read (${code ?? 'error'})`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private check(data: Buffer): PortraitResult {
    const probe = probeJpeg(data);
    if (!probe.ok) return { ok: false, issue: { field: 'portrait', message: `is not a usable JPEG: ${probe.reason}` } };
    if (probe.width < PORTRAIT_MIN_WIDTH || probe.height < PORTRAIT_MIN_HEIGHT) {
      return {
        ok: false,
        issue: { field: 'portrait', message: `is ${probe.width} × ${probe.height} px; at least ${PORTRAIT_MIN_WIDTH} × ${PORTRAIT_MIN_HEIGHT} (width × height) is required` },
      };
    }
    return { ok: true, data };
  }

  /** Whether `dir`, with every symbolic link resolved, is the batch folder or inside it. */
  private inside(dir: string): boolean {
    this.real ??= realpathSync(this.dir);
    let real = this.realDirs.get(dir);
    if (real === undefined) {
      real = realpathSync(dir);
      this.realDirs.set(dir, real);
    }
    return real === this.real || real.startsWith(this.real + path.sep);
  }
}

/** Reads `size` bytes (never more: a file that grew since the fstat is cut, and then fails the JPEG check). */
function readWhole(fd: number, size: number): Buffer {
  const data = Buffer.alloc(size);
  let filled = 0;
  while (filled < size) {
    const n = readSync(fd, data, filled, size - filled, filled);
    if (n === 0) break;
    filled += n;
  }
  return data.subarray(0, filled);
}

/**
 * A card issued from 1 July 2025 prints today's provinces and no district level (issue 20 item 9):
 * an address still on the old map is warned about, not rejected — the citizen's data is the
 * issuing office's to correct, and the card is still lawful to make.
 */
function reformNotes(value: ValidatedRecord): FieldIssue[] {
  if (!issuedAfterReform(value.facts.issueDate)) return [];
  const { residence, placeOfBirthRegistration } = value.record;
  return [
    ...addressReformNotes(residence).map((message) => ({ field: 'residence', message })),
    ...addressReformNotes(placeOfBirthRegistration).map((message) => ({ field: 'placeOfBirthRegistration', message })),
  ];
}

/** What goes into the encrypted payload: the normalized record without the portrait path. */
function personalFields(value: ValidatedRecord): Record<string, unknown> {
  // The delivery office is stored with the record in clear (the line sorts by it), not in the payload.
  const { portrait: _path, deliveryOffice: _office, ...fields } = value.record;
  return fields;
}

function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}

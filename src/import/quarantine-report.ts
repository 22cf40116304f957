/**
 * The quarantine report of one import, streamed to disk as it goes (a file of a million bad
 * lines must not pile up in memory): `<batch>-quarantine.json` for tools and `.txt` for
 * people. Entries carry line numbers, field names and reasons only, never personal values.
 *
 * The report is capped: the first entries of each reason are written in full, the rest only
 * counted (by reason, at the end), and once the report has grown to its byte budget every further
 * entry is counted only. A hostile or broken file (a 12 MB CSV with an unterminated quote gave
 * 560 MB of JSON before the cap) thus yields a report of a few MB that still names every reason.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { FieldIssue } from '../domain/issues.ts';

export interface ReportPaths {
  readonly json: string;
  readonly text: string;
}

export interface ReportLimits {
  /** Entries written in full for each reason; later ones with the same reason are counted. */
  readonly perReason: number;
  /** Once either file has this many bytes of entries, every further entry is counted only. */
  readonly maxBytes: number;
}

export const DEFAULT_REPORT_LIMITS: ReportLimits = Object.freeze({ perReason: 100, maxBytes: 2 * 1024 * 1024 });

/** Distinct reasons tracked; past it, reasons are pooled (a file can invent field names at will). */
const MAX_REASONS = 1000;
const MAX_ISSUES = 20;
const MAX_FIELD_CHARS = 100;
const MAX_MESSAGE_CHARS = 300;
const OTHER_REASONS = '(other reasons)';

type Kind = 'rejected' | 'warning';

/**
 * The reason an entry is counted under: its first issue's field and message with the numbers
 * taken out (line numbers and offsets differ from entry to entry, the reason does not).
 */
/** Where an import's JSON quarantine report is written (also for a failed import, whose batch row keeps no path). */
export function quarantineReportFile(reportDir: string, batchId: string): string {
  return path.join(reportDir, `${batchId}-quarantine.json`);
}

export function reasonOf(issues: readonly FieldIssue[]): string {
  const first = issues[0];
  if (first === undefined) return '(no reason given)';
  return clip(`${first.field}: ${first.message}`.replace(/\d+/g, '#'), 200);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Bounds one entry's size: issues, field names and messages come (partly) from the file. */
function bounded(issues: readonly FieldIssue[]): FieldIssue[] {
  const kept = issues.slice(0, MAX_ISSUES).map((i) => ({ field: clip(i.field, MAX_FIELD_CHARS), message: clip(i.message, MAX_MESSAGE_CHARS) }));
  if (issues.length > MAX_ISSUES) kept.push({ field: '(record)', message: `${issues.length - MAX_ISSUES} more issues not listed` });
  return kept;
}

export class QuarantineReport {
  rejected = 0;
  warnings = 0;
  private entries = 0;
  private bytes = 0;
  /** Entries seen a reason (written or not), and entries only counted. */
  private readonly seen = new Map<string, number>();
  private readonly omitted = new Map<string, { kind: Kind; reason: string; count: number }>();
  private omittedTotal = 0;

  private constructor(
    readonly paths: ReportPaths,
    private readonly json: WriteStream,
    private readonly text: WriteStream,
    private readonly limits: ReportLimits,
  ) {}

  static async create(dir: string, batchId: string, sourceFile: string, limits: ReportLimits = DEFAULT_REPORT_LIMITS): Promise<QuarantineReport> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const paths = {
      json: quarantineReportFile(dir, batchId),
      text: path.join(dir, `${batchId}-quarantine.txt`),
    };
    const json = createWriteStream(paths.json, { mode: 0o600 });
    const text = createWriteStream(paths.text, { mode: 0o600 });
    const createdAt = new Date().toISOString();
    json.write(`{"batchId":${JSON.stringify(batchId)},"sourceFile":${JSON.stringify(sourceFile)},"createdAt":"${createdAt}","entries":[\n`);
    text.write(`Quarantine report of batch ${batchId}\nsource file: ${sourceFile}\ncreated: ${createdAt}\n\n`);
    return new QuarantineReport(paths, json, text, limits);
  }

  /** A record that was not imported, with every problem found. */
  reject(line: number, issues: readonly FieldIssue[]): void {
    this.rejected += 1;
    this.entry(line, 'rejected', issues);
  }

  /** An imported record worth a second look. */
  warn(line: number, field: string, message: string): void {
    this.warnings += 1;
    this.entry(line, 'warning', [{ field, message }]);
  }

  /** Waits while the disk is behind, so a flood of bad lines cannot fill memory. */
  async drain(): Promise<void> {
    if (this.json.writableNeedDrain) await once(this.json, 'drain');
    if (this.text.writableNeedDrain) await once(this.text, 'drain');
  }

  /** `auditHead`: the audit chain's head when the report closes; a paper copy anchors the log (cardline audit verify --anchor). */
  async close(summary: { accepted: number; status: 'imported' | 'failed'; auditHead?: { id: number; hash: string } | undefined }): Promise<ReportPaths> {
    const omitted = [...this.omitted.values()].sort((a, b) => b.count - a.count);
    const totals = {
      accepted: summary.accepted,
      quarantined: this.rejected,
      warnings: this.warnings,
      status: summary.status,
      entriesNotListed: this.omittedTotal,
      auditHead: summary.auditHead ?? null,
    };
    this.json.write(`\n],"notListed":${JSON.stringify(omitted)},"summary":${JSON.stringify(totals)}}\n`);
    if (omitted.length > 0) {
      this.text.write(`\n${this.omittedTotal} more line(s) not listed one by one (the first ${this.limits.perReason} of each reason are), by reason:\n`);
      for (const o of omitted) this.text.write(`  ${o.count} × ${o.kind}: ${o.reason}\n`);
    }
    this.text.write(
      `\n${this.rejected} record(s) quarantined, ${summary.accepted} accepted, ${this.warnings} warning(s); import ${summary.status}\n`,
    );
    if (summary.auditHead) this.text.write(`audit chain head: row ${summary.auditHead.id} ${summary.auditHead.hash}\n`);
    await Promise.all([end(this.json), end(this.text)]);
    return this.paths;
  }

  private entry(line: number, kind: Kind, issues: readonly FieldIssue[]): void {
    let reason = `${kind}: ${reasonOf(issues)}`;
    if (!this.seen.has(reason) && this.seen.size >= MAX_REASONS) reason = `${kind}: ${OTHER_REASONS}`;
    const count = (this.seen.get(reason) ?? 0) + 1;
    this.seen.set(reason, count);
    if (count > this.limits.perReason || this.bytes >= this.limits.maxBytes) {
      this.omittedTotal += 1;
      const o = this.omitted.get(reason) ?? { kind, reason: reason.slice(kind.length + 2), count: 0 };
      o.count += 1;
      this.omitted.set(reason, o);
      return;
    }
    const kept = bounded(issues);
    const jsonText = `${this.entries === 0 ? '' : ',\n'}${JSON.stringify({ line, kind, issues: kept })}`;
    const textLine = `line ${line}: ${kind}: ${kept.map((i) => `${i.field}: ${i.message}`).join('; ')}\n`;
    this.json.write(jsonText);
    this.text.write(textLine);
    this.bytes += Math.max(Buffer.byteLength(jsonText), Buffer.byteLength(textLine));
    this.entries += 1;
  }
}

function end(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

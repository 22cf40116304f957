/**
 * The quarantine report of one import, streamed to disk as it goes (a file of a million bad
 * lines must not pile up in memory): `<batch>-quarantine.json` for tools and `.txt` for
 * people. Entries carry line numbers, field names and reasons only, never personal values.
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

export class QuarantineReport {
  rejected = 0;
  warnings = 0;
  private entries = 0;

  private constructor(
    readonly paths: ReportPaths,
    private readonly json: WriteStream,
    private readonly text: WriteStream,
  ) {}

  static async create(dir: string, batchId: string, sourceFile: string): Promise<QuarantineReport> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const paths = {
      json: path.join(dir, `${batchId}-quarantine.json`),
      text: path.join(dir, `${batchId}-quarantine.txt`),
    };
    const json = createWriteStream(paths.json, { mode: 0o600 });
    const text = createWriteStream(paths.text, { mode: 0o600 });
    const createdAt = new Date().toISOString();
    json.write(`{"batchId":${JSON.stringify(batchId)},"sourceFile":${JSON.stringify(sourceFile)},"createdAt":"${createdAt}","entries":[\n`);
    text.write(`Quarantine report of batch ${batchId}\nsource file: ${sourceFile}\ncreated: ${createdAt}\n\n`);
    return new QuarantineReport(paths, json, text);
  }

  /** A record that was not imported, with every problem found. */
  reject(line: number, issues: readonly FieldIssue[]): void {
    this.rejected += 1;
    this.entry({ line, kind: 'rejected', issues });
    this.text.write(`line ${line}: rejected: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}\n`);
  }

  /** An imported record worth a second look. */
  warn(line: number, field: string, message: string): void {
    this.warnings += 1;
    this.entry({ line, kind: 'warning', issues: [{ field, message }] });
    this.text.write(`line ${line}: warning: ${field}: ${message}\n`);
  }

  /** Waits while the disk is behind, so a flood of bad lines cannot fill memory. */
  async drain(): Promise<void> {
    if (this.json.writableNeedDrain) await once(this.json, 'drain');
    if (this.text.writableNeedDrain) await once(this.text, 'drain');
  }

  /** `auditHead`: the audit chain's head when the report closes; a paper copy anchors the log (cardline audit verify --anchor). */
  async close(summary: { accepted: number; status: 'imported' | 'failed'; auditHead?: { id: number; hash: string } | undefined }): Promise<ReportPaths> {
    const totals = { accepted: summary.accepted, quarantined: this.rejected, warnings: this.warnings, status: summary.status, auditHead: summary.auditHead ?? null };
    this.json.write(`\n],"summary":${JSON.stringify(totals)}}\n`);
    this.text.write(
      `\n${this.rejected} record(s) quarantined, ${summary.accepted} accepted, ${this.warnings} warning(s); import ${summary.status}\n`,
    );
    if (summary.auditHead) this.text.write(`audit chain head: row ${summary.auditHead.id} ${summary.auditHead.hash}\n`);
    await Promise.all([end(this.json), end(this.text)]);
    return this.paths;
  }

  private entry(entry: { line: number; kind: 'rejected' | 'warning'; issues: readonly FieldIssue[] }): void {
    this.json.write(`${this.entries === 0 ? '' : ',\n'}${JSON.stringify(entry)}`);
    this.entries += 1;
  }
}

function end(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

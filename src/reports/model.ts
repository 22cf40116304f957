/**
 * What a batch or shift report holds, built once and written three ways (pdf.ts, csv.ts, JSON):
 * the KPI answer exactly as `cardline kpi --json` prints it, the card accounting, the OEE
 * waterfall's levels, the alarms of the period and the audit chain's head. Pure: the stores are
 * read in source.ts. No personal data: ids, counts, times, reason and alarm codes.
 */
import type { KpiAnswer } from '../kpi/query.ts';
import type { KpiReport } from '../kpi/report.ts';
import type { KpiSums } from '../kpi/sums.ts';

export const REPORT_FORMAT = 'cardline-report-v1';

/** `cardline kpi --json`'s object: the scope and the report. */
export type KpiJson = { readonly scope: KpiAnswer['scope'] } & KpiReport;

export interface ReportAlarm {
  readonly id: string;
  readonly lineId: string;
  readonly unitId: string | null;
  readonly condition: string;
  readonly message: string;
  readonly priority: string;
  readonly state: string;
  readonly raisedAt: string;
  readonly clearedAt: string | null;
  readonly acknowledgedAt: string | null;
}

export interface ReportBatch {
  readonly id: string;
  readonly status: string;
  /** Records accepted at import. */
  readonly records: number;
  readonly quarantined: number;
}

export interface ReportModel {
  readonly format: typeof REPORT_FORMAT;
  readonly kind: 'batch' | 'shift';
  readonly generatedAt: string;
  readonly batch?: ReportBatch;
  readonly shift?: string;
  readonly lineId?: string;
  readonly kpi: KpiJson;
  /** Blanks consumed = good + scrap + still in the line (or unaccounted, for a period cut mid-run). */
  readonly accounting: { readonly blanks: number; readonly good: number; readonly scrap: number; readonly inLine: number };
  /**
   * The OEE waterfall's levels (ms): planned busy time, actual production time, PRI × PQ and
   * PRI × GQ; the last two null when a line has no planned run time. good ÷ planned is the OEE.
   */
  readonly waterfall: { readonly plannedMs: number; readonly availableMs: number; readonly performingMs: number | null; readonly goodMs: number | null };
  /** Alarms active at some time in the period, on the report's lines, oldest first. */
  readonly alarms: readonly ReportAlarm[];
  /** The audit chain's head when the report was made: a later `cardline audit verify --anchor` proves nothing before it changed. */
  readonly audit: { readonly headRow: number | null; readonly headHash: string | null };
}

export interface ReportInputs {
  readonly answer: KpiAnswer;
  readonly generatedAt: Date;
  readonly batch?: ReportBatch;
  readonly alarms: readonly ReportAlarm[];
  readonly auditHead: { readonly id: number; readonly hash: string } | undefined;
}

/** PRI × GQ of one line: its planned run time per item is one figure, so Σ PRI × PQ scales by GQ ÷ PQ. */
function goodRunMs(s: Readonly<KpiSums>): number | null {
  if (s.pqWithoutPri > 0) return null;
  return s.pq > 0 ? (s.plannedRunMs * s.gq) / s.pq : 0;
}

export function buildReportModel(inputs: ReportInputs): ReportModel {
  const { answer } = inputs;
  const report = answer.report;
  const total = report.total.sums;
  const perLine = report.lines.map((l) => goodRunMs(l.sums));
  const known = perLine.every((v) => v !== null) && total.pqWithoutPri === 0;
  return {
    format: REPORT_FORMAT,
    kind: answer.scope.kind === 'batch' ? 'batch' : 'shift',
    generatedAt: inputs.generatedAt.toISOString(),
    ...(inputs.batch ? { batch: inputs.batch } : {}),
    ...(answer.scope.shift !== undefined ? { shift: answer.scope.shift } : {}),
    ...(answer.scope.lineId !== undefined ? { lineId: answer.scope.lineId } : {}),
    kpi: { scope: answer.scope, ...report },
    accounting: { blanks: total.blanks, good: total.gq, scrap: total.sq, inLine: total.blanks - total.gq - total.sq },
    waterfall: {
      plannedMs: total.pbtMs,
      availableMs: total.aptMs,
      performingMs: known ? total.plannedRunMs : null,
      goodMs: known ? perLine.reduce<number>((a, b) => a + b, 0) : null,
    },
    alarms: inputs.alarms,
    audit: { headRow: inputs.auditHead?.id ?? null, headHash: inputs.auditHead?.hash ?? null },
  };
}

/** The report's file name without extension: batch-<id>, or shift-<date>-<name>[-<line>]. */
export function reportBaseName(model: Pick<ReportModel, 'kind' | 'batch' | 'shift' | 'lineId' | 'kpi'>): string {
  if (model.kind === 'batch') return `batch-${model.batch?.id ?? model.kpi.batchId ?? 'unknown'}`;
  return `shift-${(model.shift ?? 'unknown').replace('/', '-')}${model.lineId !== undefined ? `-${model.lineId}` : ''}`;
}

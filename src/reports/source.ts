/**
 * A report's figures read from the stores: the KPI answer (src/kpi/query.ts, the same as
 * `cardline kpi`), the batch's import counts, the alarms of the period on the report's lines and
 * the audit chain's head. The CLI (`cardline report`) and the API (`/api/v1/reports/…`) both ask here.
 */
import type { Knex } from 'knex';
import type { LinePlan } from '../kpi/line-plan.ts';
import { answerKpiQuery, KpiQueryError } from '../kpi/query.ts';
import type { SiteShifts } from '../kpi/site-file.ts';
import { AlarmStore } from '../store/alarm-store.ts';
import { auditHead } from '../store/audit.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { KpiStore } from '../store/kpi-store.ts';
import { buildReportModel, type ReportAlarm, type ReportModel } from './model.ts';

export type ReportQuery = { readonly kind: 'batch'; readonly batchId: string } | { readonly kind: 'shift'; readonly shift: string; readonly lineId: string };

export interface ReportSources {
  readonly db: Knex;
  readonly batches: Pick<BatchStore, 'getBatch'>;
}

export interface ReportOptions {
  readonly site: SiteShifts;
  readonly plan: (lineId: string) => Promise<LinePlan | undefined>;
  readonly now?: Date;
  readonly bucketMs?: number;
}

/** The batch asked for does not exist (a bad input; a batch with no run on record is a KpiQueryError with notFound). */
export class UnknownBatchError extends KpiQueryError {
  override name = 'UnknownBatchError';
}

/** The report of a batch or a shift; a KpiQueryError when it cannot be made as asked (an unknown batch: notFound). */
export async function makeReport(sources: ReportSources, query: ReportQuery, options: ReportOptions): Promise<ReportModel> {
  const now = options.now ?? new Date();
  const batch = query.kind === 'batch' ? await sources.batches.getBatch(query.batchId) : undefined;
  if (query.kind === 'batch' && !batch) throw new UnknownBatchError(`batch ${query.batchId} does not exist (cardline batch list shows the batches)`, 'batch', true);
  const answer = await answerKpiQuery(new KpiStore(sources.db), query.kind === 'batch' ? query : { kind: 'shift', shift: query.shift, lineId: query.lineId }, {
    site: options.site,
    plan: options.plan,
    now,
    ...(options.bucketMs ? { bucketMs: options.bucketMs } : {}),
  });
  const lines = query.kind === 'shift' ? [query.lineId] : answer.report.lines.map((l) => l.line);
  const alarms: ReportAlarm[] =
    lines.length === 0
      ? []
      : (await new AlarmStore(sources.db).ofPeriod(lines, new Date(answer.report.from), new Date(answer.report.to))).map((a) => ({
          id: a.id,
          lineId: a.lineId,
          unitId: a.unitId,
          condition: a.condition,
          message: a.message,
          priority: a.priority,
          state: a.state,
          raisedAt: a.raisedAt,
          clearedAt: a.clearedAt,
          acknowledgedAt: a.acknowledgedAt,
        }));
  return buildReportModel({
    answer,
    generatedAt: now,
    ...(batch ? { batch: { id: batch.id, status: batch.status, records: batch.acceptedCount, quarantined: batch.quarantinedCount } } : {}),
    alarms,
    auditHead: await auditHead(sources.db),
  });
}

/**
 * The report model and its CSV, from KPIs computed on a small worked run: 10 minutes of planned busy
 * time with 1 minute held by a jam, 100 cards out of which 4 scrapped, a planned run time of 5 s a
 * card: availability 0.9, effectiveness 500 s ÷ 540 s, quality 0.96, so OEE = PRI × GQ ÷ PBT
 * = 480 s ÷ 600 s = 0.8 — the waterfall's last level over its first.
 */
import { describe, expect, it } from 'vitest';
import { computeKpis } from '../kpi/compute.ts';
import type { KpiEvent } from '../kpi/events.ts';
import type { LinePlan } from '../kpi/line-plan.ts';
import type { KpiAnswer } from '../kpi/query.ts';
import { kpiReport } from '../kpi/report.ts';
import { PACKML_STATES as S, STOP_REASONS as R } from '../plc/packml.ts';
import { reportCsv } from './csv.ts';
import { buildReportModel, reportBaseName } from './model.ts';

const T0 = Date.UTC(2026, 11, 7, 23, 0);
const plan: LinePlan = { id: 'L1', priMs: 5000, units: new Map([['laser', { station: 'laser', kind: 'laser', priMs: 5000 }]]) };

function run(): KpiEvent[] {
  const events: KpiEvent[] = [
    { type: 'run', at: T0, line: 'L1', batchId: 'B1', status: 'running' },
    { type: 'state', at: T0, line: 'L1', unit: 'laser', state: S.Execute, stopReason: R.None },
    { type: 'state', at: T0 + 120_000, line: 'L1', unit: 'laser', state: S.Held, stopReason: R.CardJam },
    { type: 'state', at: T0 + 180_000, line: 'L1', unit: 'laser', state: S.Execute, stopReason: R.None },
  ];
  for (let i = 1; i <= 100; i++) {
    const at = T0 + 180_000 + i * 4000;
    const bad = i % 25 === 0;
    events.push({ type: 'fed', at: at - 1000, line: 'L1', batchId: 'B1', seq: i, card: `C${i}` });
    events.push({ type: 'ended', at, line: 'L1', unit: 'laser', batchId: 'B1', seq: i, attempt: 1, card: `C${i}`, good: !bad, reason: bad ? 'PRINT_GRADE_LOW' : null });
  }
  events.push({ type: 'run', at: T0 + 600_000, line: 'L1', batchId: 'B1', status: 'completed' });
  return events.sort((a, b) => a.at - b.at);
}

const answer: KpiAnswer = {
  scope: { kind: 'batch', batchId: 'B1', timeZone: 'Asia/Ho_Chi_Minh', running: false, linesWithoutPlan: [] },
  report: kpiReport(computeKpis(run(), { from: T0, to: T0 + 600_000, batchId: 'B1', plans: [plan] })),
};
const model = buildReportModel({
  answer,
  generatedAt: new Date(T0 + 700_000),
  batch: { id: 'B1', status: 'completed', records: 96, quarantined: 0 },
  alarms: [{ id: 'A-1', lineId: 'L1', unitId: 'laser', condition: '=HYPERLINK("x")', message: 'laser held, card jam', priority: 'high', state: 'cleared', raisedAt: new Date(T0 + 120_000).toISOString(), clearedAt: new Date(T0 + 180_000).toISOString(), acknowledgedAt: null }],
  auditHead: { id: 7, hash: 'ab'.repeat(32) },
});

describe('buildReportModel', () => {
  it('holds the KPI answer unchanged, the accounting and the waterfall whose last level over its first is the OEE', () => {
    expect(model.kpi).toStrictEqual({ scope: answer.scope, ...answer.report });
    expect(model.accounting).toStrictEqual({ blanks: 100, good: 96, scrap: 4, inLine: 0 });
    expect(model.waterfall).toStrictEqual({ plannedMs: 600_000, availableMs: 540_000, performingMs: 500_000, goodMs: 480_000 });
    expect(model.waterfall.goodMs! / model.waterfall.plannedMs).toBeCloseTo(model.kpi.total.kpis.oee!, 12);
    expect(model.kpi.total.kpis.oee).toBeCloseTo(0.8, 12);
    expect(model.audit).toStrictEqual({ headRow: 7, headHash: 'ab'.repeat(32) });
  });

  it('leaves the performing and good levels unknown for a line without a line file', () => {
    const unplanned = buildReportModel({ answer: { ...answer, report: kpiReport(computeKpis(run(), { from: T0, to: T0 + 600_000, batchId: 'B1' })) }, generatedAt: new Date(T0), alarms: [], auditHead: undefined });
    expect(unplanned.waterfall).toStrictEqual({ plannedMs: 600_000, availableMs: 540_000, performingMs: null, goodMs: null });
    expect(unplanned.audit).toStrictEqual({ headRow: null, headHash: null });
  });

  it('names the files by batch, or by shift and line', () => {
    expect(reportBaseName(model)).toBe('batch-B1');
    expect(reportBaseName({ ...model, kind: 'shift', shift: '2026-12-07/night', lineId: 'L1' })).toBe('shift-2026-12-07-night-L1');
  });
});

describe('reportCsv', () => {
  const csv = reportCsv(model);
  const rows = csv.trimEnd().split('\r\n');

  it('is one long table with a header, CRLF line ends and every figure a row', () => {
    expect(rows[0]).toBe('section,subject,metric,value');
    expect(csv.endsWith('\r\n')).toBe(true);
    for (const row of ['summary,total,gq,96', 'summary,total,sq,4', 'summary,total,scrap.PRINT_GRADE_LOW,4', 'summary,total,oee,0.8', 'accounting,total,inLine,0', 'waterfall,total,goodMs,480000', 'pareto.reason,PRINT_GRADE_LOW,count,4', `audit,head,hash,${'ab'.repeat(32)}`, 'report,batch B1,records,96']) {
      expect(rows).toContain(row);
    }
  });

  it('quotes commas and quotes, and keeps a formula a text', () => {
    expect(rows).toContain('alarm,A-1,message,"laser held, card jam"');
    expect(rows).toContain(`alarm,A-1,condition,"'=HYPERLINK(""x"")"`);
  });
});

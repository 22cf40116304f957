/**
 * The KPIs of a shift (or a period) still under way count its time up to now, never to its end in
 * the future (ISO 22400-2: PBT is the planned busy time of the period, and the rest of the shift has
 * not happened yet). A time-scaled line (timeScale 5, the demo's) runs three cards with every unit
 * in Execute: the shift's and the period's planned busy time is the run so far, exactly the batch's,
 * and effectiveness is the bottleneck's scaled cycle × PQ ÷ APT, computed here from the line's cycle
 * times. Counting to the shift's end, the manager's dashboard showed a demo run of a few minutes as
 * 99.8 % available and 1.7 % effective.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLine } from '../simulators/testing/test-line.ts';
import { linePlan } from '../src/kpi/line-plan.ts';
import { answerKpiQuery, type KpiAnswer, type KpiQuery } from '../src/kpi/query.ts';
import { recentShifts } from '../src/kpi/shifts.ts';
import { DEFAULT_SITE_SHIFTS as site } from '../src/kpi/site-file.ts';
import { PACKML_STATES as S } from '../src/plc/packml.ts';
import { BatchStore } from '../src/store/batch-store.ts';
import { KpiStore } from '../src/store/kpi-store.ts';
import { LineStore, type JournalOp } from '../src/store/line-store.ts';
import { BACKENDS, type StoreFixture } from './helpers/store-backends.ts';

const LINE = 'kpi-now';
const TIME_SCALE = 5;
/** The demo line's physical cycles (config/lines/demo-mixed.yaml), ms; six encoder heads. */
const CYCLE = { feeder: 800, encoder: 9000, laser: 1500, qa: 1200, output: 400 };
const HEADS = 6;
const CARDS = 3;

let fx: StoreFixture;
let batchId: string;

beforeAll(async () => {
  fx = await BACKENDS[0]!.setup();
  const batches = new BatchStore(fx.db, fx.keys);
  const batch = await batches.createBatch({ name: 'now', sourceFile: 'in/now.jsonl', actor: 'op' });
  await batches.addRecords(
    batch.id,
    Array.from({ length: CARDS }, (_, i) => ({ seq: i + 1, lineNo: i + 1, pid: `07901000123${i}`, cardVariant: 'without-portrait' as const, personal: { fullName: `Số ${i + 1}` } })),
  );
  await batches.finishImport(batch.id, { accepted: CARDS, quarantined: 0, reportPath: 'r.json', actor: 'op' });
  batchId = batch.id;
});

afterAll(async () => {
  await fx?.cleanup();
});

describe('KPIs of a shift under way on a time-scaled line', () => {
  it('count the planned busy time up to now: effectiveness is the scaled bottleneck cycle × PQ ÷ APT, as for the batch', async () => {
    const line = testLine({ id: LINE, heads: HEADS, timeScale: TIME_SCALE, cycleMs: CYCLE });
    const plan = linePlan(line);
    const journal = new LineStore(fx.db, LINE).journal;
    const t0 = Date.now();
    const execute = [...plan.units.keys()].map((unit): JournalOp => ({ op: 'station', unit, event: 'state', detail: { state: S.Execute, stopReason: 0 }, at: new Date(t0).toISOString() }));
    await journal.append({ op: 'batch.status', batchId, status: 'running', actor: 'op' }, ...execute);
    for (let seq = 1; seq <= CARDS; seq++) {
      const cardSerial = `N${seq}`;
      await journal.append({ op: 'card.fed', cardSerial, batchId, seq, attempt: 1, unit: 'feeder' });
      await journal.append({ op: 'card.ended', cardSerial, status: 'good', unit: 'output', position: seq, batchId });
    }
    const store = new KpiStore(fx.db);
    const runStart = (await store.batchSpan(batchId))!.from.getTime();
    const now = new Date(Date.now() + 5);
    // The shift the run started in (the one under way, unless the test crossed its end).
    const shift = recentShifts(new Date(runStart), site.shifts, site.timeZone, 1)[0]!;
    const ask = (query: KpiQuery): Promise<KpiAnswer> => answerKpiQuery(store, query, { site, plan: () => Promise.resolve(plan), now });

    const batch = await ask({ kind: 'batch', batchId });
    const shiftAnswer = await ask({ kind: 'shift', shift: shift.name, lineId: LINE });
    const period = await ask({ kind: 'line', lineId: LINE, from: new Date(runStart - 3_600_000), to: new Date(now.getTime() + 3_600_000) });

    // Expected from the line file alone: the bottleneck (the slowest station per head) in wall-clock time.
    const priMs = Math.max(CYCLE.feeder, CYCLE.encoder / HEADS, CYCLE.laser, CYCLE.qa, CYCLE.output) / TIME_SCALE;
    const shiftEnd = Math.min(shift.to.getTime(), now.getTime());
    for (const [name, answer, end] of [
      ['batch', batch, now.getTime()],
      ['shift', shiftAnswer, shiftEnd],
      ['period', period, now.getTime()],
    ] as const) {
      const { sums, kpis } = answer.report.total;
      const apt = end - runStart;
      expect({ name, pbtMs: sums.pbtMs, aptMs: sums.aptMs, pq: sums.pq }).toStrictEqual({ name, pbtMs: apt, aptMs: apt, pq: CARDS });
      expect(kpis.availability).toBe(1);
      expect(kpis.effectiveness, name).toBeCloseTo((priMs * CARDS) / apt, 12);
      expect(answer.scope.running, name).toBe(end === now.getTime());
    }
    // The period's `to` is now: the rest of the shift is not in its throughput buckets either.
    expect(Date.parse(period.report.to)).toBe(now.getTime());
    expect(period.report.throughput.buckets.reduce((a, b) => a + b.pbtMs, 0)).toBe(now.getTime() - runStart);
  });
});

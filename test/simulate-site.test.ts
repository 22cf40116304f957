/**
 * `cardline simulate site` (issue 19, deliverables 3 and 4): shift patterns as planned stops, the
 * engine standing still during them (the journal's planned down time is exactly their length,
 * through src/kpi), and the 500,000-cards-a-day question on the demo site: the lines it answers
 * are the fewest whose capacity reaches the target, with the margin they leave.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLineConfig } from '../src/config/line-config.ts';
import { runSimulateSite } from '../src/cli/commands/simulate.ts';
import { CliError } from '../src/cli/errors.ts';
import { kpiAccumulator } from '../src/kpi/compute.ts';
import { DEFAULT_SHIFTS } from '../src/kpi/shifts.ts';
import type { KpiEvent } from '../src/kpi/events.ts';
import { runLine } from '../simulators/virtual/engine.ts';
import { patternSchedule, plannedHours } from '../simulators/virtual/schedule.ts';
import type { SitePlan } from '../simulators/virtual/site-plan.ts';
import { cardline } from './helpers/cli.ts';

const SITE = path.resolve(import.meta.dirname, '../config/site.yaml');
const DEMO_MIXED = path.resolve(import.meta.dirname, '../config/lines/demo-mixed.yaml');
const MIN = 60_000;

describe('shift patterns as planned stops', () => {
  it('one shift 06:00–14:00 with a 30-min break and a 10-min handover: stopped outside it, at 06:00 and at 09:45', () => {
    const s = patternSchedule({ shifts: DEFAULT_SHIFTS.slice(0, 1), breakMinutes: 30, handoverMinutes: 10 });
    expect(s.stops).toStrictEqual([
      { fromMs: 0, toMs: 370 * MIN },
      { fromMs: 585 * MIN, toMs: 615 * MIN },
      { fromMs: 840 * MIN, toMs: 1440 * MIN },
    ]);
    expect(plannedHours(s)).toBeCloseTo(22 / 3, 9);
  });

  it('three shifts around the clock: a handover at each start and a break in each, the night one across midnight', () => {
    const s = patternSchedule({ shifts: DEFAULT_SHIFTS, breakMinutes: 30, handoverMinutes: 10 });
    expect(s.stops.map((x) => [x.fromMs / MIN, x.toMs / MIN])).toStrictEqual([
      [105, 135],
      [360, 370],
      [585, 615],
      [840, 850],
      [1065, 1095],
      [1320, 1330],
    ]);
    expect(plannedHours(s)).toBe(22);
  });

  it('the engine stands still in a planned stop, and the KPIs book the stop as planned down time', async () => {
    const line = await loadLineConfig(DEMO_MIXED);
    const schedule = patternSchedule({ shifts: DEFAULT_SHIFTS.slice(0, 2), breakMinutes: 30, handoverMinutes: 10 });
    const events: KpiEvent[] = [];
    const kpis = kpiAccumulator({ from: 0 });
    const run = runLine({
      line,
      hours: 48,
      schedule,
      journal: (e) => {
        events.push(e);
        kpis.add(e);
      },
    });
    const inStop = (t: number): boolean => schedule.stops.some((s) => t % schedule.periodMs > s.fromMs && t % schedule.periodMs < s.toMs);
    const during = events.filter((e) => (e.type === 'fed' || e.type === 'done' || e.type === 'ended') && inStop(e.at));
    expect(during).toStrictEqual([]);
    expect(run.good).toBeGreaterThan(0);
    const stopMs = schedule.stops.reduce((a, s) => a + s.toMs - s.fromMs, 0);
    const sums = kpis.result(run.elapsedMs).lines[0]!.sums;
    expect(sums.pdotMs).toBe(2 * stopMs);
    expect(sums.pbtMs).toBe(2 * (schedule.periodMs - stopMs));
    // Every unit's paused share is the stops' share of the day.
    for (const st of run.stations) expect(st.stateMs.paused / (st.units * run.elapsedMs)).toBeCloseTo(stopMs / schedule.periodMs, 9);
  }, 60_000);
});

describe('cardline simulate site', () => {
  it('answers the 500,000-cards-a-day question for the demo site: the fewest lines that reach it, and their margin', async () => {
    const out: string[] = [];
    expect(await runSimulateSite({ site: SITE, cardsPerDay: '500000', replications: '2', json: true }, (l) => out.push(l))).toBe(0);
    const plan = JSON.parse(out[0]!) as SitePlan;
    expect(plan.rows.map((r) => r.shifts)).toStrictEqual([['morning'], ['morning', 'afternoon'], ['morning', 'afternoon', 'night']]);
    for (const r of plan.rows) {
      expect(r.kind).toBe('demo-mixed');
      expect(r.linesNeeded * r.cardsPerDay.mean).toBeGreaterThanOrEqual(500_000);
      expect((r.linesNeeded - 1) * r.cardsPerDay.mean).toBeLessThan(500_000);
      expect(r.margin).toBeCloseTo((r.linesNeeded * r.cardsPerDay.mean) / 500_000 - 1, 12);
      expect(r.linesNeededAtLow).toBeGreaterThanOrEqual(r.linesNeeded);
      // The demo line's encoder (6 × 9 s) and laser (1.5 s) tie: reported as a tie.
      expect(r.bottleneck).toBe('encoder and laser (tie)');
    }
    // More shifts, more cards a line a day, and about in proportion to the planned hours.
    const perHour = plan.rows.map((r) => r.cardsPerDay.mean / r.plannedHoursPerDay);
    expect(plan.rows[1]!.cardsPerDay.mean).toBeGreaterThan(plan.rows[0]!.cardsPerDay.mean);
    expect(plan.rows[2]!.cardsPerDay.mean).toBeGreaterThan(plan.rows[1]!.cardsPerDay.mean);
    for (const x of perHour) expect(Math.abs(x / perHour[2]! - 1)).toBeLessThan(0.05);
    expect(plan.recommended).toStrictEqual([plan.rows[2]]);
    expect(plan.site.map((s) => s.cardsPerDay)).toStrictEqual(plan.rows.map((r) => r.cardsPerDay.mean));
  }, 180_000);

  it('prints the table and the answer for people', async () => {
    const out: string[] = [];
    expect(await runSimulateSite({ site: SITE, cardsPerDay: '100000', shifts: '3', replications: '1' }, (l) => out.push(l))).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^demo-mixed {2}morning \+ afternoon \+ night +22\.00 /m);
    expect(text).toMatch(/^demo-mixed: 3 line\(s\) on 3 shift\(s\) \(morning \+ afternoon \+ night\) make [\d,]+ a day, a margin of \d+\.\d%$/m);
  }, 60_000);

  it('from the binary, its own --json and --replications (which `simulate` has too) are read', async () => {
    const r = await cardline(['simulate', 'site', '--site', SITE, '--cards-per-day', '500000', '--shifts', '1', '--replications', '2', '--json'], { env: { CARDLINE_USER: '', CARDLINE_PASSWORD: '' } });
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as SitePlan;
    expect(plan.replications).toBe(2);
    expect(plan.rows.map((x) => x.shifts)).toStrictEqual([['morning']]);
  }, 60_000);

  it('refuses a pattern of more shifts than the site has, and a target that is not a number', async () => {
    await expect(runSimulateSite({ site: SITE, cardsPerDay: '500000', shifts: '4', replications: '1' })).rejects.toThrow(/a pattern of 4 shifts: the site has 3 \(morning, afternoon, night\)/);
    await expect(runSimulateSite({ site: SITE, cardsPerDay: 'lots' })).rejects.toThrow(CliError);
  });
});

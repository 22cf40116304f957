/**
 * The OEE waterfall (ISO 22400-2 time model): planned busy time, less down and delay time, gives
 * the actual production time (availability); less the speed loss, the time the produced cards take
 * at the planned run time (effectiveness); less the time of the scrapped cards, the good time
 * (quality). Each bar is a level, each gap between two levels is a loss in red, in hours (minutes or seconds for a short run).
 * Pure: data in, an ECharts option out.
 */
import type { EChartsOption } from 'echarts';
import { baseTextStyle, CHART_COLORS } from './theme.ts';

export interface OeeWaterfallInput {
  /** Planned busy time PBT (ms). */
  readonly plannedMs: number;
  /** Actual production time APT (ms). */
  readonly availableMs: number;
  /** PRI × PQ (ms): the produced quantity at the planned run time. */
  readonly performingMs: number;
  /** PRI × GQ (ms): the good quantity at the planned run time. */
  readonly goodMs: number;
  /** Category names, in order: planned, availability loss, available, speed loss, performing, quality loss, good. */
  readonly labels?: readonly [string, string, string, string, string, string, string];
}

export const OEE_WATERFALL_LABELS = ['Planned', 'Down + delay', 'Available', 'Speed loss', 'Performing', 'Quality loss', 'Good'] as const;

/** The unit the bars are drawn in: hours for a shift, minutes or seconds for a short run. */
export function waterfallUnit(plannedMs: number): { readonly name: string; readonly ms: number } {
  if (plannedMs >= 2 * 3_600_000) return { name: 'h', ms: 3_600_000 };
  if (plannedMs >= 2 * 60_000) return { name: 'min', ms: 60_000 };
  return { name: 's', ms: 1000 };
}

/** The option; levels that cannot be known (no planned run time) are drawn as 0. */
export function oeeWaterfallOption(input: OeeWaterfallInput): EChartsOption {
  const levels = [input.plannedMs, input.availableMs, input.performingMs, input.goodMs].map((v) => Math.max(0, v));
  const [planned, available, performing, good] = levels as [number, number, number, number];
  // A bar is [base, height]: a level stands on 0, a loss floats between the two levels it separates.
  // The performing time may exceed the available time (a unit faster than planned): the "loss" is then a gain, drawn from the lower level up.
  const step = (high: number, low: number): [number, number] => [Math.min(high, low), Math.abs(high - low)];
  const bars: [number, number][] = [[0, planned], step(planned, available), [0, available], step(available, performing), [0, performing], step(performing, good), [0, good]];
  const levelsInOrder = [planned, available, performing, good];
  /** Bar i between levels: red for a loss, green for a gain (a unit faster than planned). */
  const colorOf = (i: number): string => {
    if (i % 2 === 0) return CHART_COLORS.level;
    return levelsInOrder[(i + 1) / 2]! > levelsInOrder[(i - 1) / 2]! ? CHART_COLORS.producing : CHART_COLORS.loss;
  };
  const unit = waterfallUnit(planned);
  const inUnit = (ms: number): number => Math.round((ms / unit.ms) * 1000) / 1000;
  return {
    textStyle: baseTextStyle,
    grid: { left: 56, right: 16, top: 24, bottom: 40 },
    xAxis: { type: 'category', data: [...(input.labels ?? OEE_WATERFALL_LABELS)], axisLabel: { interval: 0, fontSize: 10 } },
    yAxis: { type: 'value', name: unit.name, splitLine: { lineStyle: { color: CHART_COLORS.grid } } },
    series: [
      { type: 'bar', stack: 'waterfall', silent: true, itemStyle: { color: 'transparent' }, data: bars.map(([base]) => inUnit(base)) },
      {
        type: 'bar',
        stack: 'waterfall',
        label: { show: true, position: 'top', fontSize: 9, formatter: (p: { value?: unknown }) => (typeof p.value === 'number' ? p.value.toFixed(2) : '') },
        data: bars.map(([, height], i) => ({ value: inUnit(height), itemStyle: { color: colorOf(i) } })),
      },
    ],
  };
}

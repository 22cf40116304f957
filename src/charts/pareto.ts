/**
 * A reject Pareto: scrap counts by reason (or by unit), largest first, as bars, and their
 * cumulative share as a line on a 0–100 % axis. Pure: data in, an ECharts option out.
 */
import type { EChartsOption } from 'echarts';
import { baseTextStyle, CHART_COLORS } from './theme.ts';

export interface ParetoInputEntry {
  readonly key: string;
  readonly count: number;
  /** Share of this entry and every larger one, 0–1. */
  readonly cumulativeShare: number;
}

export interface ParetoInput {
  /** Largest first (src/kpi/report.ts pareto()). */
  readonly entries: readonly ParetoInputEntry[];
  /** Series names: count, cumulative share. */
  readonly names?: readonly [string, string];
}

export function paretoOption(input: ParetoInput): EChartsOption {
  const [count, cumulative] = input.names ?? ['rejects', 'cumulative %'];
  return {
    textStyle: baseTextStyle,
    grid: { left: 48, right: 48, top: 32, bottom: 64 },
    legend: { top: 0, textStyle: baseTextStyle, data: [count, cumulative] },
    xAxis: { type: 'category', data: input.entries.map((e) => e.key), axisLabel: { interval: 0, rotate: 30, fontSize: 9 } },
    yAxis: [
      { type: 'value', name: count, minInterval: 1, splitLine: { lineStyle: { color: CHART_COLORS.grid } } },
      { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value} %' }, splitLine: { show: false } },
    ],
    series: [
      { name: count, type: 'bar', itemStyle: { color: CHART_COLORS.loss }, label: { show: true, position: 'top', fontSize: 9 }, data: input.entries.map((e) => e.count) },
      { name: cumulative, type: 'line', yAxisIndex: 1, symbol: 'circle', symbolSize: 5, lineStyle: { color: CHART_COLORS.line }, itemStyle: { color: CHART_COLORS.line }, data: input.entries.map((e) => Math.round(e.cumulativeShare * 1000) / 10) },
    ],
  };
}

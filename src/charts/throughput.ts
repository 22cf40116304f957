/**
 * Throughput over time: good and scrapped cards per bucket (stacked bars) and good cards an hour of
 * planned busy time (a line on the right axis). The caller names the buckets (a local time, in the
 * site's zone) so this stays free of time zones. Pure: data in, an ECharts option out.
 */
import type { EChartsOption } from 'echarts';
import { baseTextStyle, CHART_COLORS } from './theme.ts';

export interface ThroughputBucket {
  /** The bucket's name on the axis, e.g. "06:15". */
  readonly label: string;
  readonly good: number;
  readonly spoiled: number;
  readonly goodCardsPerHour: number;
}

export interface ThroughputInput {
  readonly buckets: readonly ThroughputBucket[];
  /** Series names: good, scrap, good cards/h. */
  readonly names?: readonly [string, string, string];
}

export function throughputOption(input: ThroughputInput): EChartsOption {
  const [good, scrap, rate] = input.names ?? ['good', 'scrap', 'good cards/h'];
  return {
    textStyle: baseTextStyle,
    grid: { left: 48, right: 56, top: 32, bottom: 36 },
    legend: { top: 0, textStyle: baseTextStyle, data: [good, scrap, rate] },
    xAxis: { type: 'category', data: input.buckets.map((b) => b.label), axisLabel: { fontSize: 9, hideOverlap: true } },
    yAxis: [
      { type: 'value', name: 'cards', minInterval: 1, splitLine: { lineStyle: { color: CHART_COLORS.grid } } },
      { type: 'value', name: 'cards/h', splitLine: { show: false } },
    ],
    series: [
      { name: good, type: 'bar', stack: 'cards', itemStyle: { color: CHART_COLORS.level }, data: input.buckets.map((b) => b.good) },
      { name: scrap, type: 'bar', stack: 'cards', itemStyle: { color: CHART_COLORS.loss }, data: input.buckets.map((b) => b.spoiled) },
      { name: rate, type: 'line', yAxisIndex: 1, symbol: 'circle', symbolSize: 4, lineStyle: { color: CHART_COLORS.line }, itemStyle: { color: CHART_COLORS.line }, data: input.buckets.map((b) => Math.round(b.goodCardsPerHour)) },
    ],
  };
}

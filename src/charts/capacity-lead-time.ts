/** The distribution of the good cards' lead times (feeding to leaving the line) as a histogram, with the percentiles named. */
import type { EChartsOption } from 'echarts';
import { baseTextStyle, CAPACITY_ACCENT, CAPACITY_GREY } from './capacity-common.ts';

export interface LeadTimeHistogram {
  readonly edgesMs: readonly number[];
  readonly counts: readonly number[];
}

export function leadTimeOption(histogram: LeadTimeHistogram, percentiles: { readonly p50: number; readonly p90: number; readonly p99: number }): EChartsOption {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const labels = histogram.counts.map((_, i) => s(((histogram.edgesMs[i] ?? 0) + (histogram.edgesMs[i + 1] ?? 0)) / 2));
  return {
    textStyle: baseTextStyle,
    title: {
      text: 'Lead time of the good cards',
      subtext: `p50 ${s(percentiles.p50)} · p90 ${s(percentiles.p90)} · p99 ${s(percentiles.p99)}`,
      left: 'center',
      textStyle: { fontSize: 14 },
      subtextStyle: { color: CAPACITY_GREY },
    },
    grid: { left: 60, right: 30, top: 60, bottom: 50 },
    xAxis: { type: 'category', data: labels, name: 'lead time', nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'value', name: 'cards', min: 0 },
    series: [{ name: 'cards', type: 'bar', barCategoryGap: '5%', itemStyle: { color: CAPACITY_ACCENT }, data: [...histogram.counts] }],
  };
}

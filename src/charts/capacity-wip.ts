/** Cards in the line over simulated time (the mean of each span), with the run's mean as a marked line. */
import type { EChartsOption } from 'echarts';
import { baseTextStyle, CAPACITY_ACCENT, CAPACITY_GREY } from './capacity-common.ts';

export function wipOverTimeOption(bucketMs: number, mean: readonly number[], overallMean: number): EChartsOption {
  const hours = mean.map((_, i) => Number(((i * bucketMs) / 3_600_000).toFixed(2)));
  return {
    textStyle: baseTextStyle,
    title: { text: 'WIP over time (cards in the line)', left: 'center', textStyle: { fontSize: 14 } },
    grid: { left: 60, right: 80, top: 50, bottom: 50 },
    xAxis: { type: 'category', data: hours.map(String), name: 'simulated h', nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'value', name: 'cards', min: 0 },
    series: [
      {
        name: 'WIP',
        type: 'line',
        showSymbol: false,
        data: mean.map((m) => Number(m.toFixed(2))),
        lineStyle: { color: CAPACITY_ACCENT },
        markLine: {
          symbol: 'none',
          lineStyle: { color: CAPACITY_GREY, type: 'dashed' },
          label: { formatter: `mean ${overallMean.toFixed(1)}` },
          data: [{ yAxis: Number(overallMean.toFixed(2)) }],
        },
      },
    ],
  };
}

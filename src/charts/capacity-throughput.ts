/**
 * Throughput against a swept parameter (`cardline simulate --sweep`): good cards an hour at each
 * value, the 95 % confidence interval as whiskers, each point labelled with its rate.
 */
import type { EChartsOption } from 'echarts';
import { baseTextStyle, CAPACITY_ACCENT, CAPACITY_GREY, wholeNumber } from './capacity-common.ts';

export interface ThroughputPoint {
  readonly value: number;
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  /** The bottleneck at this value (stations that tie joined by "and"). */
  readonly bottleneck: string;
}

export function throughputVsParameterOption(parameter: string, points: readonly ThroughputPoint[]): EChartsOption {
  const categories = points.map((p) => String(p.value));
  return {
    textStyle: baseTextStyle,
    title: { text: `Throughput vs ${parameter}`, left: 'center', textStyle: { fontSize: 14 } },
    grid: { left: 70, right: 30, top: 50, bottom: 60 },
    xAxis: { type: 'category', data: categories, name: parameter, nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'value', name: 'good cards/h', nameTextStyle: { color: CAPACITY_GREY }, min: 0 },
    series: [
      {
        name: 'throughput',
        type: 'line',
        data: points.map((p) => p.mean),
        lineStyle: { color: CAPACITY_ACCENT },
        itemStyle: { color: CAPACITY_ACCENT },
        label: { show: true, position: 'top', formatter: (p) => wholeNumber(Number(p.value)) },
      },
      {
        // The confidence interval: a vertical whisker a value (low → high).
        name: '95 % CI',
        type: 'custom',
        data: points.map((p, i) => [i, p.low, p.high]),
        renderItem: (_params, api) => {
          const low = api.coord([api.value(0), api.value(1)]);
          const high = api.coord([api.value(0), api.value(2)]);
          return {
            type: 'group',
            children: [
              { type: 'line', shape: { x1: low[0]!, y1: low[1]!, x2: high[0]!, y2: high[1]! }, style: { stroke: CAPACITY_GREY, lineWidth: 1 } },
              { type: 'line', shape: { x1: low[0]! - 4, y1: low[1]!, x2: low[0]! + 4, y2: low[1]! }, style: { stroke: CAPACITY_GREY, lineWidth: 1 } },
              { type: 'line', shape: { x1: high[0]! - 4, y1: high[1]!, x2: high[0]! + 4, y2: high[1]! }, style: { stroke: CAPACITY_GREY, lineWidth: 1 } },
            ],
          };
        },
        z: 1,
      },
    ],
  };
}

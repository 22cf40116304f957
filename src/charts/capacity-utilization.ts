/**
 * Each station's time by state (working, idle, blocked, held by a jam, down, paused for a planned
 * stop), as stacked horizontal bars in route order; the working share is written on its bar.
 */
import type { EChartsOption } from 'echarts';
import { baseTextStyle, percent, STATE_COLOURS } from './capacity-common.ts';

export interface StationShares {
  readonly id: string;
  readonly shares: Readonly<Record<string, number>>;
}

export function utilizationOption(stations: readonly StationShares[], states: readonly string[]): EChartsOption {
  // Route order from the top.
  const ordered = [...stations].reverse();
  return {
    textStyle: baseTextStyle,
    title: { text: 'Time by state, per station', left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0, data: [...states] },
    grid: { left: 80, right: 30, top: 40, bottom: 50 },
    xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value} %' } },
    yAxis: { type: 'category', data: ordered.map((s) => s.id) },
    series: states.map((state) => ({
      name: state,
      type: 'bar' as const,
      stack: 'time',
      itemStyle: { color: STATE_COLOURS[state] ?? '#9ca3af' },
      data: ordered.map((s) => Number((100 * (s.shares[state] ?? 0)).toFixed(2))),
      label: state === 'working' ? { show: true, position: 'insideLeft' as const, color: '#ffffff', formatter: (p: { value: unknown }) => percent(Number(p.value) / 100) } : { show: false },
    })),
  };
}

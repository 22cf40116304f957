/**
 * Per-station utilization: each station's time split into producing (APT), delay (ADET), down
 * (ADOT) and planned down, as stacked horizontal bars in percent of the time it was on record, so
 * stations with several heads compare with single ones. Pure: data in, an ECharts option out.
 */
import type { EChartsOption } from 'echarts';
import { baseTextStyle, CHART_COLORS } from './theme.ts';

export interface UtilizationStation {
  readonly name: string;
  readonly aptMs: number;
  readonly adetMs: number;
  readonly adotMs: number;
  readonly pdotMs: number;
}

export interface UtilizationInput {
  readonly stations: readonly UtilizationStation[];
  /** Series names: producing, delay, down, planned down. */
  readonly names?: readonly [string, string, string, string];
}

const share = (part: number, whole: number): number => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0);

export function utilizationOption(input: UtilizationInput): EChartsOption {
  const names = input.names ?? ['producing', 'delay', 'down', 'planned down'];
  const keys = ['aptMs', 'adetMs', 'adotMs', 'pdotMs'] as const;
  const colors = [CHART_COLORS.producing, CHART_COLORS.delay, CHART_COLORS.down, CHART_COLORS.plannedDown];
  // Top to bottom in the order given: a category axis draws its first entry at the bottom.
  const stations = [...input.stations].reverse();
  return {
    textStyle: baseTextStyle,
    grid: { left: 96, right: 24, top: 32, bottom: 28 },
    legend: { top: 0, textStyle: baseTextStyle, data: [...names] },
    xAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value} %' }, splitLine: { lineStyle: { color: CHART_COLORS.grid } } },
    yAxis: { type: 'category', data: stations.map((s) => s.name), axisLabel: { fontSize: 9 } },
    series: keys.map((key, i) => ({
      name: names[i]!,
      type: 'bar' as const,
      stack: 'time',
      itemStyle: { color: colors[i]! },
      data: stations.map((s) => share(s[key], s.aptMs + s.adetMs + s.adotMs + s.pdotMs)),
    })),
  };
}

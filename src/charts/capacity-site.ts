/**
 * `cardline simulate site`: good cards a day one line makes under each shift pattern, a bar a line
 * kind, each labelled with the lines the daily target needs and their margin.
 */
import type { EChartsOption } from 'echarts';
import { baseTextStyle, CAPACITY_GREY, wholeNumber } from './capacity-common.ts';

export interface SitePlanBar {
  readonly kind: string;
  /** The pattern's name, e.g. "morning + afternoon". */
  readonly pattern: string;
  readonly cardsPerDay: number;
  readonly linesNeeded: number;
  readonly margin: number;
}

const KIND_COLOURS = ['#1d4ed8', '#0f766e', '#7c3aed', '#b45309'];

export function sitePlanOption(target: number, bars: readonly SitePlanBar[]): EChartsOption {
  const patterns = [...new Set(bars.map((b) => b.pattern))];
  const kinds = [...new Set(bars.map((b) => b.kind))];
  return {
    textStyle: baseTextStyle,
    title: { text: `Lines for ${wholeNumber(target)} good cards a day`, subtext: 'bars: cards a day one line makes; labels: lines needed and their margin', left: 'center', textStyle: { fontSize: 14 }, subtextStyle: { color: CAPACITY_GREY } },
    legend: { bottom: 0, data: kinds },
    grid: { left: 80, right: 30, top: 70, bottom: 60 },
    xAxis: { type: 'category', data: patterns },
    yAxis: { type: 'value', name: 'cards/day a line', min: 0 },
    series: kinds.map((kind, i) => ({
      name: kind,
      type: 'bar' as const,
      itemStyle: { color: KIND_COLOURS[i % KIND_COLOURS.length]! },
      data: patterns.map((p) => {
        const b = bars.find((x) => x.kind === kind && x.pattern === p);
        return b ? { value: Math.round(b.cardsPerDay), label: { show: true, position: 'top' as const, formatter: `${b.linesNeeded} lines, ${b.margin >= 0 ? '+' : ''}${(100 * b.margin).toFixed(1)}%` } } : null;
      }),
    })),
  };
}

/**
 * The chart option builders: data in, the series ECharts draws out — checked on the figures of a
 * worked example (a 8 h shift: 7 h producing of 7.5 h planned busy time; 0.25 s a card planned,
 * 90,000 cards produced, 88,200 good), and each option drawn to SVG by the server-side renderer.
 */
import { describe, expect, it } from 'vitest';
import { oeeWaterfallOption, waterfallUnit } from './oee-waterfall.ts';
import { paretoOption } from './pareto.ts';
import { renderSvg } from './svg.ts';
import { throughputOption } from './throughput.ts';
import { CHART_COLORS } from './theme.ts';
import { utilizationOption } from './utilization.ts';

const HOUR = 3_600_000;

type Series = { name?: string; type: string; data: unknown[]; yAxisIndex?: number; stack?: string };
const seriesOf = (option: unknown): Series[] => (option as { series: Series[] }).series;

describe('oeeWaterfallOption', () => {
  // PBT 7.5 h, APT 7 h, PRI × PQ = 0.25 s × 90,000 = 6.25 h, PRI × GQ = 0.25 s × 88,200 = 6.125 h: OEE = 6.125 / 7.5 = 81.7 %.
  const option = oeeWaterfallOption({ plannedMs: 7.5 * HOUR, availableMs: 7 * HOUR, performingMs: 6.25 * HOUR, goodMs: 6.125 * HOUR });

  it('stands each level on 0 and floats each loss between the levels it separates, in hours', () => {
    const [base, bar] = seriesOf(option);
    expect(base!.data).toStrictEqual([0, 7, 0, 6.25, 0, 6.125, 0]);
    expect((bar!.data as { value: number }[]).map((d) => d.value)).toStrictEqual([7.5, 0.5, 7, 0.75, 6.25, 0.125, 6.125]);
    expect((option.yAxis as { name: string }).name).toBe('h');
  });

  it('draws a gain (faster than planned) from the lower level up, and a short run in seconds', () => {
    const fast = oeeWaterfallOption({ plannedMs: 60_000, availableMs: 50_000, performingMs: 55_000, goodMs: 55_000 });
    const [base, bar] = seriesOf(fast);
    expect(base!.data).toStrictEqual([0, 50, 0, 50, 0, 55, 0]);
    expect((bar!.data as { value: number }[]).map((d) => d.value)).toStrictEqual([60, 10, 50, 5, 55, 0, 55]);
    const colors = (bar!.data as { itemStyle: { color: string } }[]).map((d) => d.itemStyle.color);
    expect([colors[1], colors[3]]).toStrictEqual([CHART_COLORS.loss, CHART_COLORS.producing]);
    expect([waterfallUnit(60_000).name, waterfallUnit(10 * 60_000).name, waterfallUnit(8 * HOUR).name]).toStrictEqual(['s', 'min', 'h']);
  });

  it('renders to an SVG with its category names', async () => {
    const svg = await renderSvg(option, 600, 260);
    expect(svg).toContain('Quality loss');
    expect(svg.match(/<path/g)?.length ?? 0).toBeGreaterThan(7);
  });
});

describe('throughputOption', () => {
  it('stacks good and scrap cards per bucket and draws good cards/h on the right axis', async () => {
    const option = throughputOption({
      buckets: [
        { label: '06:00', good: 40, spoiled: 2, goodCardsPerHour: 160.4 },
        { label: '06:15', good: 38, spoiled: 0, goodCardsPerHour: 151.6 },
      ],
    });
    expect(seriesOf(option).map((s) => ({ name: s.name, type: s.type, data: s.data, axis: s.yAxisIndex ?? 0 }))).toStrictEqual([
      { name: 'good', type: 'bar', data: [40, 38], axis: 0 },
      { name: 'scrap', type: 'bar', data: [2, 0], axis: 0 },
      { name: 'good cards/h', type: 'line', data: [160, 152], axis: 1 },
    ]);
    expect(await renderSvg(option, 600, 240)).toContain('06:15');
  });
});

describe('paretoOption', () => {
  it('draws counts largest first and the cumulative share in percent', async () => {
    const option = paretoOption({
      entries: [
        { key: 'PRINT_GRADE_LOW', count: 6, cumulativeShare: 0.6 },
        { key: 'CHIP_WRITE_FAILED', count: 3, cumulativeShare: 0.9 },
        { key: 'CARD_JAM', count: 1, cumulativeShare: 1 },
      ],
      names: ['thẻ hỏng / rejects', 'tích lũy / cumulative %'],
    });
    expect(seriesOf(option).map((s) => [s.name, s.data])).toStrictEqual([
      ['thẻ hỏng / rejects', [6, 3, 1]],
      ['tích lũy / cumulative %', [60, 90, 100]],
    ]);
    const svg = await renderSvg(option, 600, 240);
    expect(svg).toContain('CHIP_WRITE_FAILED');
    expect(svg).toContain('tích lũy / cumulative %');
  });
});

describe('utilizationOption', () => {
  it('splits each station’s time into shares of its own total, first station on top', () => {
    const option = utilizationOption({
      stations: [
        { name: 'encoder', aptMs: 6 * HOUR, adetMs: 1 * HOUR, adotMs: 0.5 * HOUR, pdotMs: 0.5 * HOUR },
        { name: 'laser', aptMs: 3 * HOUR, adetMs: 0, adotMs: 1 * HOUR, pdotMs: 0 },
      ],
    });
    expect((option.yAxis as { data: string[] }).data).toStrictEqual(['laser', 'encoder']);
    expect(seriesOf(option).map((s) => [s.name, s.data])).toStrictEqual([
      ['producing', [75, 75]],
      ['delay', [0, 12.5]],
      ['down', [25, 6.3]],
      ['planned down', [0, 6.3]],
    ]);
  });

  it('gives a station with no time on record zero shares, not NaN', () => {
    const option = utilizationOption({ stations: [{ name: 'qa', aptMs: 0, adetMs: 0, adotMs: 0, pdotMs: 0 }] });
    expect(seriesOf(option).map((s) => s.data)).toStrictEqual([[0], [0], [0], [0]]);
  });
});

describe('the chart modules', () => {
  it('import nothing but each other and echarts types, so the browser bundle can import them', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const dir = import.meta.dirname;
    const offending: string[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const text = await readFile(`${dir}/${file}`, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)) if (!m[1]!.startsWith('./') && m[1] !== 'echarts') offending.push(`${file}: ${m[1]}`);
    }
    expect(offending).toStrictEqual([]);
  });
});

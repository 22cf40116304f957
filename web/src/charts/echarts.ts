/**
 * ECharts in the browser with only what the screens draw (bar and line charts on a grid with a
 * legend and tooltips, SVG renderer): the whole of `echarts` would not fit the bundle budget. The
 * options come from the same pure builders as the reports' charts (src/charts/).
 */
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { init, use, type EChartsCoreOption, type EChartsType } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/** Draws `option` into `element` (a new chart, or the one already there) and follows its size. */
export function drawChart(element: HTMLElement, option: EChartsCoreOption): { update: (next: EChartsCoreOption) => void; dispose: () => void } {
  const chart: EChartsType = init(element, undefined, { renderer: 'svg' });
  chart.setOption(option);
  const resize = new ResizeObserver(() => chart.resize());
  resize.observe(element);
  return {
    update: (next) => chart.setOption(next, { notMerge: true }),
    dispose: () => {
      resize.disconnect();
      chart.dispose();
    },
  };
}

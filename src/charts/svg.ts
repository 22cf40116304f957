/**
 * Server-side chart rendering: an ECharts option drawn to an SVG string, with no browser and no
 * canvas. The reports (PDF through svg-to-pdfkit), the capacity study's HTML and the web screens all
 * draw their charts from the same option builders (src/charts/*.ts, no Node imports), so a chart in
 * a report is the chart on the screen.
 */
import type { EChartsOption } from 'echarts';

/** Draws `option` as an SVG document `width` × `height` CSS pixels; animation is always off. */
export async function renderSvg(option: EChartsOption, width: number, height: number): Promise<string> {
  const echarts = await import('echarts');
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ ...option, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

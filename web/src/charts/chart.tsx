/**
 * A chart on a screen: an ECharts drawing hidden from assistive technology, and its figures said in
 * `label` (role img) and, for whoever wants to read them, in the table given as children.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { EChartsCoreOption } from 'echarts/core';
import { drawChart } from './echarts.ts';

export function Chart({ option, label, height = 260, children }: { readonly option: EChartsCoreOption; readonly label: string; readonly height?: number; readonly children?: ComponentChildren }) {
  const box = useRef<HTMLDivElement>(null);
  const drawn = useRef<ReturnType<typeof drawChart> | undefined>(undefined);
  useEffect(() => {
    if (!box.current) return undefined;
    drawn.current = drawChart(box.current, option);
    return () => {
      drawn.current?.dispose();
      drawn.current = undefined;
    };
  }, []);
  useEffect(() => {
    drawn.current?.update(option);
  }, [option]);
  return (
    <figure class="chart">
      <div ref={box} class="chart-canvas" role="img" aria-label={label} style={{ height: `${height}px` }} />
      {children ? <figcaption>{children}</figcaption> : null}
    </figure>
  );
}

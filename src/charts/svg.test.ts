import { describe, expect, it } from 'vitest';
import { renderSvg } from './svg.ts';

describe('renderSvg', () => {
  it('draws an option as a standalone SVG document of the asked size, with the data in it', async () => {
    const svg = await renderSvg({ xAxis: { type: 'category', data: ['06:00', '07:00'] }, yAxis: { type: 'value' }, series: [{ type: 'bar', data: [120, 340] }] }, 480, 240);
    expect(svg).toMatch(/^<svg[^>]+width="480" height="240"/);
    expect(svg).toContain('07:00');
    expect(svg.match(/<path/g)?.length ?? 0).toBeGreaterThan(2);
  });
});

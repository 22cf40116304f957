/**
 * `cardline simulate --out DIR` (issue 19, deliverable 3): the HTML report and the SVG charts are
 * written, each SVG is well-formed XML (parsed by Chromium's DOMParser, which reports a
 * <parsererror> for anything else) and carries the run's own figures as text (the sweep's rates,
 * the stations' working shares, the lead-time percentiles); the HTML page loads nothing from
 * anywhere (every request the page makes is recorded) and holds the charts inline.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulate, runSimulateSite } from '../src/cli/commands/simulate.ts';
import type { SitePlan } from '../simulators/virtual/site-plan.ts';
import type { Figures } from '../simulators/virtual/figures.ts';

const DEMO = path.resolve(import.meta.dirname, '../config/lines/demo-opcua.yaml');
const SITE = path.resolve(import.meta.dirname, '../config/site.yaml');
let dir: string;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-simulate-report-'));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The SVG's text nodes, or the parser's error. */
async function parseSvg(svg: string): Promise<{ error: string | null; root: string; texts: string[] }> {
  const page = await browser.newPage();
  try {
    // A string to evaluate in the page (the test's own TypeScript has no DOM types).
    const script = `(() => {
      const doc = new DOMParser().parseFromString(${JSON.stringify(svg)}, 'image/svg+xml');
      const error = doc.getElementsByTagName('parsererror')[0];
      return { error: error ? (error.textContent || 'parsererror') : null, root: doc.documentElement.nodeName, texts: [...doc.getElementsByTagName('text')].map((t) => t.textContent || '') };
    })()`;
    return await page.evaluate<{ error: string | null; root: string; texts: string[] }>(script);
  } finally {
    await page.close();
  }
}

const whole = (x: number): string => Math.round(x).toLocaleString('en-US');

describe('cardline simulate --out', () => {
  it('writes a self-contained HTML report and SVG charts that hold the sweep’s figures', async () => {
    const out = path.join(dir, 'sweep');
    const lines: string[] = [];
    const code = await runSimulate({ line: DEMO, cards: '300', seed: '7', sweep: 'encoder.heads=4..6', json: true, out }, (l) => lines.push(l));
    expect(code).toBe(0);
    // Standard output holds the JSON alone.
    expect(lines).toHaveLength(1);
    const { points } = JSON.parse(lines[0]!) as { points: { value: number; figures: Figures }[] };
    expect((await readdir(out)).sort()).toStrictEqual(['index.html', 'lead-time.svg', 'throughput.svg', 'utilization.svg', 'wip.svg']);

    const throughput = await parseSvg(await readFile(path.join(out, 'throughput.svg'), 'utf8'));
    expect(throughput.error).toBeNull();
    expect(throughput.root).toBe('svg');
    for (const p of points) {
      expect(throughput.texts).toContain(String(p.value));
      expect(throughput.texts).toContain(whole(p.figures.throughputCardsPerH.mean));
    }
    expect(throughput.texts).toContain('encoder.heads');

    // The other charts are of the sweep's best point (6 heads: encoder and laser tie).
    const best = points[2]!.figures;
    const utilization = await parseSvg(await readFile(path.join(out, 'utilization.svg'), 'utf8'));
    expect(utilization.error).toBeNull();
    for (const s of best.stations) {
      expect(utilization.texts).toContain(s.id);
      expect(utilization.texts).toContain(`${(100 * s.shares.working).toFixed(1)}%`);
    }
    const lead = await parseSvg(await readFile(path.join(out, 'lead-time.svg'), 'utf8'));
    expect(lead.error).toBeNull();
    expect(lead.texts.join(' ')).toContain(`p90 ${(best.leadTimeMs.p90 / 1000).toFixed(1)} s`);
    const wip = await parseSvg(await readFile(path.join(out, 'wip.svg'), 'utf8'));
    expect(wip.error).toBeNull();
    expect(wip.texts).toContain(`mean ${best.wip.mean.toFixed(1)}`);

    const html = await readFile(path.join(out, 'index.html'), 'utf8');
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    try {
      await page.goto(`file://${path.join(out, 'index.html')}`);
      expect(requests).toStrictEqual([`file://${path.join(out, 'index.html')}`]);
      expect(await page.locator('figure svg').count()).toBe(4);
      const text = await page.locator('body').innerText();
      expect(text).toContain('Sweep of encoder.heads');
      expect(text).toContain('encoder and laser (tie)');
      expect(text).toMatch(/KPIs \(ISO 22400-2, from the simulated journal\)/);
    } finally {
      await page.close();
    }
    expect(html).not.toMatch(/<script|<link|src="http/);
  }, 120_000);

  it('a single run writes the three charts of a run, and says where in its text output', async () => {
    const out = path.join(dir, 'one');
    const lines: string[] = [];
    expect(await runSimulate({ line: DEMO, hours: '1', out }, (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toBe(`report: ${['utilization.svg', 'wip.svg', 'lead-time.svg', 'index.html'].map((f) => path.join(out, f)).join(', ')}`);
    for (const f of ['utilization.svg', 'wip.svg', 'lead-time.svg']) expect((await parseSvg(await readFile(path.join(out, f), 'utf8'))).error).toBeNull();
  }, 60_000);

  it('simulate site --out charts the lines each shift pattern needs, with their margins', async () => {
    const out = path.join(dir, 'site');
    const lines: string[] = [];
    expect(await runSimulateSite({ site: SITE, cardsPerDay: '500000', shifts: '1,3', replications: '1', json: true, out }, (l) => lines.push(l))).toBe(0);
    const plan = JSON.parse(lines[0]!) as SitePlan;
    expect((await readdir(out)).sort()).toStrictEqual(['index.html', 'site-plan.svg']);
    const chart = await parseSvg(await readFile(path.join(out, 'site-plan.svg'), 'utf8'));
    expect(chart.error).toBeNull();
    for (const r of plan.rows) {
      expect(chart.texts).toContain(r.shifts.join(' + '));
      expect(chart.texts).toContain(`${r.linesNeeded} lines, +${(100 * r.margin).toFixed(1)}%`);
    }
    const html = await readFile(path.join(out, 'index.html'), 'utf8');
    expect(html).toContain('Lines and shifts for 500,000 good cards a day');
    expect(html).not.toMatch(/<script|<link|src="http/);
  }, 120_000);
});

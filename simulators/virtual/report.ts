/**
 * `cardline simulate --out DIR`: the capacity study as files — one self-contained HTML page (no
 * script, no CDN, no web font: the charts are inline SVG) and each chart as its own SVG file, drawn
 * by the reports' renderer (src/charts/svg.ts) from the option builders of src/charts/capacity-*.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { leadTimeOption } from '../../src/charts/capacity-lead-time.ts';
import { sitePlanOption } from '../../src/charts/capacity-site.ts';
import { throughputVsParameterOption } from '../../src/charts/capacity-throughput.ts';
import { utilizationOption } from '../../src/charts/capacity-utilization.ts';
import { wipOverTimeOption } from '../../src/charts/capacity-wip.ts';
import { renderSvg } from '../../src/charts/svg.ts';
import { UNIT_STATES } from './engine.ts';
import type { Figures } from './figures.ts';
import type { SitePlan } from './site-plan.ts';

export interface SweepPoint {
  readonly value: number;
  readonly figures: Figures;
}

export interface CapacityStudy {
  /** The command line that made it (shown at the top). */
  readonly command: string;
  /** One run's figures, or a sweep's points (the charts of one run then show its best point). */
  readonly figures?: Figures;
  readonly sweep?: { readonly parameter: string; readonly points: readonly SweepPoint[] };
  /** A site's plan (`simulate site`): charted as lines a pattern. */
  readonly site?: SitePlan;
  /** Extra sections of text (site answers), each a title and a table. */
  readonly sections?: readonly { readonly title: string; readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] }[];
}

export interface Chart {
  readonly file: string;
  readonly title: string;
  readonly svg: string;
}

const WIDTH = 720;
const HEIGHT = 360;

/** The point of a sweep whose charts the report draws: the highest throughput (the smallest value among equals). */
export function bestPoint(points: readonly SweepPoint[]): SweepPoint {
  return points.reduce((best, p) => (p.figures.throughputCardsPerH.mean > best.figures.throughputCardsPerH.mean * (1 + 1e-9) ? p : best));
}

export async function capacityCharts(study: CapacityStudy): Promise<Chart[]> {
  const charts: Chart[] = [];
  if (study.site) {
    const bars = study.site.rows.map((r) => ({ kind: r.kind, pattern: r.shifts.join(' + '), cardsPerDay: r.cardsPerDay.mean, linesNeeded: r.linesNeeded, margin: r.margin }));
    charts.push({ file: 'site-plan.svg', title: 'Lines a shift pattern', svg: await renderSvg(sitePlanOption(study.site.cardsPerDay, bars), WIDTH, HEIGHT) });
  }
  if (study.sweep) {
    const points = study.sweep.points.map((p) => ({
      value: p.value,
      ...p.figures.throughputCardsPerH,
      bottleneck: p.figures.bottleneck.stations.join(' and '),
    }));
    charts.push({ file: 'throughput.svg', title: `Throughput vs ${study.sweep.parameter}`, svg: await renderSvg(throughputVsParameterOption(study.sweep.parameter, points), WIDTH, HEIGHT) });
  }
  const f = study.figures ?? (study.sweep ? bestPoint(study.sweep.points).figures : undefined);
  if (f) {
    charts.push({ file: 'utilization.svg', title: 'Time by state, per station', svg: await renderSvg(utilizationOption(f.stations, UNIT_STATES), WIDTH, HEIGHT) });
    charts.push({ file: 'wip.svg', title: 'WIP over time', svg: await renderSvg(wipOverTimeOption(f.wipOverTime.bucketMs, f.wipOverTime.mean, f.wip.mean), WIDTH, HEIGHT) });
    charts.push({ file: 'lead-time.svg', title: 'Lead time', svg: await renderSvg(leadTimeOption(f.leadTimeHistogram, f.leadTimeMs), WIDTH, HEIGHT) });
  }
  return charts;
}

/** Writes index.html and the SVG files into `dir` (made if missing); returns the paths written. */
export async function writeCapacityReport(dir: string, study: CapacityStudy): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const charts = await capacityCharts(study);
  const written: string[] = [];
  for (const c of charts) {
    const file = path.join(dir, c.file);
    await writeFile(file, c.svg);
    written.push(file);
  }
  const html = path.join(dir, 'index.html');
  await writeFile(html, capacityHtml(study, charts));
  written.push(html);
  return written;
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const whole = (x: number): string => Math.round(x).toLocaleString('en-US');
const pct = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function figuresHtml(f: Figures): string {
  const t = f.throughputCardsPerH;
  const b = f.bottleneck;
  const summary: [string, string][] = [
    ['throughput', `${whole(t.mean)} good cards/h${f.replications > 1 ? ` (95 % CI ${whole(t.low)}–${whole(t.high)}, ${f.replications} replications)` : ''}`],
    ['good / spoiled', `${whole(f.good)} / ${whole(f.spoiled)}`],
    ['blanks per good card', f.blanksPerGoodCard.toFixed(3)],
    ['records', `${whole(f.records.produced)} produced, ${whole(f.records.failed)} failed, ${whole(f.records.remakes)} re-makes`],
    ['bottleneck', `${b.stations.join(' and ')}${b.tie ? ' (a tie)' : ''} at ${whole(b.nominalCardsPerH)} cards/h nominal; busiest measured: ${b.busiest.join(', ')}`],
    ['WIP', `mean ${f.wip.mean.toFixed(1)}, p50 ${f.wip.p50}, p90 ${f.wip.p90}, max ${f.wip.max}`],
    ['lead time', `mean ${sec(f.leadTimeMs.mean)}, p50 ${sec(f.leadTimeMs.p50)}, p90 ${sec(f.leadTimeMs.p90)}, p99 ${sec(f.leadTimeMs.p99)}`],
  ];
  let html = `<h2>Line ${escape(f.line)}</h2><p class="meta">seed ${escape(f.seed)} · ${'cards' in f.run ? `a batch of ${whole(f.run.cards)} records` : `${f.run.hours} h`} · ${f.simulatedHours.toFixed(2)} simulated h a replication</p>`;
  html += table(['figure', 'value'], summary);
  html += '<h3>Stations</h3>';
  html += table(
    ['station', 'units', 'nominal/h', 'utilization', ...UNIT_STATES, 'wait', 'queue'],
    f.stations.map((s) => [s.id, String(s.units), whole(s.nominalCardsPerH), pct(s.utilization), ...UNIT_STATES.map((st) => pct(s.shares[st])), sec(s.meanWaitMs), s.meanQueue.toFixed(2)]),
  );
  if (f.kpis) {
    const k = f.kpis;
    html += '<h3>KPIs (ISO 22400-2, from the simulated journal)</h3>';
    html += table(
      ['', 'availability', 'effectiveness', 'quality', 'OEE', 'first-pass yield', 'blanks per good card'],
      [
        ['line', pct(k.line.availability), pct(k.line.effectiveness), pct(k.line.qualityRatio), pct(k.line.oee), pct(k.line.firstPassYield), k.line.blanksPerGoodCard?.toFixed(3) ?? '–'],
        ...k.stations.map((s) => [s.station, pct(s.availability), pct(s.effectiveness), pct(s.qualityRatio), pct(s.oee), '', '']),
      ],
    );
  }
  return html;
}

export function capacityHtml(study: CapacityStudy, charts: readonly Chart[]): string {
  let body = `<h1>Capacity study</h1><p class="meta"><code>${escape(study.command)}</code></p>`;
  for (const s of study.sections ?? []) body += `<h2>${escape(s.title)}</h2>${table(s.head, s.rows)}`;
  if (study.sweep) {
    body += `<h2>Sweep of ${escape(study.sweep.parameter)}</h2>`;
    body += table(
      ['value', 'cards/h', '95 % CI', 'blanks/good', 'OEE', 'bottleneck'],
      study.sweep.points.map(({ value, figures: f }) => [
        String(value),
        whole(f.throughputCardsPerH.mean),
        f.replications > 1 ? `${whole(f.throughputCardsPerH.low)}–${whole(f.throughputCardsPerH.high)}` : '–',
        f.blanksPerGoodCard.toFixed(3),
        pct(f.kpis?.line.oee ?? null),
        `${f.bottleneck.stations.join(' and ')}${f.bottleneck.tie ? ' (tie)' : ''}`,
      ]),
    );
  }
  const f = study.figures ?? (study.sweep ? bestPoint(study.sweep.points).figures : undefined);
  if (f) {
    if (study.sweep) body += `<p class="meta">The figures and charts below are of the best value of the sweep.</p>`;
    body += figuresHtml(f);
  }
  for (const c of charts) body += `<figure><figcaption>${escape(c.title)}</figcaption>${c.svg}</figure>`;
  const style =
    'body{font-family:sans-serif;color:#111827;max-width:60rem;margin:2rem auto;padding:0 1rem}' +
    'table{border-collapse:collapse;margin:0.5rem 0 1rem}th,td{border-bottom:1px solid #e5e7eb;padding:0.2rem 0.6rem;text-align:right}' +
    'th:first-child,td:first-child{text-align:left}.meta{color:#6b7280}figure{margin:1.5rem 0}figcaption{color:#6b7280}';
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Capacity study</title><style>${style}</style></head><body>${body}</body></html>\n`;
}

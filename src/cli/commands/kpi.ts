/**
 * `cardline kpi`: ISO 22400-2 KPIs from the journal — of a batch, of a line over a period, or of a
 * shift (one line or every line) — as text or JSON (docs/kpis.md). Shifts and the time zone come
 * from the site file (config/site.yaml, or --site FILE; the defaults without one); planned run
 * times from the line files (config/lines/<line>.yaml, or --lines-dir DIR).
 */
import type { Command } from 'commander';
import { loadLineConfig } from '../../config/line-config.ts';
import { linePlan, loadLinePlan, type LinePlan } from '../../kpi/line-plan.ts';
import { answerKpiQuery, KpiQueryError, type KpiAnswer, type KpiQuery } from '../../kpi/query.ts';
import type { Kpis } from '../../kpi/report.ts';
import { parseSiteTime } from '../../kpi/shifts.ts';
import { loadSiteShifts, SiteFileError, type SiteShifts } from '../../kpi/site-file.ts';
import { KpiStore } from '../../store/kpi-store.ts';
import { withContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';
import { formatDuration } from '../run-progress.ts';

interface KpiOptions {
  batch?: string;
  line?: string;
  from?: string;
  to?: string;
  shift?: string;
  json?: boolean;
  site?: string;
  linesDir: string;
  bucket?: string;
}

export const DEFAULT_SITE_FILE = 'config/site.yaml';

function queryOf(o: KpiOptions, site: SiteShifts): KpiQuery {
  const asked = [o.batch !== undefined, o.shift !== undefined, o.from !== undefined || o.to !== undefined].filter(Boolean).length;
  if (asked !== 1) throw new CliError('say which KPIs: --batch ID, or --line ID --from T --to T, or --shift DATE/NAME [--line ID]');
  if (o.batch !== undefined) {
    if (o.line !== undefined) throw new CliError('--batch takes no --line: a batch’s KPIs are those of the lines it ran on');
    return { kind: 'batch', batchId: o.batch };
  }
  if (o.shift !== undefined) return { kind: 'shift', shift: o.shift, ...(o.line !== undefined ? { lineId: o.line } : {}) };
  if (o.line === undefined) throw new CliError('--from and --to need --line ID');
  const time = (name: 'from' | 'to', text: string | undefined): Date => {
    if (text === undefined) throw new CliError(`--${name} is missing: a period needs --from and --to`);
    const t = parseSiteTime(text, site.timeZone);
    if (!t) throw new CliError(`--${name} '${text}': expected a date and time such as 2026-12-07T22:00 (in ${site.timeZone}) or 2026-12-07T15:00Z`);
    return t;
  };
  return { kind: 'line', lineId: o.line, from: time('from', o.from), to: time('to', o.to) };
}

const pct = (v: number | null): string => (v === null ? '   n/a' : `${(v * 100).toFixed(1).padStart(5)} %`);
const dur = (ms: number | null): string => (ms === null ? 'n/a' : formatDuration(ms));
const int = (n: number): string => n.toLocaleString('en-US');

function headline(name: string, k: Kpis): string[] {
  const { sums: s, kpis: r } = k;
  return [
    `${name}: OEE ${pct(r.oee).trim()} = availability ${pct(r.availability).trim()} × effectiveness ${pct(r.effectiveness).trim()} × quality ${pct(r.qualityRatio).trim()}`,
    `  time: PBT ${dur(s.pbtMs)} = APT ${dur(s.aptMs)} + ADET ${dur(s.adetMs)} + ADOT ${dur(s.adotMs)}; planned down ${dur(s.pdotMs)}; ${s.failures} failure(s), MTBF ${dur(r.mtbfMs)}, MTTR ${dur(r.mttrMs)}`,
    `  cards: ${int(s.blanks)} blanks, ${int(s.pq)} out (${int(s.gq)} good, ${int(s.sq)} scrap); ${int(Math.round(r.goodCardsPerHour))} good cards/h; first-pass yield ${pct(r.firstPassYield).trim()}; ${r.blanksPerGoodCard === null ? 'n/a' : r.blanksPerGoodCard.toFixed(3)} blanks a good card`,
  ];
}

function printText(answer: KpiAnswer): void {
  const { scope, report } = answer;
  const what = scope.kind === 'batch' ? `batch ${scope.batchId}${scope.running ? ' (its run is under way: up to now)' : ''}` : scope.kind === 'shift' ? `shift ${scope.shift}${scope.lineId ? ` of line ${scope.lineId}` : ''}${scope.running ? ' (under way: up to now)' : ''}` : `line ${scope.lineId}${scope.running ? ' (the period is under way: up to now)' : ''}`;
  writeLine(`KPIs of ${what}, ${report.from} – ${report.to} (shifts in ${scope.timeZone})`);
  if (report.lines.length === 0) {
    writeLine('nothing on record in this period');
    return;
  }
  for (const l of report.lines) for (const text of headline(`line ${l.line}`, l)) writeLine(text);
  if (report.lines.length > 1) for (const text of headline('all lines', report.total)) writeLine(text);
  if (scope.linesWithoutPlan.length > 0) writeLine(`no line file for ${scope.linesWithoutPlan.join(', ')}: no planned run time, so effectiveness and OEE are n/a (--lines-dir DIR)`);
  writeLine('stations:        units   avail.   effect.  quality      OEE   MTBF      MTTR      scrap');
  for (const s of report.stations) {
    writeLine(
      `  ${`${report.lines.length > 1 ? `${s.line}/` : ''}${s.station}`.padEnd(16)}${String(s.units).padStart(4)}  ${pct(s.kpis.availability)}  ${pct(s.kpis.effectiveness)}  ${pct(s.kpis.qualityRatio)}  ${pct(s.kpis.oee)}  ${dur(s.kpis.mtbfMs).padEnd(8)}  ${dur(s.kpis.mttrMs).padEnd(8)}  ${int(s.sums.sq).padStart(5)}`,
    );
  }
  if (report.pareto.byReason.length > 0) {
    writeLine(`rejects by reason: ${report.pareto.byReason.map((p) => `${p.key} ${p.count} (${(p.share * 100).toFixed(0)} %)`).join(', ')}`);
    writeLine(`rejects by unit:   ${report.pareto.byUnit.map((p) => `${p.key} ${p.count}`).join(', ')}`);
  }
  writeLine(`throughput (${formatDuration(report.throughput.bucketMs)} buckets): ${report.throughput.buckets.map((b) => `${b.from.slice(11, 16)} ${b.good}`).join(' · ')}`);
}

/** The site's shifts and time zone: --site FILE, else config/site.yaml when present, else the defaults. */
export async function cliSiteShifts(siteFile: string | undefined): Promise<SiteShifts> {
  try {
    return siteFile !== undefined ? await loadSiteShifts(siteFile) : await loadSiteShifts(DEFAULT_SITE_FILE, true);
  } catch (error) {
    if (error instanceof SiteFileError) throw new CliError(error.message);
    throw error;
  }
}

/**
 * --line by id or by its line file (as `run` and `stock` take it), the planned run times of the
 * lines (that file's, else --lines-dir's) and --bucket in minutes: what `kpi` and `report` share.
 */
export async function cliLinePlans(o: { line?: string | undefined; linesDir: string; bucket?: string | undefined }): Promise<{ lineId: string | undefined; plan: (lineId: string) => Promise<LinePlan | undefined>; bucketMs: number | undefined }> {
  let lineFilePlan: LinePlan | undefined;
  if (o.line !== undefined && /\.ya?ml$/.test(o.line)) lineFilePlan = linePlan(await loadLineConfig(o.line));
  const plan = (lineId: string): Promise<LinePlan | undefined> => (lineFilePlan?.id === lineId ? Promise.resolve(lineFilePlan) : loadLinePlan(o.linesDir, lineId));
  const bucketMinutes = o.bucket === undefined ? undefined : Number(o.bucket);
  if (bucketMinutes !== undefined && !(Number.isInteger(bucketMinutes) && bucketMinutes >= 1 && bucketMinutes <= 1440)) throw new CliError(`--bucket '${o.bucket}': a whole number of minutes, 1 to 1440`);
  return { lineId: lineFilePlan?.id ?? o.line, plan, bucketMs: bucketMinutes === undefined ? undefined : bucketMinutes * 60_000 };
}

async function kpi(o: KpiOptions): Promise<number> {
  const site = await cliSiteShifts(o.site);
  const { lineId, plan, bucketMs } = await cliLinePlans(o);
  if (lineId !== undefined) o = { ...o, line: lineId };
  const query = queryOf(o, site);
  return withContext({ permissions: ['batch.read'], what: 'see KPIs' }, async (ctx) => {
    if (query.kind === 'batch' && !(await ctx.batches.getBatch(query.batchId))) throw new CliError(`batch ${query.batchId} does not exist (cardline batch list shows the batches)`);
    let answer: KpiAnswer;
    try {
      answer = await answerKpiQuery(new KpiStore(ctx.db), query, { site, plan, ...(bucketMs ? { bucketMs } : {}) });
    } catch (error) {
      if (error instanceof KpiQueryError) throw new CliError(`--${error.field}: ${error.message}`, error.notFound ? EXIT.invalid : EXIT.badInput);
      throw error;
    }
    if (o.json) writeLine(JSON.stringify({ scope: answer.scope, ...answer.report }));
    else printText(answer);
    return EXIT.ok;
  });
}

export function registerKpi(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('kpi')
    .description('ISO 22400-2 KPIs from the journal (docs/kpis.md): of a batch, a line over a period, or a shift')
    .option('--batch <id>', 'the KPIs of a batch’s runs and cards')
    .option('--line <id|file>', 'a line, by id or by its line file (with --from/--to, or to narrow --shift)')
    .option('--from <time>', 'start of the period: 2026-12-07T06:00 (site time zone) or ISO 8601 with a zone')
    .option('--to <time>', 'end of the period (excluded)')
    .option('--shift <date/name>', 'a shift by its start date and name, e.g. 2026-12-07/night')
    .option('--site <file>', `the site file with timeZone and shifts (default ${DEFAULT_SITE_FILE} if present, else 06:00/14:00/22:00 in Asia/Ho_Chi_Minh)`)
    .option('--lines-dir <dir>', 'where the line files are (planned run times per station)', 'config/lines')
    .option('--bucket <minutes>', 'width of the throughput buckets in minutes')
    .option('--json', 'one JSON object: {"scope", "from", "to", "total", "lines", "stations", "kinds", "units", "pareto", "throughput"}')
    .action((o: KpiOptions) => run(() => kpi(o)));
}

/**
 * `cardline simulate`: capacity planning in virtual time. Runs a line file on the virtual-time
 * engine (simulators/virtual/) for a batch of cards or a number of hours, with parameters changed
 * on the command line (`--set encoder.heads=8`) or swept over a range, and prints the figures.
 * It reads a line file and nothing else — no store, no records, no personal data — so it needs no
 * login. `--fidelity line` runs the real controller instead of the fast engine
 * (simulators/virtual/line-fidelity.ts), on a synthetic batch in a temporary store of its own.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { ConfigError, loadLineConfig, parseLineConfig, type LineConfig } from '../../config/line-config.ts';
import { simulate, type Figures } from '../../../simulators/virtual/figures.ts';
import { UNIT_STATES } from '../../../simulators/virtual/engine.ts';
import { simulateLineFidelity } from '../../../simulators/virtual/line-fidelity.ts';
import { writeCapacityReport } from '../../../simulators/virtual/report.ts';
import { planSite, type SitePlan } from '../../../simulators/virtual/site-plan.ts';
import { calibrate, calibratedLineFile } from '../../../simulators/virtual/calibrate.ts';
import { loadSiteConfig } from '../../site/site-config.ts';
import { KpiStore } from '../../store/kpi-store.ts';
import { withContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';

export interface SimulateCliOptions {
  line?: string;
  cards?: string;
  hours?: string;
  seed?: string;
  set?: string[];
  replications?: string;
  sweep?: string;
  warmup?: string;
  json?: boolean;
  out?: string;
  /** `fast` (default) or `line`. */
  fidelity?: string;
}

/** `station.param.path=value`: the station (or `simulation`) and the key path below it. */
interface Setting {
  readonly text: string;
  readonly target: string;
  readonly path: readonly string[];
}

function parseTarget(text: string, option: string): Setting {
  const m = /^([a-z][a-z0-9-]{0,30})\.([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)$/.exec(text);
  if (!m) throw new CliError(`${option} '${text}': name a station and its parameter, e.g. encoder.heads or encoder.cycle.meanMs (or simulation.transferMs)`);
  return { text, target: m[1]!, path: m[2]!.split('.') };
}

function parseSet(text: string): { setting: Setting; value: unknown } {
  const eq = text.indexOf('=');
  if (eq < 0) throw new CliError(`--set '${text}': write station.param=value, e.g. --set encoder.heads=8`);
  const setting = parseTarget(text.slice(0, eq), '--set');
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = parse(raw);
  } catch {
    value = raw;
  }
  return { setting, value };
}

/** `encoder.heads=4..10` or `encoder.cycle.meanMs=6000..9000:500`. */
export function parseSweep(text: string): { setting: Setting; values: number[] } {
  const m = /^([^=]+)=(-?[\d.]+)\.\.(-?[\d.]+)(?::([\d.]+))?$/.exec(text);
  if (!m) throw new CliError(`--sweep '${text}': write station.param=a..b or a..b:step, e.g. --sweep encoder.heads=4..10`);
  const setting = parseTarget(m[1]!, '--sweep');
  const [from, to, step] = [Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])];
  if (![from, to, step].every(Number.isFinite) || !(step > 0) || to < from) throw new CliError(`--sweep '${text}': needs numbers a ≤ b and a step above 0`);
  const values: number[] = [];
  for (let i = 0; from + i * step <= to + step * 1e-9; i++) values.push(Number((from + i * step).toPrecision(12)));
  if (values.length > 200) throw new CliError(`--sweep '${text}': ${values.length} values; at most 200 a sweep`);
  return { setting, values };
}

/** The raw line document with `value` at the setting's place (a station by id, or the simulation block). */
function applySetting(doc: Record<string, unknown>, setting: Setting, value: unknown, file: string): void {
  let node: Record<string, unknown>;
  if (setting.target === 'simulation') {
    doc.simulation ??= {};
    node = doc.simulation as Record<string, unknown>;
  } else {
    const stations = Array.isArray(doc.stations) ? (doc.stations as Record<string, unknown>[]) : [];
    const station = stations.find((s) => s.id === setting.target);
    if (!station) throw new CliError(`${setting.text}: ${file} has no station '${setting.target}'; its stations: ${stations.map((s) => String(s.id)).join(', ')}`);
    node = station;
  }
  const keys = setting.path;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (typeof next !== 'object' || next === null) throw new CliError(`${setting.text}: ${key} is not a block in ${file}`);
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

function wholeNumber(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${option} must be a whole number ≥ 1, got '${text}'`);
  return n;
}

function positive(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new CliError(`${option} must be a number above 0, got '${text}'`);
  return n;
}

async function lineWith(file: string, settings: readonly { setting: Setting; value: unknown }[]): Promise<LineConfig> {
  // The file on its own first: its errors name their line in it.
  const base = await loadLineConfig(file);
  if (settings.length === 0) return base;
  const doc = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  for (const { setting, value } of settings) applySetting(doc, setting, value, file);
  return parseLineConfig(doc, `${base.source} with ${settings.map((s) => `${s.setting.text}=${JSON.stringify(s.value)}`).join(', ')}`);
}

/** Runs the command; `out` takes each line of the answer (standard output by default). */
export async function runSimulate(options: SimulateCliOptions, out: (line: string) => void = writeLine): Promise<number> {
  if (options.line === undefined) throw new CliError('simulate needs --line FILE: the line to simulate, e.g. --line config/lines/demo-opcua.yaml');
  const cards = wholeNumber(options.cards, '--cards');
  const hours = positive(options.hours, '--hours');
  if ((cards === undefined) === (hours === undefined)) throw new CliError('give exactly one of --cards N (a batch of N records) and --hours H (simulated hours)');
  const replications = wholeNumber(options.replications, '--replications') ?? 1;
  const warmupH = options.warmup === undefined ? undefined : positive(options.warmup, '--warmup');
  if (warmupH !== undefined && (hours === undefined || warmupH >= hours)) throw new CliError('--warmup H goes with --hours, and must be shorter than the run');
  const fidelity = options.fidelity ?? 'fast';
  if (fidelity !== 'fast' && fidelity !== 'line') throw new CliError(`--fidelity '${fidelity}': fast (the virtual-time engine, default) or line (the real controller and machines, slower)`);
  if (fidelity === 'line' && cards === undefined) throw new CliError('--fidelity line runs a batch of records: give --cards N (not --hours)');
  const sets = (options.set ?? []).map(parseSet);
  const sweep = options.sweep === undefined ? undefined : parseSweep(options.sweep);
  const run = async (extra: { setting: Setting; value: unknown }[]): Promise<Figures> => {
    const line = await lineWith(options.line!, [...sets, ...extra]);
    if (fidelity === 'line') return simulateLineFidelity({ line, replications, cards: cards!, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
    return simulate({
      line,
      replications,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(cards !== undefined ? { cards } : { hours: hours! }),
      ...(warmupH !== undefined ? { warmupMs: warmupH * 3_600_000 } : {}),
    });
  };
  const report = async (study: Omit<Parameters<typeof writeCapacityReport>[1], 'command'>): Promise<void> => {
    if (options.out === undefined) return;
    const files = await writeCapacityReport(options.out, { command: commandLine(options), ...study });
    // With --json, standard output holds the JSON alone.
    if (!options.json) out(`report: ${files.join(', ')}`);
  };
  try {
    if (!sweep) {
      const figures = await run([]);
      if (options.json) out(JSON.stringify(figures));
      else {
        if (fidelity === 'line') out('fidelity line: the real controller, machines and station links on the virtual clock, a synthetic batch');
        for (const l of describeFigures(figures)) out(l);
      }
      await report({ figures });
      return EXIT.ok;
    }
    const points: { value: number; figures: Figures }[] = [];
    for (const value of sweep.values) points.push({ value, figures: await run([{ setting: sweep.setting, value }]) });
    if (options.json) out(JSON.stringify({ sweep: sweep.setting.text, points }));
    else for (const l of describeSweep(sweep.setting.text, points)) out(l);
    await report({ sweep: { parameter: sweep.setting.text.split('=')[0]!, points } });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    if (error instanceof RangeError) throw new CliError(error.message);
    throw error;
  }
}

/** The options as a command line, for the report's heading. */
function commandLine(o: SimulateCliOptions): string {
  const parts = ['cardline simulate', `--line ${o.line}`];
  if (o.cards !== undefined) parts.push(`--cards ${o.cards}`);
  if (o.hours !== undefined) parts.push(`--hours ${o.hours}`);
  if (o.warmup !== undefined) parts.push(`--warmup ${o.warmup}`);
  if (o.seed !== undefined) parts.push(`--seed ${o.seed}`);
  for (const s of o.set ?? []) parts.push(`--set ${s}`);
  if (o.replications !== undefined && o.replications !== '1') parts.push(`--replications ${o.replications}`);
  if (o.sweep !== undefined) parts.push(`--sweep ${o.sweep}`);
  if (o.fidelity !== undefined && o.fidelity !== 'fast') parts.push(`--fidelity ${o.fidelity}`);
  return parts.join(' ');
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const whole = (x: number): string => Math.round(x).toLocaleString('en-US');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function describeFigures(f: Figures): string[] {
  const t = f.throughputCardsPerH;
  const ci = f.replications > 1 ? ` (95 % CI ${whole(t.low)}–${whole(t.high)} over ${f.replications} replications)` : ' (one replication: no confidence interval; add --replications R)';
  const run = 'cards' in f.run ? `a batch of ${whole(f.run.cards)} records` : `${f.run.hours} h`;
  const spoiled = Object.entries(f.spoiledBy).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${whole(v)}`).join(', ');
  const b = f.bottleneck;
  const lines = [
    `line ${f.line} · seed ${f.seed} · ${run} · ${f.simulatedHours.toFixed(2)} simulated h a replication`,
    `throughput       ${whole(t.mean)} good cards/h${ci}`,
    `good / spoiled   ${whole(f.good)} / ${whole(f.spoiled)}${spoiled ? ` (${spoiled})` : ''}`,
    `blanks per good  ${f.blanksPerGoodCard.toFixed(3)}`,
    `records          ${whole(f.records.produced)} produced, ${whole(f.records.failed)} failed, ${whole(f.records.remakes)} re-makes`,
    `bottleneck       ${b.stations.join(' and ')}${b.tie ? ' (a tie)' : ''} at ${whole(b.nominalCardsPerH)} cards/h nominal; busiest measured: ${b.busiest.join(', ')}`,
    `WIP (cards)      mean ${f.wip.mean.toFixed(1)}, p50 ${f.wip.p50}, p90 ${f.wip.p90}, max ${f.wip.max}`,
    `lead time        mean ${seconds(f.leadTimeMs.mean)}, p50 ${seconds(f.leadTimeMs.p50)}, p90 ${seconds(f.leadTimeMs.p90)}, p99 ${seconds(f.leadTimeMs.p99)}`,
    ...describeKpis(f),
    '',
    `${'station'.padEnd(10)}${'units'.padStart(6)}${'nominal/h'.padStart(11)}${UNIT_STATES.map((s) => s.padStart(9)).join('')}${'wait'.padStart(10)}${'queue'.padStart(8)}`,
  ];
  for (const s of f.stations) {
    lines.push(
      `${s.id.padEnd(10)}${String(s.units).padStart(6)}${whole(s.nominalCardsPerH).padStart(11)}${UNIT_STATES.map((st) => pct(s.shares[st]).padStart(9)).join('')}${seconds(s.meanWaitMs).padStart(10)}${s.meanQueue.toFixed(2).padStart(8)}`,
    );
  }
  return lines;
}

const ratio = (x: number | null): string => (x === null ? '–' : pct(x));

/** The ISO 22400 KPIs of the simulated journal: the line's, then each station's. */
function describeKpis(f: Figures): string[] {
  const k = f.kpis;
  if (!k) return [];
  const l = k.line;
  const lines = [
    `KPIs (ISO 22400) availability ${ratio(l.availability)}, effectiveness ${ratio(l.effectiveness)}, quality ${ratio(l.qualityRatio)}, OEE ${ratio(l.oee)}, first-pass yield ${ratio(l.firstPassYield)}, blanks per good card ${l.blanksPerGoodCard?.toFixed(3) ?? '–'}`,
    `${'  station'.padEnd(12)}${'avail.'.padStart(9)}${'effect.'.padStart(9)}${'quality'.padStart(9)}${'OEE'.padStart(9)}`,
  ];
  for (const s of k.stations) lines.push(`  ${s.station.padEnd(10)}${ratio(s.availability).padStart(9)}${ratio(s.effectiveness).padStart(9)}${ratio(s.qualityRatio).padStart(9)}${ratio(s.oee).padStart(9)}`);
  return lines;
}

function describeSweep(name: string, points: readonly { value: number; figures: Figures }[]): string[] {
  const lines = [`sweep ${name} · line ${points[0]!.figures.line} · seed ${points[0]!.figures.seed} · ${points[0]!.figures.replications} replication(s) a value`, ''];
  lines.push(`${'value'.padStart(10)}${'cards/h'.padStart(10)}${'95 % CI'.padStart(18)}${'blanks/good'.padStart(13)}${'OEE'.padStart(8)}  bottleneck`);
  for (const { value, figures: f } of points) {
    const t = f.throughputCardsPerH;
    const ci = f.replications > 1 ? `${whole(t.low)}–${whole(t.high)}` : '–';
    lines.push(`${String(value).padStart(10)}${whole(t.mean).padStart(10)}${ci.padStart(18)}${f.blanksPerGoodCard.toFixed(3).padStart(13)}${ratio(f.kpis?.line.oee ?? null).padStart(8)}  ${f.bottleneck.stations.join(' and ')}${f.bottleneck.tie ? ' (tie)' : ''}`);
  }
  return lines;
}

export interface SimulateSiteCliOptions {
  site?: string;
  cardsPerDay?: string;
  shifts?: string;
  breakMinutes?: string;
  handoverMinutes?: string;
  days?: string;
  replications?: string;
  seed?: string;
  json?: boolean;
  out?: string;
}

function minutesOption(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 240) throw new CliError(`${option} must be whole minutes from 0 to 240, got '${text}'`);
  return n;
}

/** `cardline simulate site`: lines and shift pattern for a daily target. */
export async function runSimulateSite(options: SimulateSiteCliOptions, out: (line: string) => void = writeLine): Promise<number> {
  if (options.site === undefined) throw new CliError('simulate site needs --site FILE: the site whose lines and shifts to plan with, e.g. --site config/site.yaml');
  if (options.cardsPerDay === undefined) throw new CliError('simulate site needs --cards-per-day N: the daily target, e.g. --cards-per-day 500000');
  const cardsPerDay = wholeNumber(options.cardsPerDay, '--cards-per-day')!;
  const patterns = options.shifts === undefined ? undefined : options.shifts.split(',').map((t) => wholeNumber(t.trim(), '--shifts')!);
  const breakMinutes = minutesOption(options.breakMinutes, '--break-minutes', 30);
  const handoverMinutes = minutesOption(options.handoverMinutes, '--handover-minutes', 10);
  const days = wholeNumber(options.days, '--days') ?? 1;
  const replications = wholeNumber(options.replications, '--replications') ?? 3;
  try {
    const site = await loadSiteConfig(options.site);
    const plan = planSite({
      lines: site.lines.map((l) => ({ id: l.id, kind: l.config.id, config: l.config })),
      shifts: site.shifts,
      cardsPerDay,
      ...(patterns ? { patterns } : {}),
      breakMinutes,
      handoverMinutes,
      days,
      replications,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
    if (options.json) out(JSON.stringify(plan));
    else for (const l of describePlan(site.source, plan)) out(l);
    if (options.out !== undefined) {
      const table = planTable(plan);
      const files = await writeCapacityReport(options.out, {
        command: `cardline simulate site --site ${options.site} --cards-per-day ${cardsPerDay}`,
        site: plan,
        sections: [
          { title: `Lines and shifts for ${whole(cardsPerDay)} good cards a day`, head: table.head, rows: table.rows },
          { title: 'The site as configured', head: ['shifts', 'lines', 'cards/day', 'of the target'], rows: plan.site.map((s) => [s.shifts.join(' + '), String(s.lines), whole(s.cardsPerDay), pct(s.shareOfTarget)]) },
        ],
      });
      if (!options.json) out(`report: ${files.join(', ')}`);
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof RangeError) throw new CliError(error.message);
    throw error;
  }
}

function planTable(plan: SitePlan): { head: string[]; rows: string[][] } {
  const signed = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
  return {
    head: ['line kind', 'shifts', 'planned h/day', 'cards/day a line', '95 % CI', 'OEE', 'lines', 'margin', 'lines at CI low', 'bottleneck'],
    rows: plan.rows.map((r) => [
      r.kind,
      r.shifts.join(' + '),
      r.plannedHoursPerDay.toFixed(2),
      whole(r.cardsPerDay.mean),
      plan.replications > 1 ? `${whole(r.cardsPerDay.low)}–${whole(r.cardsPerDay.high)}` : '–',
      r.oee === null ? '–' : pct(r.oee),
      String(r.linesNeeded),
      signed(r.margin),
      String(r.linesNeededAtLow),
      r.bottleneck,
    ]),
  };
}

export function describePlan(source: string, plan: SitePlan): string[] {
  const { head, rows } = planTable(plan);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]): string => r.map((c, i) => (i <= 1 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const lines = [
    `site ${source} · target ${whole(plan.cardsPerDay)} good cards a day · ${plan.days} day(s) after a day of warm-up · ${plan.replications} replication(s) · a ${plan.breakMinutes}-min break a shift, ${plan.handoverMinutes}-min handover at each shift start`,
    '',
    fmt(head),
    ...rows.map(fmt),
    '',
  ];
  for (const r of plan.recommended) {
    lines.push(`${r.kind}: ${r.linesNeeded} line(s) on ${r.shifts.length} shift(s) (${r.shifts.join(' + ')}) make ${whole(r.linesNeeded * r.cardsPerDay.mean)} a day, a margin of ${(100 * r.margin).toFixed(1)}%${r.linesNeededAtLow > r.linesNeeded ? ` (at the CI's low end: ${r.linesNeededAtLow} lines)` : ''}`);
  }
  for (const s of plan.site) lines.push(`the site as configured (${s.lines} line(s)) on ${s.shifts.join(' + ')}: ${whole(s.cardsPerDay)} a day, ${pct(s.shareOfTarget)} of the target`);
  return lines;
}

export interface SimulateCalibrateCliOptions {
  fromJournal?: boolean;
  line?: string;
  linesDir?: string;
  from?: string;
  to?: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

/** `cardline simulate calibrate --from-journal`: a line file with the cycle times and failure rates the journal measured. */
export async function runSimulateCalibrate(options: SimulateCalibrateCliOptions, out: (line: string) => void = writeLine, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (!options.fromJournal) throw new CliError('simulate calibrate needs --from-journal: it measures the line from the journal of its runs (the store of CARDLINE_DB_URL or the data directory)');
  if (options.line === undefined) throw new CliError('simulate calibrate needs --line ID: the line whose journal to measure (its line file is <lines-dir>/<ID>.yaml, or give the file)');
  if (options.out === undefined) throw new CliError('simulate calibrate needs --out FILE: the calibrated line file to write');
  const file = /\.ya?ml$/.test(options.line) ? options.line : path.join(options.linesDir ?? 'config/lines', `${options.line}.yaml`);
  if (!options.force && existsSync(options.out)) throw new CliError(`--out ${options.out} exists; add --force to replace it`);
  const time = (text: string | undefined, option: string, fallback: number): number => {
    if (text === undefined) return fallback;
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new CliError(`${option} '${text}': a time such as 2026-12-07T06:00+07:00`);
    return ms;
  };
  const from = time(options.from, '--from', 0);
  const to = time(options.to, '--to', Date.now() + 1);
  if (!(to > from)) throw new CliError('--to must be after --from');
  let line: LineConfig;
  try {
    line = await loadLineConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  return withContext(
    { permissions: ['batch.read'], what: 'read the journal' },
    async (ctx) => {
      const events = await new KpiStore(ctx.db).events(new Date(from), new Date(to), { lines: [line.id] });
      const cal = calibrate({ line, events, from, to });
      if (cal.stations.every((s) => s.cards === 0)) throw new CliError(`the journal holds no card of line ${line.id} from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}: nothing to measure`);
      const text = calibratedLineFile(await readFile(file, 'utf8'), cal, file);
      // The file must load as a line file before it is written.
      parseLineConfig(parse(text) as unknown, options.out!);
      await writeFile(options.out!, text);
      if (options.json) out(JSON.stringify(cal));
      else {
        out(`line ${line.id}: ${cal.good} good and ${cal.spoiled} spoiled cards measured; wrote ${options.out}`);
        for (const s of cal.stations) {
          const failures = Object.entries(s.failures).filter(([, p]) => p > 0).map(([k, p]) => `${k} ${(100 * p).toFixed(2)}%`);
          out(`  ${s.id.padEnd(10)} ${String(s.cards).padStart(6)} cards  cycle ${s.meanMs === null ? 'not measured' : `${(s.meanMs / 1000).toFixed(3)} s mean of ${s.samples}`}${failures.length ? `  ${failures.join(', ')}` : ''}${s.downtime ? `  MTBF ${(s.downtime.mtbfMs / 60_000).toFixed(1)} min, MTTR ${(s.downtime.mttrMs / 1000).toFixed(1)} s` : ''}`);
        }
        const unmapped = Object.entries(cal.unmapped);
        if (unmapped.length) out(`  reasons with no failure in the line file (left out): ${unmapped.map(([k, v]) => `${k} ${v}`).join(', ')}`);
      }
      return EXIT.ok;
    },
    env,
  );
}

/**
 * A subcommand's options with those `simulate` itself took: commander gives `--json`, `--out`,
 * `--seed`, `--replications` and `--line` after `simulate site` or `simulate calibrate` to
 * `simulate`, which has options of those names (positional options would have to be turned on for
 * the whole program, and then `--debug` after a command would no longer be read).
 */
function withParentOptions<T extends object>(own: T, parent: Record<string, unknown>): T {
  const mine = own as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...mine };
  for (const [k, v] of Object.entries(parent)) if (merged[k] === undefined && v !== undefined) merged[k] = v;
  return merged as T;
}

export function registerSimulate(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const simulate = program
    .command('simulate')
    .description(
      'capacity planning: runs a line file in virtual time (seconds for a simulated day) and prints throughput, spoilage, utilization, WIP, lead time and the bottleneck. ' +
        'Reads only the line file — no store, no records, no personal data — so it needs no login.',
    )
    .option('--line <file>', 'the line file, e.g. config/lines/demo-opcua.yaml')
    .option('--cards <n>', 'a batch of N records: runs until each is produced or has failed')
    .option('--hours <h>', 'or: an endless queue of records for H simulated hours')
    .option('--seed <seed>', "the random seed (default: the line file's simulation.seed); the same seed gives the same figures")
    .option('--set <station.param=value>', 'changes the line file for this run, e.g. encoder.heads=8, encoder.cycle.meanMs=8000, simulation.wip=unlimited (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .option('--replications <r>', 'independent runs (seeds S, S/2, …); throughput gets a 95 % confidence interval (default 1)')
    .option('--sweep <station.param=a..b[:step]>', 'runs each value of a range, e.g. encoder.heads=4..10')
    .option('--warmup <h>', 'with --hours: leaves the first H hours out of the figures')
    .option('--fidelity <fast|line>', 'fast (default): the virtual-time engine; line: the real controller, machines and station links on the virtual clock, with a store of its own (the reference, slower; with --cards only)')
    .option('--json', 'the figures as JSON')
    .option('--out <dir>', 'also writes a report there: index.html (self-contained) and SVG charts (throughput vs the swept parameter, time by state per station, WIP over time, lead time)')
    .action((options: SimulateCliOptions) => run(() => runSimulate(options)));
  simulate
    .command('site')
    .description(
      "how many lines of each of a site's line kinds, and which shift pattern (the first 1, 2, … of the site's shifts, with a break in each and a handover at each start), reach a daily target, with the margin. " +
        'Reads only the site and line files; needs no login.',
    )
    .option('--site <file>', 'the site file, e.g. config/site.yaml')
    .option('--cards-per-day <n>', 'the daily target of good cards, e.g. 500000')
    .option('--shifts <k,…>', 'the patterns to try, as numbers of shifts (default: 1 up to all of the site’s)')
    .option('--break-minutes <m>', 'a break in the middle of each shift (default 30)')
    .option('--handover-minutes <m>', 'the line stands at the start of each shift (default 10)')
    .option('--days <d>', 'days counted, after one day of warm-up (default 1)')
    .option('--replications <r>', 'independent runs a line kind and pattern (default 3): the cards a day get a 95 % confidence interval')
    .option('--seed <seed>', "the random seed (default: each line file's simulation.seed)")
    .option('--json', 'the plan as JSON')
    .option('--out <dir>', 'also writes the plan as a self-contained HTML report')
    .action((options: SimulateSiteCliOptions) => run(() => runSimulateSite(withParentOptions(options, simulate.opts()))));
  simulate
    .command('calibrate')
    .description("writes a line file with the cycle-time histograms (empirical model), failure probabilities and breakdowns measured on a line's journal (docs/capacity.md); reads card and station events, no personal data")
    .option('--from-journal', 'measure from the journal of the line’s runs (the only source so far)')
    .option('--line <id|file>', 'the line: its id (its line file is <lines-dir>/<id>.yaml) or its line file')
    .option('--lines-dir <dir>', 'where the line files are', 'config/lines')
    .option('--from <time>', 'the period’s start (default: the journal’s beginning)')
    .option('--to <time>', 'the period’s end (default: now)')
    .option('--out <file>', 'the calibrated line file to write')
    .option('--force', 'replace --out if it exists')
    .option('--json', 'the measurements as JSON')
    .action((options: SimulateCalibrateCliOptions) => run(() => runSimulateCalibrate(withParentOptions(options, simulate.opts()))));
}

/**
 * The manager's dashboard (issue 18): for a shift of the site or of one line, or for a batch, the
 * OEE and its three factors, first-pass yield, good cards and good cards an hour; the OEE waterfall
 * and the throughput over the period; the same figures per line and per station; the reject Pareto
 * by reason and by unit; the batches' status with progress and ETA; this shift against the ones
 * before it; the batch and shift report downloads. Every figure is the KPI API's (`cardline kpi
 * --json`), formatted, never recomputed. Live: counters and batch events reload the figures, at
 * most every few seconds.
 *
 * Routes: #/manager (the shift under way, the whole site), #/manager/shift/DATE/NAME, #/manager/batch/ID.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api.ts';
import { ProblemMessage } from '../components/problem.tsx';
import { formatDateTime, t } from '../i18n/i18n.ts';
import { reloadGeneration } from '../live.ts';
import { href, navigate } from '../router.ts';
import { BatchTable, ReportLinks } from './manager/batches.tsx';
import { ParetoSection, ThroughputChart, WaterfallChart } from './manager/charts.tsx';
import { kpiPath, loadBatchRows, shiftId, shiftReportUrl, SHIFTS_COMPARED, useLiveTick, batchReportUrl, type BatchRow, type KpiAnswer, type LineView, type Scope, type Shift } from './manager/data.ts';
import { KpiTable, KpiTiles } from './manager/figures.tsx';
import { ShiftComparison, shiftTitle, type ShiftRow } from './manager/shifts.tsx';

/** Figures reload at most this often while a line runs (a shift's KPIs read its whole journal). */
const LIVE_INTERVAL_MS = 5000;

interface Loaded {
  readonly scope: Scope;
  readonly shifts: readonly Shift[];
  readonly lines: readonly LineView[];
  readonly answer: KpiAnswer;
  readonly compared: readonly ShiftRow[];
  readonly batches: readonly BatchRow[];
}

function scopeOf(args: readonly string[]): Scope | null {
  if (args[0] === 'batch' && args[1]) return { kind: 'batch', id: args[1] };
  if (args[0] === 'shift' && args[1] && args[2]) return { kind: 'shift', date: args[1], name: args[2] };
  return null;
}

/**
 * Everything the dashboard shows. A shift that has ended does not change: its answer is kept in
 * `ended` (by query) and not asked again on each live reload; the scope's answer is reused for its
 * row of the comparison.
 */
async function load(asked: Scope | null, line: string, ended: Map<string, KpiAnswer>): Promise<Loaded> {
  const [{ shifts }, { lines }] = await Promise.all([get<{ shifts: Shift[] }>(`/kpi/shifts?count=${SHIFTS_COMPARED}`), get<{ lines: LineView[] }>('/lines')]);
  const scope: Scope = asked ?? { kind: 'shift', date: shifts[0]!.date, name: shifts[0]!.name };
  const scopePath = kpiPath(scope, line);
  const kpi = async (path: string, hasEnded: boolean): Promise<KpiAnswer> => {
    const kept = ended.get(path);
    if (kept) return kept;
    const answer = await get<KpiAnswer>(path);
    if (hasEnded) ended.set(path, answer);
    return answer;
  };
  const scopeEnded = scope.kind === 'shift' && shifts.some((s) => shiftId(s) === shiftId(scope) && Date.parse(s.to) <= Date.now());
  const [answer, batches] = await Promise.all([kpi(scopePath, scopeEnded), loadBatchRows(lines)]);
  const compared = await Promise.all(
    shifts.map(async (shift) => {
      const path = kpiPath({ kind: 'shift', ...shift }, line);
      return { shift, answer: path === scopePath ? answer : await kpi(path, Date.parse(shift.to) <= Date.now()) };
    }),
  );
  return { scope, shifts, lines, answer, compared, batches };
}

export function ManagerScreen({ args }: { readonly args: readonly string[] }) {
  const asked = scopeOf(args);
  const askedKey = args.join('/');
  const [line, setLine] = useState('');
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const tick = useLiveTick(LIVE_INTERVAL_MS);
  const ended = useRef(new Map<string, KpiAnswer>());
  const generation = reloadGeneration.value;

  useEffect(() => {
    let current = true;
    load(asked, line, ended.current).then(
      (loaded) => {
        if (!current) return;
        setData(loaded);
        setError(null);
      },
      (e: unknown) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [askedKey, line, tick, generation]);

  if (!data) {
    return (
      <div class="manager">
        <h1>{t('manager.title')}</h1>
        {error ? <ProblemMessage error={error} /> : <p role="status">{t('common.loading')}</p>}
      </div>
    );
  }

  const { scope, shifts, lines, answer } = data;
  const shown = scope.kind === 'shift' ? shifts.find((s) => s.date === scope.date && s.name === scope.name) : undefined;
  const batchName = scope.kind === 'batch' ? (data.batches.find((b) => b.id === scope.id)?.name ?? scope.id) : '';
  const reportLines = line ? lines.filter((l) => l.id === line) : lines;

  return (
    <div class="manager">
      <h1>{t('manager.title')}</h1>
      <ProblemMessage error={error} />
      <div class="scope panel">
        <label>
          {t('manager.scope.shift')}
          <select
            value={scope.kind === 'shift' ? shiftId(scope) : ''}
            onChange={(e) => {
              const s = shifts.find((x) => shiftId(x) === e.currentTarget.value);
              if (s) navigate('manager', 'shift', s.date, s.name);
            }}
          >
            {scope.kind === 'batch' ? <option value="">{t('manager.scope.batchChosen')}</option> : null}
            {scope.kind === 'shift' && !shown ? <option value={shiftId(scope)}>{shiftId(scope)}</option> : null}
            {shifts.map((s, i) => (
              <option key={shiftId(s)} value={shiftId(s)}>
                {i === 0 ? `${shiftTitle(s)} · ${t('manager.shifts.now')}` : shiftTitle(s)}
              </option>
            ))}
          </select>
        </label>
        {scope.kind === 'shift' ? (
          <label>
            {t('manager.scope.line')}
            <select value={line} onChange={(e) => setLine(e.currentTarget.value)}>
              <option value="">{t('manager.scope.site')}</option>
              {lines.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <a class="button" href={href('manager')}>
            {t('manager.scope.backToShift')}
          </a>
        )}
      </div>

      <h2 class="scope-title" data-scope={scope.kind === 'batch' ? `batch/${scope.id}` : `shift/${shiftId(scope)}`}>
        {scope.kind === 'batch' ? t('manager.scope.batchTitle', { name: batchName, id: scope.id }) : shown ? shiftTitle(shown) : shiftId(scope)}
        <span class="muted period"> {t('manager.scope.period', { from: formatDateTime(answer.from), to: formatDateTime(answer.to) })}</span>
      </h2>
      {answer.scope.linesWithoutPlan.length > 0 ? <p class="note">{t('manager.noPlan', { lines: answer.scope.linesWithoutPlan.join(', ') })}</p> : null}
      <KpiTiles block={answer.total} />

      <div class="reports panel" role="group" aria-label={t('manager.reports.title')}>
        <h2>{t('manager.reports.title')}</h2>
        {scope.kind === 'batch' ? (
          <ReportLinks label={t('manager.batches.report', { name: batchName })} url={(f) => batchReportUrl(scope.id, f)} />
        ) : (
          reportLines.map((l) => (
            <p key={l.id} data-report-line={l.id}>
              <span>{t('manager.reports.shiftOf', { line: l.name })}</span> <ReportLinks label={t('manager.reports.shiftReport', { line: l.name, shift: shiftId(scope) })} url={(f) => shiftReportUrl(scope, l.id, f)} />
            </p>
          ))
        )}
      </div>

      <div class="charts">
        <WaterfallChart answer={answer} />
        <ThroughputChart answer={answer} />
      </div>

      <section aria-labelledby="mgr-lines">
        <h2 id="mgr-lines">{t('manager.lines.title')}</h2>
        <KpiTable caption={t('manager.lines.caption')} heads={[t('manager.lines.line')]} rows={answer.lines} rowKey={(r) => r.line} cells={(r) => [lines.find((l) => l.id === r.line)?.name ?? r.line]} />
        <KpiTable
          caption={t('manager.stations.caption')}
          heads={[t('manager.stations.station'), t('manager.lines.line')]}
          rows={answer.stations}
          rowKey={(r) => `${r.line}/${r.station}`}
          cells={(r) => [r.station, lines.find((l) => l.id === r.line)?.name ?? r.line]}
        />
      </section>

      <ParetoSection answer={answer} />
      <BatchTable rows={data.batches} selected={scope.kind === 'batch' ? scope.id : null} />
      <ShiftComparison rows={data.compared} current={shifts[0] ? shiftId(shifts[0]) : null} />
    </div>
  );
}

/**
 * The dashboard's charts, drawn from the reports' own option builders (src/charts/) so the screen
 * and the PDF show the same pictures: good cards an hour over the period, the OEE waterfall, the
 * reject Pareto. Each has its figures as a table beside it (and in its accessible name).
 */
import { useMemo } from 'preact/hooks';
import { oeeWaterfallOption } from '../../../../src/charts/oee-waterfall.ts';
import { paretoOption } from '../../../../src/charts/pareto.ts';
import { throughputOption } from '../../../../src/charts/throughput.ts';
import { Chart } from '../../charts/chart.tsx';
import { formatNumber, formatTime, locale, t } from '../../i18n/i18n.ts';
import type { KpiAnswer, ParetoEntry } from './data.ts';
import { count, pct, perHour } from './figures.tsx';

export function ThroughputChart({ answer }: { readonly answer: KpiAnswer }) {
  const buckets = answer.throughput.buckets;
  const lang = locale.value;
  const option = useMemo(
    () => throughputOption({ buckets: buckets.map((b) => ({ label: formatTime(b.from).slice(0, 5), good: b.good, spoiled: b.spoiled, goodCardsPerHour: b.goodCardsPerHour })), names: [t('manager.chart.good'), t('manager.chart.scrap'), t('manager.chart.rate')] }),
    [answer, lang],
  );
  const label = t('manager.throughput.label', { buckets: buckets.length, good: answer.total.sums.gq, rate: perHour(answer.total.kpis.goodCardsPerHour) });
  return (
    <section aria-labelledby="mgr-throughput">
      <h2 id="mgr-throughput">{t('manager.throughput.title')}</h2>
      <Chart option={option} label={label}>
        <details>
          <summary>{t('manager.figures')}</summary>
          <FigureTable
            caption={t('manager.throughput.title')}
            heads={[t('manager.throughput.from'), t('manager.chart.good'), t('manager.chart.scrap'), t('manager.chart.rate')]}
            rows={buckets.map((b) => ({ key: b.from, cells: [formatTime(b.from), count(b.good), count(b.spoiled), perHour(b.goodCardsPerHour)] }))}
          />
        </details>
      </Chart>
    </section>
  );
}

export function WaterfallChart({ answer }: { readonly answer: KpiAnswer }) {
  const { sums, kpis } = answer.total;
  const lang = locale.value;
  // PRI × PQ is effectiveness × APT; PRI × GQ is that × the quality ratio (docs/kpis.md).
  const performingMs = kpis.effectiveness === null ? 0 : kpis.effectiveness * sums.aptMs;
  const goodMs = kpis.qualityRatio === null ? 0 : performingMs * kpis.qualityRatio;
  const labels = [t('manager.waterfall.planned'), t('manager.waterfall.downDelay'), t('manager.waterfall.available'), t('manager.waterfall.speedLoss'), t('manager.waterfall.performing'), t('manager.waterfall.qualityLoss'), t('manager.waterfall.good')] as const;
  const option = useMemo(() => oeeWaterfallOption({ plannedMs: sums.pbtMs, availableMs: sums.aptMs, performingMs, goodMs, labels }), [answer, lang]);
  const minutes = (ms: number): string => formatNumber(ms / 60_000, { maximumFractionDigits: 2 });
  const levels: readonly [string, number][] = [
    [labels[0], sums.pbtMs],
    [labels[2], sums.aptMs],
    [labels[4], performingMs],
    [labels[6], goodMs],
  ];
  const label = t('manager.waterfall.label', { oee: pct(kpis.oee), availability: pct(kpis.availability), effectiveness: pct(kpis.effectiveness), quality: pct(kpis.qualityRatio) });
  return (
    <section aria-labelledby="mgr-waterfall">
      <h2 id="mgr-waterfall">{t('manager.waterfall.title')}</h2>
      <Chart option={option} label={label} height={240}>
        <details>
          <summary>{t('manager.figures')}</summary>
          <FigureTable caption={t('manager.waterfall.title')} heads={[t('manager.waterfall.level'), t('manager.waterfall.minutes')]} rows={levels.map(([name, ms]) => ({ key: name, cells: [name, minutes(ms)] }))} />
        </details>
      </Chart>
    </section>
  );
}

/**
 * A chart's figures as a table: the first column names the row (a row header), the others are
 * numbers; each cell carries its column's id (`data-col`) and each row its key (`data-key`).
 */
function FigureTable({ caption, heads, rows, cols, empty, className }: { readonly caption: string; readonly heads: readonly string[]; readonly rows: readonly { readonly key: string; readonly cells: readonly string[] }[]; readonly cols?: readonly string[]; readonly empty?: string; readonly className?: string }) {
  return (
    <table class={className}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {heads.map((h, i) => (
            <th key={h} scope="col" class={i === 0 ? undefined : 'num'}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && empty ? (
          <tr>
            <td colSpan={heads.length}>{empty}</td>
          </tr>
        ) : (
          rows.map((r) => (
            <tr key={r.key} data-key={r.key}>
              {r.cells.map((cell, i) =>
                i === 0 ? (
                  <th key={i} scope="row">
                    {cell}
                  </th>
                ) : (
                  <td key={i} class="num" data-col={cols?.[i]}>
                    {cell}
                  </td>
                ),
              )}
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

function ParetoTable({ caption, head, entries, kind }: { readonly caption: string; readonly head: string; readonly entries: readonly ParetoEntry[]; readonly kind: 'reason' | 'unit' }) {
  return (
    <FigureTable
      className={`pareto-${kind}`}
      caption={caption}
      heads={[head, t('manager.pareto.count'), t('manager.pareto.share'), t('manager.pareto.cumulative')]}
      cols={['key', 'count', 'share', 'cumulative']}
      rows={entries.map((e) => ({ key: e.key, cells: [e.key, count(e.count), pct(e.share), pct(e.cumulativeShare)] }))}
      empty={t('manager.pareto.none')}
    />
  );
}

export function ParetoSection({ answer }: { readonly answer: KpiAnswer }) {
  const { byReason, byUnit } = answer.pareto;
  const lang = locale.value;
  const option = useMemo(() => paretoOption({ entries: byReason, names: [t('manager.pareto.count'), t('manager.pareto.cumulative')] }), [answer, lang]);
  const label = byReason.length === 0 ? t('manager.pareto.none') : t('manager.pareto.label', { list: byReason.map((e) => `${e.key} ${count(e.count)}`).join(', ') });
  return (
    <section aria-labelledby="mgr-pareto">
      <h2 id="mgr-pareto">{t('manager.pareto.title')}</h2>
      {byReason.length > 0 ? <Chart option={option} label={label} height={240} /> : null}
      <div class="pareto-tables">
        <ParetoTable caption={t('manager.pareto.byReason')} head={t('manager.pareto.reason')} entries={byReason} kind="reason" />
        <ParetoTable caption={t('manager.pareto.byUnit')} head={t('manager.pareto.unit')} entries={byUnit} kind="unit" />
      </div>
    </section>
  );
}

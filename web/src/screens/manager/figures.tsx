/**
 * The KPI figures as text: the scope's tiles (OEE, its three factors, first-pass yield, good cards,
 * good cards an hour) and the same columns per line and per station. Percentages to one decimal,
 * rates to whole cards an hour; a ratio the KPIs cannot know (null) is "n/a".
 */
import { formatNumber, formatPercent, t, type MessageKey } from '../../i18n/i18n.ts';
import type { KpiBlock } from './data.ts';

export const pct = (v: number | null): string => (v === null ? t('manager.na') : formatPercent(v, 1));
export const perHour = (v: number | null): string => (v === null ? t('manager.na') : formatNumber(v, { maximumFractionDigits: 0 }));
export const count = (v: number): string => formatNumber(v);

interface Column {
  readonly id: string;
  readonly title: MessageKey;
  readonly value: (b: KpiBlock) => string;
}

export const KPI_COLUMNS: readonly Column[] = [
  { id: 'oee', title: 'manager.kpi.oee', value: (b) => pct(b.kpis.oee) },
  { id: 'availability', title: 'manager.kpi.availability', value: (b) => pct(b.kpis.availability) },
  { id: 'effectiveness', title: 'manager.kpi.effectiveness', value: (b) => pct(b.kpis.effectiveness) },
  { id: 'quality', title: 'manager.kpi.quality', value: (b) => pct(b.kpis.qualityRatio) },
  { id: 'fpy', title: 'manager.kpi.fpy', value: (b) => pct(b.kpis.firstPassYield) },
  { id: 'good', title: 'manager.kpi.good', value: (b) => count(b.sums.gq) },
  { id: 'scrap', title: 'manager.kpi.scrap', value: (b) => count(b.sums.sq) },
  { id: 'rate', title: 'manager.kpi.rate', value: (b) => perHour(b.kpis.goodCardsPerHour) },
];

export function KpiTiles({ block }: { readonly block: KpiBlock }) {
  return (
    <dl class="kpi-tiles">
      {KPI_COLUMNS.map((c) => (
        <div key={c.id} class="tile" data-kpi={c.id}>
          <dt>{t(c.title)}</dt>
          <dd>{c.value(block)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Rows of KPI columns after some leading cells (line, station). */
export function KpiTable<R extends KpiBlock>({ caption, heads, rows, cells, rowKey }: { readonly caption: string; readonly heads: readonly string[]; readonly rows: readonly R[]; readonly cells: (row: R) => readonly string[]; readonly rowKey: (row: R) => string }) {
  return (
    <table class="kpi-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          {heads.map((h) => (
            <th key={h} scope="col">
              {h}
            </th>
          ))}
          {KPI_COLUMNS.map((c) => (
            <th key={c.id} scope="col" class="num">
              {t(c.title)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={heads.length + KPI_COLUMNS.length}>{t('common.none')}</td>
          </tr>
        ) : (
          rows.map((r) => (
            <tr key={rowKey(r)} data-row={rowKey(r)}>
              {cells(r).map((cell, i) => (i === 0 ? <th key={i} scope="row">{cell}</th> : <td key={i}>{cell}</td>))}
              {KPI_COLUMNS.map((c) => (
                <td key={c.id} class="num" data-kpi={c.id}>
                  {c.value(r)}
                </td>
              ))}
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

/**
 * This shift against the ones before it, of the site or of the line chosen: the same columns as
 * the KPI tables, each shift a link to its own figures, and each line's shift report.
 */
import { formatDate, formatTime, t } from '../../i18n/i18n.ts';
import { href } from '../../router.ts';
import { shiftId, type KpiAnswer, type Shift } from './data.ts';
import { KpiTable } from './figures.tsx';

export interface ShiftRow {
  readonly shift: Shift;
  readonly answer: KpiAnswer;
}

export function shiftTitle(s: Shift): string {
  return t('manager.shift.name', { name: s.name, date: formatDate(s.from), from: formatTime(s.from).slice(0, 5), to: formatTime(s.to).slice(0, 5) });
}

export function ShiftComparison({ rows, current }: { readonly rows: readonly ShiftRow[]; readonly current: string | null }) {
  return (
    <section aria-labelledby="mgr-shifts">
      <h2 id="mgr-shifts">{t('manager.shifts.title')}</h2>
      <KpiTable
        caption={t('manager.shifts.caption')}
        heads={[t('manager.shifts.shift')]}
        rows={rows.map((r) => ({ ...r.answer.total, id: shiftId(r.shift), shift: r.shift }))}
        rowKey={(r) => r.id}
        cells={(r) => [r.id === current ? `${shiftTitle(r.shift)} · ${t('manager.shifts.now')}` : shiftTitle(r.shift)]}
      />
      <nav aria-label={t('manager.shifts.open')} class="shift-links">
        {rows.map((r) => (
          <a key={shiftId(r.shift)} href={href('manager', 'shift', r.shift.date, r.shift.name)}>
            {shiftTitle(r.shift)}
          </a>
        ))}
      </nav>
    </section>
  );
}

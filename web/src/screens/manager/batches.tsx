/**
 * The batches' status: each with its progress (records produced of the batch's), its line and the
 * ETA at the line's current rate while it runs, a link to its KPIs on this dashboard and its report
 * downloads.
 */
import { formatDateTime, formatNumber, t, tDynamic } from '../../i18n/i18n.ts';
import { href } from '../../router.ts';
import { batchReportUrl, REPORT_FORMATS, type BatchRow } from './data.ts';

function eta(row: BatchRow): string {
  const seconds = row.line?.batch?.etaSeconds;
  if (seconds === null || seconds === undefined) return '—';
  return formatDateTime(new Date(Date.now() + seconds * 1000));
}

export function ReportLinks({ label, url }: { readonly label: string; readonly url: (format: 'pdf' | 'json' | 'csv') => string }) {
  return (
    <span class="downloads" role="group" aria-label={label}>
      {REPORT_FORMATS.map((f) => (
        <a key={f} class="button" href={url(f)} download>
          {f.toUpperCase()}
          <span class="visually-hidden">{t('manager.download', { what: label })}</span>
        </a>
      ))}
    </span>
  );
}

export function BatchTable({ rows, selected }: { readonly rows: readonly BatchRow[]; readonly selected: string | null }) {
  return (
    <section aria-labelledby="mgr-batches">
      <h2 id="mgr-batches">{t('manager.batches.title')}</h2>
      <table class="batches">
        <caption class="visually-hidden">{t('manager.batches.title')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('manager.batches.batch')}</th>
            <th scope="col">{t('manager.batches.status')}</th>
            <th scope="col">{t('manager.batches.line')}</th>
            <th scope="col">{t('manager.batches.progress')}</th>
            <th scope="col">{t('manager.batches.eta')}</th>
            <th scope="col">{t('manager.batches.reports')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={6}>{t('common.none')}</td>
            </tr>
          ) : (
            rows.map((r) => {
              const s = r.summary;
              const done = s ? s.records.produced : 0;
              const total = s ? s.records.total : 0;
              return (
                <tr key={r.id} data-batch={r.id} aria-current={r.id === selected ? 'true' : undefined}>
                  <th scope="row">
                    <a href={href('manager', 'batch', r.id)} aria-label={t('manager.batches.show', { name: r.name, id: r.id })}>
                      {r.name}
                    </a>
                    <span class="muted id">{r.id}</span>
                  </th>
                  <td>{tDynamic(`manager.status.${r.status}`)}</td>
                  <td>{r.line ? r.line.name : '—'}</td>
                  <td>
                    {s ? (
                      <>
                        <progress max={Math.max(total, 1)} value={done} aria-label={t('manager.batches.progressOf', { name: r.name })} />{' '}
                        {t('manager.batches.produced', { done: formatNumber(done), total: formatNumber(total) })}
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{eta(r)}</td>
                  <td>{s ? <ReportLinks label={t('manager.batches.report', { name: r.name })} url={(f) => batchReportUrl(r.id, f)} /> : '—'}</td>
                </tr>
              );
            })
          )}
        </tbody>
      </table>
    </section>
  );
}

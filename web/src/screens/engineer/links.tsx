/** Station link health per unit: connected, heartbeat, reconnects, handshake latencies, last error. */
import { seg } from '../../api.ts';
import { ProblemMessage } from '../../components/problem.tsx';
import { packmlStateLabel } from '../../i18n/codes.ts';
import { formatNumber, formatTime, t } from '../../i18n/i18n.ts';
import type { UnitLinkView } from '../../../../src/site/engineer-views.ts';
import { useLiveLoad } from './use-live-load.ts';

function latency(values: readonly number[]): string {
  if (values.length === 0) return '—';
  const last = values[values.length - 1]!;
  return t('engineer.links.latencyValue', { last: formatNumber(last), max: formatNumber(Math.max(...values)) });
}

export function LinksPanel({ lineId }: { readonly lineId: string }) {
  const links = useLiveLoad<{ units: UnitLinkView[] }>(`/lines/${seg(lineId)}/links`, ['station.state', 'alarm'], (e) => 'lineId' in e && e.lineId === lineId);
  return (
    <section class="panel engineer-links" aria-labelledby="engineer-links-title">
      <div class="engineer-head">
        <h2 id="engineer-links-title">{t('engineer.links.title')}</h2>
        <button type="button" onClick={links.reload}>
          {t('common.refresh')}
        </button>
      </div>
      <ProblemMessage error={links.error} />
      {!links.data ? (
        <p>{t('common.loading')}</p>
      ) : (
        <table>
          <caption class="visually-hidden">{t('engineer.links.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('engineer.unit')}</th>
              <th scope="col">{t('engineer.links.state')}</th>
              <th scope="col">{t('engineer.links.connection')}</th>
              <th scope="col" class="num">{t('engineer.links.heartbeatAge')}</th>
              <th scope="col" class="num">{t('engineer.links.reconnects')}</th>
              <th scope="col" class="num">{t('engineer.links.jobAck')}</th>
              <th scope="col" class="num">{t('engineer.links.doneClear')}</th>
              <th scope="col">{t('engineer.links.lastError')}</th>
            </tr>
          </thead>
          <tbody>
            {links.data.units.map((u) => {
              const attention = !u.connected || u.state === 'Aborted' || u.state === 'Aborting' || u.state === 'Held';
              return (
                <tr key={u.unitId} data-unit={u.unitId} class={attention ? 'attention' : undefined}>
                  <th scope="row">{u.unitId}</th>
                  <td class="engineer-state">{packmlStateLabel(u.state)}</td>
                  <td>{u.connected ? t('engineer.links.connected') : u.reachable ? t('engineer.links.heartbeatStale') : t('engineer.links.down')}</td>
                  <td class="num">{u.heartbeatAgeMs === null ? '—' : t('engineer.ms', { value: formatNumber(u.heartbeatAgeMs) })}</td>
                  <td class="num">{formatNumber(u.reconnects)}</td>
                  <td class="num">{latency(u.handshakes.jobAckMs)}</td>
                  <td class="num">{latency(u.handshakes.doneClearMs)}</td>
                  <td>{u.lastError ? `${formatTime(u.lastError.at)} ${u.lastError.message}` : t('common.none')}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

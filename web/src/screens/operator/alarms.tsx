/**
 * The alarms of the line (ISA-18.2): a banner with the most urgent unacknowledged one and how many
 * wait, and the list of open alarms, each acknowledged with one button (audited by the server).
 * Colour marks priority only.
 */
import { useState } from 'preact/hooks';
import { post, seg } from '../../api.ts';
import { ProblemMessage } from '../../components/problem.tsx';
import { formatTime, t, tDynamic } from '../../i18n/i18n.ts';
import { can } from '../../session.ts';
import { unacknowledged, type AlarmView } from './model.ts';

function what(alarm: AlarmView): string {
  return tDynamic(`alarm.condition.${alarm.condition}`);
}

export function AlarmBanner({ alarms }: { readonly alarms: readonly AlarmView[] }) {
  const waiting = unacknowledged(alarms);
  const top = waiting[0];
  return (
    <div class={top ? `op-banner alarm-${top.priority}` : 'op-banner'} role="status" aria-live="assertive">
      {top
        ? t('operator.alarms.banner', { count: waiting.length, priority: tDynamic(`alarm.priority.${top.priority}`), condition: what(top), unit: top.unitId ?? t('operator.alarms.wholeLine') })
        : t('operator.alarms.noneWaiting')}
    </div>
  );
}

export function AlarmList({ alarms }: { readonly alarms: readonly AlarmView[] }) {
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState<string | null>(null);
  const mayAck = can('alarm.acknowledge');
  const acknowledge = (alarm: AlarmView): void => {
    setBusy(alarm.id);
    setError(undefined);
    post(`/alarms/${seg(alarm.id)}/acknowledge`)
      .catch(setError)
      .finally(() => setBusy(null));
  };
  return (
    <section class="op-alarms panel" aria-labelledby="op-alarms-title">
      <h2 id="op-alarms-title">{t('operator.alarms.title')}</h2>
      {alarms.length === 0 ? (
        <p>{t('operator.alarms.none')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('operator.alarms.time')}</th>
              <th scope="col">{t('operator.alarms.priority')}</th>
              <th scope="col">{t('operator.alarms.unit')}</th>
              <th scope="col">{t('operator.alarms.condition')}</th>
              <th scope="col">{t('operator.alarms.state')}</th>
              {mayAck && <th scope="col">{t('operator.alarms.action')}</th>}
            </tr>
          </thead>
          <tbody>
            {alarms.map((a) => {
              const waiting = a.state === 'active-unacknowledged' || a.state === 'cleared-unacknowledged';
              return (
                <tr key={a.id} class={`alarm-${a.priority}`} data-alarm={a.id} data-condition={a.condition} data-state={a.state}>
                  <td>{formatTime(a.raisedAt)}</td>
                  <td>{tDynamic(`alarm.priority.${a.priority}`)}</td>
                  <td>{a.unitId ?? t('operator.alarms.wholeLine')}</td>
                  <td>{what(a)}</td>
                  <td>
                    {tDynamic(`alarm.state.${a.state}`)}
                    {a.acknowledgedBy ? ` · ${t('operator.alarms.by', { name: a.acknowledgedBy })}` : ''}
                  </td>
                  {mayAck && (
                    <td>
                      {waiting && (
                        <button type="button" disabled={busy === a.id} aria-label={t('operator.alarms.acknowledgeLabel', { condition: what(a), unit: a.unitId ?? t('operator.alarms.wholeLine') })} onClick={() => acknowledge(a)}>
                          {t('operator.alarms.acknowledge')}
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <ProblemMessage error={error} />
    </section>
  );
}

/** The line's open alarms, for the engineer who injects a fault to see what it raises (acknowledging is the operator panel's). */
import { seg } from '../../api.ts';
import { ProblemMessage } from '../../components/problem.tsx';
import { formatTime, t, tDynamic } from '../../i18n/i18n.ts';
import type { AlarmState } from '../../../../src/events/site-event.ts';
import { useLiveLoad } from './use-live-load.ts';

/** The fields of GET /alarms this panel shows. */
interface AlarmView {
  readonly id: string;
  readonly unitId: string | null;
  readonly condition: string;
  readonly priority: 'low' | 'medium' | 'high' | 'urgent';
  readonly state: AlarmState;
  readonly raisedAt: string;
}

export function AlarmsPanel({ lineId }: { readonly lineId: string }) {
  const alarms = useLiveLoad<{ alarms: AlarmView[] }>(`/alarms?lineId=${seg(lineId)}&state=open`, ['alarm'], (e) => 'lineId' in e && e.lineId === lineId);
  const open = alarms.data?.alarms ?? [];
  return (
    <section class="panel engineer-alarms" aria-labelledby="engineer-alarms-title">
      <h2 id="engineer-alarms-title">{t('engineer.alarms.title')}</h2>
      <ProblemMessage error={alarms.error} />
      {!alarms.data ? (
        <p>{t('common.loading')}</p>
      ) : open.length === 0 ? (
        <p>{t('engineer.alarms.none')}</p>
      ) : (
        <ul class="engineer-alarm-list">
          {open.map((a) => (
            <li key={a.id} class={a.state.startsWith('active') ? `alarm-${a.priority}` : undefined} data-condition={a.condition} data-unit={a.unitId ?? ''}>
              <strong>{tDynamic(`engineer.priority.${a.priority}`)}</strong> {formatTime(a.raisedAt)} · {a.unitId ?? lineId} · <code>{a.condition}</code> · {tDynamic(`engineer.alarmState.${a.state}`)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

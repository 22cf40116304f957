/** The line file as the server loaded it (the server leaves every secret out). */
import { seg } from '../../api.ts';
import { ProblemMessage } from '../../components/problem.tsx';
import { formatNumber, t } from '../../i18n/i18n.ts';
import type { LineConfigView } from '../../../../src/site/engineer-views.ts';
import { useLiveLoad } from './use-live-load.ts';

function pairs(record: Readonly<Record<string, number>>, format: (n: number) => string): string {
  const entries = Object.entries(record);
  return entries.length === 0 ? t('common.none') : entries.map(([k, v]) => `${k} ${format(v)}`).join(', ');
}

export function ConfigPanel({ lineId }: { readonly lineId: string }) {
  const config = useLiveLoad<LineConfigView>(`/lines/${seg(lineId)}/config`, []);
  const c = config.data;
  const ms = (n: number): string => t('engineer.ms', { value: formatNumber(n) });
  return (
    <section class="panel engineer-config" aria-labelledby="engineer-config-title">
      <h2 id="engineer-config-title">{t('engineer.config.title')}</h2>
      <ProblemMessage error={config.error} />
      {!c ? (
        <p>{t('common.loading')}</p>
      ) : (
        <>
          <dl class="engineer-facts">
            <dt>{t('engineer.config.file')}</dt>
            <dd>{c.file}</dd>
            <dt>{t('engineer.config.description')}</dt>
            <dd>{c.description || t('common.none')}</dd>
            <dt>{t('engineer.config.template')}</dt>
            <dd>{c.template}</dd>
            <dt>{t('engineer.config.security')}</dt>
            <dd>
              {t('engineer.config.securityValue', {
                mode: c.opcuaSecurity.mode,
                policy: c.opcuaSecurity.policy,
                login: c.opcuaSecurity.clientLogin === 'user' ? t('engineer.config.loginUser') : t('engineer.config.loginAnonymous'),
              })}
            </dd>
            <dt>{t('engineer.config.simulation')}</dt>
            <dd>
              {c.simulation
                ? t('engineer.config.simulationValue', { timeScale: c.simulation.timeScale, heartbeat: ms(c.simulation.heartbeatMs), blanks: c.simulation.initialBlanks, prefix: c.simulation.serialPrefix })
                : t('engineer.config.realLine')}
            </dd>
          </dl>
          <table>
            <caption class="visually-hidden">{t('engineer.config.stations')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('engineer.config.station')}</th>
                <th scope="col">{t('engineer.config.kind')}</th>
                <th scope="col">{t('engineer.config.units')}</th>
                <th scope="col" class="num">{t('engineer.config.cycle')}</th>
                <th scope="col">{t('engineer.config.failures')}</th>
                <th scope="col">{t('engineer.config.timeouts')}</th>
              </tr>
            </thead>
            <tbody>
              {c.stations.map((s) => (
                <tr key={s.id}>
                  <th scope="row">{s.id}</th>
                  <td>
                    {s.kind} · {s.transport === 'opcua' ? 'OPC UA' : 'Modbus TCP'}
                  </td>
                  <td>
                    <ul class="engineer-units">
                      {s.units.map((u) => (
                        <li key={u.id}>
                          {u.id}: <code>{u.address}</code>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td class="num">{t('engineer.config.cycleValue', { mean: ms(s.cycle.meanMs), sd: ms(s.cycle.sdMs), distribution: s.cycle.distribution })}</td>
                  <td>{pairs(s.failures, (p) => formatNumber(p, { maximumFractionDigits: 4 }))}</td>
                  <td>{pairs(s.timeouts, ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

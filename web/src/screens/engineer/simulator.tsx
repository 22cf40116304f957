/**
 * A simulated line's simulator: inject a fault into a unit (drop connection, freeze heartbeat,
 * e-stop, jam, slow cycles) or clear it, each injection confirmed first and audited by the server;
 * each unit's faults as the simulator has them; and its ledger, the physical truth of the line.
 */
import { useState } from 'preact/hooks';
import { post, seg } from '../../api.ts';
import { Confirm } from '../../components/confirm.tsx';
import { ProblemMessage } from '../../components/problem.tsx';
import { packmlStateLabel } from '../../i18n/codes.ts';
import { formatNumber, t, tDynamic } from '../../i18n/i18n.ts';
import { can } from '../../session.ts';
import type { SimulatorFaultName, SimulatorFaultResult, SimulatorView } from '../../../../src/site/engineer-views.ts';
import { useLiveLoad } from './use-live-load.ts';

const FAULTS: readonly SimulatorFaultName[] = ['e-stop', 'freeze-heartbeat', 'drop-connection', 'jam', 'slow-cycles'];

export function SimulatorPanel({ lineId }: { readonly lineId: string }) {
  const sim = useLiveLoad<SimulatorView>(`/lines/${seg(lineId)}/simulator`, ['station.state', 'counters', 'alarm'], (e) => 'lineId' in e && e.lineId === lineId);
  const [unit, setUnit] = useState('');
  const [fault, setFault] = useState<SimulatorFaultName>('e-stop');
  const [factor, setFactor] = useState('4');
  const [probability, setProbability] = useState('1');
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | null>(null);
  const units = sim.data?.units ?? [];
  const chosen = unit || units[0]?.unitId || '';
  const faultName = (f: SimulatorFaultName): string => tDynamic(`engineer.fault.${f}`);

  const send = async (action: 'inject' | 'clear'): Promise<void> => {
    setAsking(false);
    setBusy(true);
    setError(undefined);
    setDone(null);
    try {
      const body = {
        unit: chosen,
        fault,
        action,
        ...(fault === 'slow-cycles' && action === 'inject' ? { factor: Number(factor) } : {}),
        ...(fault === 'jam' && action === 'inject' ? { probability: Number(probability) } : {}),
      };
      const result = await post<SimulatorFaultResult>(`/lines/${seg(lineId)}/simulator/faults`, body);
      setDone(t(action === 'inject' ? 'engineer.sim.injected' : 'engineer.sim.cleared', { fault: faultName(fault), units: result.units.join(', ') }));
      sim.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel engineer-sim" aria-labelledby="engineer-sim-title">
      <h2 id="engineer-sim-title">{t('engineer.sim.title')}</h2>
      <ProblemMessage error={sim.error} />
      {!sim.data ? (
        <p>{t('common.loading')}</p>
      ) : (
        <>
          {can('line.engineer') && (
            <form class="engineer-fault" onSubmit={(e) => (e.preventDefault(), setAsking(true))} aria-labelledby="engineer-fault-title">
              <h3 id="engineer-fault-title">{t('engineer.sim.faultTitle')}</h3>
              <label>
                {t('engineer.unit')}
                <select name="unit" value={chosen} onChange={(e) => setUnit(e.currentTarget.value)}>
                  {units.map((u) => (
                    <option key={u.unitId} value={u.unitId}>
                      {u.unitId}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                {t('engineer.sim.fault')}
                <select name="fault" value={fault} onChange={(e) => setFault(e.currentTarget.value as SimulatorFaultName)}>
                  {FAULTS.map((f) => (
                    <option key={f} value={f}>
                      {faultName(f)}
                    </option>
                  ))}
                </select>
              </label>
              {fault === 'slow-cycles' && (
                <label>
                  {t('engineer.sim.factor')}
                  <input name="factor" type="number" min="0" max="100" step="0.5" value={factor} onInput={(e) => setFactor(e.currentTarget.value)} />
                </label>
              )}
              {fault === 'jam' && (
                <label>
                  {t('engineer.sim.probability')}
                  <input name="probability" type="number" min="0" max="1" step="0.05" value={probability} onInput={(e) => setProbability(e.currentTarget.value)} />
                </label>
              )}
              <div class="engineer-actions">
                <button type="submit" class="attention" disabled={busy || chosen === ''}>
                  {t('engineer.sim.inject')}
                </button>
                <button type="button" disabled={busy || chosen === '' || fault === 'drop-connection'} onClick={() => void send('clear')}>
                  {t('engineer.sim.clear')}
                </button>
              </div>
              <p class="muted">{tDynamic(`engineer.faultHelp.${fault}`)}</p>
              <ProblemMessage error={error} />
              {done && <p role="status">{done}</p>}
            </form>
          )}
          <Confirm open={asking} title={t('engineer.sim.confirmTitle', { fault: faultName(fault), unit: chosen })} confirmLabel={t('engineer.sim.inject')} onConfirm={() => void send('inject')} onCancel={() => setAsking(false)}>
            <p>{t('engineer.sim.confirmText')}</p>
          </Confirm>
          <table class="engineer-sim-units">
            <caption class="visually-hidden">{t('engineer.sim.unitsTitle')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('engineer.unit')}</th>
                <th scope="col">{t('engineer.links.state')}</th>
                <th scope="col">{t('engineer.sim.stopReason')}</th>
                <th scope="col">{t('engineer.sim.heartbeat')}</th>
                <th scope="col" class="num">{t('engineer.sim.slow')}</th>
                <th scope="col" class="num">{t('engineer.sim.jam')}</th>
              </tr>
            </thead>
            <tbody>
              {sim.data.units.map((u) => (
                <tr key={u.unitId} data-unit={u.unitId}>
                  <th scope="row">{u.unitId}</th>
                  <td>{packmlStateLabel(u.state)}</td>
                  <td>{u.stopReason}</td>
                  <td class={u.heartbeatFrozen ? 'attention' : undefined}>{u.heartbeatFrozen ? t('engineer.sim.frozen') : t('engineer.sim.beating')}</td>
                  <td class="num">{formatNumber(u.slowFactor)}×</td>
                  <td class="num">{formatNumber(u.jam, { maximumFractionDigits: 4 })}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>{t('engineer.ledger.title')}</h3>
          <dl class="engineer-facts engineer-ledger">
            {(['blanksLoaded', 'magazine', 'fed', 'inMachine', 'inStacker', 'stacked', 'unloaded', 'inRejectBin', 'purged'] as const).map((k) => (
              <div key={k} data-count={k}>
                <dt>{tDynamic(`engineer.ledger.${k}`)}</dt>
                <dd>{formatNumber(sim.data!.ledger[k])}</dd>
              </div>
            ))}
          </dl>
          {Object.keys(sim.data.ledger.rejectReasons).length > 0 && (
            <p>
              {t('engineer.ledger.reasons')}{' '}
              {Object.entries(sim.data.ledger.rejectReasons)
                .map(([reason, n]) => `${reason} ${formatNumber(n)}`)
                .join(', ')}
            </p>
          )}
        </>
      )}
    </section>
  );
}

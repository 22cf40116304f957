/**
 * The engineer view (issue 18): per line, the line file as loaded (no secret), each unit's station
 * link health, the line's open alarms, and for a simulated line the simulator's fault injection and
 * ledger. Everything reloads from the event stream; nothing polls.
 */
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.ts';
import { ProblemMessage } from '../components/problem.tsx';
import { t } from '../i18n/i18n.ts';
import { href } from '../router.ts';
import { reloadGeneration } from '../live.ts';
import { AlarmsPanel } from './engineer/alarms.tsx';
import { ConfigPanel } from './engineer/config.tsx';
import { LinksPanel } from './engineer/links.tsx';
import { SimulatorPanel } from './engineer/simulator.tsx';

/** The fields of GET /lines this screen needs. */
interface LineStatusView {
  readonly id: string;
  readonly name: string;
  readonly simulated: boolean;
}

export function EngineerScreen({ args }: { readonly args: readonly string[] }) {
  const [lines, setLines] = useState<readonly LineStatusView[] | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    get<{ lines: LineStatusView[] }>('/lines').then(
      (answer) => setLines(answer.lines),
      (e: unknown) => setError(e),
    );
  }, [reloadGeneration.value]);
  const line = lines?.find((l) => l.id === args[0]) ?? lines?.[0];
  return (
    <div class="engineer">
      <h1>{t('engineer.title')}</h1>
      <ProblemMessage error={error} />
      {lines === null ? (
        !error && <p>{t('common.loading')}</p>
      ) : !line ? (
        <p>{t('engineer.noLines')}</p>
      ) : (
        <>
          {lines.length > 1 && (
            <nav class="engineer-lines" aria-label={t('engineer.lines')}>
              {lines.map((l) => (
                <a key={l.id} class="button" href={href('engineer', l.id)} aria-current={l.id === line.id ? 'page' : undefined}>
                  {l.name}
                </a>
              ))}
            </nav>
          )}
          <p class="muted">
            {t('engineer.lineSummary', { name: line.name, id: line.id })} · {line.simulated ? t('engineer.simulated') : t('engineer.real')}
          </p>
          <LinksPanel key={`links-${line.id}`} lineId={line.id} />
          <AlarmsPanel key={`alarms-${line.id}`} lineId={line.id} />
          {line.simulated && <SimulatorPanel key={`sim-${line.id}`} lineId={line.id} />}
          <ConfigPanel key={`config-${line.id}`} lineId={line.id} />
        </>
      )}
    </div>
  );
}

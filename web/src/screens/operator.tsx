/**
 * The operator panel (issue 18), one line at a time (`#/operator/<lineId>`; a picker when the site
 * has several): the alarm banner, the line mimic, the running batch, blanks and stacker, the queue
 * and the alarm list. ISA-101: grey for normal, colour only for what needs the operator. Everything
 * after the first load comes from the event stream.
 */
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.ts';
import { ProblemMessage } from '../components/problem.tsx';
import { t, tDynamic } from '../i18n/i18n.ts';
import { reloadGeneration } from '../live.ts';
import { href } from '../router.ts';
import { AlarmBanner, AlarmList } from './operator/alarms.tsx';
import { LineMimic } from './operator/mimic.tsx';
import { BatchProgress } from './operator/progress.tsx';
import { BatchQueue } from './operator/queue.tsx';
import { StockPanel } from './operator/stock.tsx';
import { useLine } from './operator/use-line.ts';

interface LineSummary {
  readonly id: string;
  readonly name: string;
}

export function OperatorScreen({ args }: { readonly args: readonly string[] }) {
  const [lines, setLines] = useState<readonly LineSummary[] | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const lineId = args[0];
  useEffect(() => {
    get<{ lines: LineSummary[] }>('/lines').then((answer) => setLines(answer.lines), setError);
  }, [reloadGeneration.value]);

  if (error !== undefined) return <ProblemMessage error={error} />;
  if (lines === null) return <p>{t('common.loading')}</p>;
  if (lines.length === 0) return <p>{t('operator.noLines')}</p>;
  // One line: its panel at once (also from the navigation's #/operator); several: the picker until one is chosen.
  const shown = lineId ?? (lines.length === 1 ? lines[0]!.id : undefined);
  return (
    <div class="operator">
      {lines.length > 1 && (
        <nav class="op-lines" aria-label={t('operator.pickLine')}>
          {lines.map((l) => (
            <a key={l.id} class="button" href={href('operator', l.id)} aria-current={l.id === shown ? 'page' : undefined}>
              {l.name}
            </a>
          ))}
        </nav>
      )}
      {shown ? <LinePanel key={shown} lineId={shown} /> : <h1>{t('operator.pickLine')}</h1>}
    </div>
  );
}

function LinePanel({ lineId }: { readonly lineId: string }) {
  const live = useLine(lineId);
  const { model } = live;
  // The ui_first_paint bench reads this mark: the panel drawn with its data.
  useEffect(() => {
    if (model && performance.getEntriesByName('operator-ready').length === 0) performance.mark('operator-ready');
  }, [model !== null]);
  if (!model) return live.error !== undefined ? <ProblemMessage error={live.error} /> : <p>{t('common.loading')}</p>;
  const { line } = model;
  return (
    <div class="op-panel" data-line={line.id} data-phase={line.phase}>
      <header class="op-head">
        <h1>{t('operator.title', { line: line.name })}</h1>
        <span class={line.phase === 'paused' || line.phase === 'remote' ? 'op-phase attention' : 'op-phase'}>
          {t('operator.phase', { phase: tDynamic(`operator.phase.${line.phase}`) })}
        </span>
        {line.simulated && <span class="muted">{t('operator.simulated')}</span>}
        {line.drivenBy && line.phase === 'remote' && <span class="muted">{t('operator.drivenBy', { server: line.drivenBy })}</span>}
      </header>
      <AlarmBanner alarms={model.alarms} />
      <ProblemMessage error={live.error} />
      <LineMimic model={model} />
      <div class="op-grid">
        <BatchProgress model={model} shift={live.shift} />
        <StockPanel model={model} onLoaded={(available) => live.update((m) => ({ ...m, line: { ...m.line, stock: { ...m.line.stock, blanksAvailable: available } } }))} />
      </div>
      <BatchQueue model={model} batches={live.batches} onChanged={() => live.reloadBatches()} />
      <AlarmList alarms={model.alarms} />
    </div>
  );
}

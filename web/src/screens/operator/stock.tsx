/**
 * Blanks left for the feeder (the store's count, less every card fed since) and how full the stacker
 * is; the form that records a lot of blanks loaded into the feeder (POST /lines/{id}/stock).
 */
import { useState } from 'preact/hooks';
import { post, seg } from '../../api.ts';
import { ProblemMessage } from '../../components/problem.tsx';
import { formatNumber, formatPercent, t } from '../../i18n/i18n.ts';
import { can } from '../../session.ts';
import type { LineModel } from './model.ts';

export interface StockProps {
  readonly model: LineModel;
  readonly onLoaded: (available: number) => void;
}

export function StockPanel({ model, onLoaded }: StockProps) {
  const { stock } = model.line;
  const [count, setCount] = useState('');
  const [lot, setLot] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [said, setSaid] = useState('');
  const capacity = stock.stackerCapacity ?? null;
  const fill = capacity !== null && model.stackerCards !== null ? Math.min(1, model.stackerCards / capacity) : stock.stackerFill;
  return (
    <section class="op-stock panel" aria-labelledby="op-stock-title">
      <h2 id="op-stock-title">{t('operator.stock.title')}</h2>
      <dl class="op-figures">
        <div>
          <dt>{t('operator.stock.blanks')}</dt>
          <dd data-figure="blanks">{formatNumber(stock.blanksAvailable)}</dd>
        </div>
        <div>
          <dt>{t('operator.stock.stacker')}</dt>
          <dd data-figure="stacker" class={fill !== null && fill >= 0.9 ? 'op-attention-text' : undefined}>
            {fill === null ? t('operator.progress.unknown') : formatPercent(fill, 0)}
          </dd>
        </div>
      </dl>
      {can('stock.load') && (
        <form
          class="op-stock-load"
          onSubmit={(e) => {
            e.preventDefault();
            setError(undefined);
            setSaid('');
            const n = Number(count);
            post<{ outcome: 'loaded' | 'already-loaded'; available: number }>(`/lines/${seg(model.line.id)}/stock`, { count: n, ...(lot.trim() ? { lot: lot.trim() } : {}) }).then((answer) => {
              onLoaded(answer.available);
              setSaid(answer.outcome === 'loaded' ? t('operator.stock.loaded', { count: n }) : t('operator.stock.alreadyLoaded'));
              setCount('');
              setLot('');
            }, setError);
          }}
        >
          <label>
            {t('operator.stock.count')}
            <input name="count" type="number" min={1} max={1000000} required value={count} onInput={(e) => setCount(e.currentTarget.value)} />
          </label>
          <label>
            {t('operator.stock.lot')}
            <input name="lot" type="text" maxLength={64} pattern="[A-Za-z0-9][A-Za-z0-9._\-]*" value={lot} onInput={(e) => setLot(e.currentTarget.value)} />
          </label>
          <button type="submit">{t('operator.stock.load')}</button>
        </form>
      )}
      {said && <p role="status">{said}</p>}
      <ProblemMessage error={error} />
    </section>
  );
}

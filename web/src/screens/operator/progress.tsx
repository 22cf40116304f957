/**
 * The batch on the line: good, spoiled, pending and in-line cards, the ETA at the current rate,
 * cards an hour now and over the shift; pause, resume and abort (abort after a confirmation).
 */
import { useState } from 'preact/hooks';
import { post, seg } from '../../api.ts';
import { Confirm } from '../../components/confirm.tsx';
import { ProblemMessage } from '../../components/problem.tsx';
import { formatNumber, formatTime, t, tDynamic } from '../../i18n/i18n.ts';
import { can } from '../../session.ts';
import type { LineModel } from './model.ts';

export interface ProgressProps {
  readonly model: LineModel;
  readonly shift: { readonly shift: string; readonly cardsPerHour: number } | null;
}

export function BatchProgress({ model, shift }: ProgressProps) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const { line, batch } = model;
  const act = (what: 'pause' | 'resume' | 'abort'): void => {
    setBusy(true);
    setError(undefined);
    post(`/lines/${seg(line.id)}/${what}`, what === 'abort' ? { records: 'requeue' } : undefined)
      .catch(setError)
      .finally(() => setBusy(false));
  };
  const running = line.phase === 'running' && batch !== null;
  const paused = line.phase === 'paused' && batch !== null;
  const eta = batch?.etaSeconds ?? null;
  return (
    <section class="op-progress panel" aria-labelledby="op-progress-title">
      <h2 id="op-progress-title">{t('operator.progress.title')}</h2>
      {batch === null ? (
        <p>{t('operator.progress.none')}</p>
      ) : (
        <>
          <p class="op-batch" data-batch={batch.batchId} data-status={batch.status}>
            {t('operator.progress.batch', { batch: batch.batchId, status: tDynamic(`batchStatus.${batch.status}`) })}
          </p>
          <progress class="op-bar" max={Math.max(1, batch.records)} value={batch.good} aria-label={t('operator.progress.bar', { good: batch.good, records: batch.records })} />
          <dl class="op-figures">
            <div>
              <dt>{t('operator.progress.good')}</dt>
              <dd data-figure="good">{formatNumber(batch.good)}</dd>
            </div>
            <div>
              <dt>{t('operator.progress.spoiled')}</dt>
              <dd data-figure="spoiled">{formatNumber(batch.spoiled)}</dd>
            </div>
            <div>
              <dt>{t('operator.progress.pending')}</dt>
              <dd data-figure="pending">{formatNumber(batch.pending)}</dd>
            </div>
            <div>
              <dt>{t('operator.progress.inLine')}</dt>
              <dd data-figure="inLine">{formatNumber(batch.inLine)}</dd>
            </div>
            <div>
              <dt>{t('operator.progress.eta')}</dt>
              <dd>{eta === null ? t('operator.progress.unknown') : t('operator.progress.etaValue', { time: formatTime(new Date(Date.now() + eta * 1000)), minutes: Math.ceil(eta / 60) })}</dd>
            </div>
            <div>
              <dt>{t('operator.progress.rateNow')}</dt>
              <dd>{batch.cardsPerHour === null ? t('operator.progress.unknown') : formatNumber(batch.cardsPerHour)}</dd>
            </div>
          </dl>
        </>
      )}
      <p>
        {shift === null ? t('operator.progress.rateShiftUnknown') : t('operator.progress.rateShift', { shift: shift.shift, rate: formatNumber(Math.round(shift.cardsPerHour)) })}
      </p>
      {can('run') && (running || paused) && (
        <div class="op-actions">
          {running && (
            <button type="button" disabled={busy} onClick={() => act('pause')}>
              {t('operator.pause')}
            </button>
          )}
          {paused && (
            <button type="button" class="primary" disabled={busy} onClick={() => act('resume')}>
              {t('operator.resume')}
            </button>
          )}
          <button type="button" class="attention" disabled={busy} onClick={() => setAsking(true)}>
            {t('operator.abort')}
          </button>
        </div>
      )}
      <ProblemMessage error={error} />
      <Confirm
        open={asking}
        title={t('operator.abort.title', { batch: batch?.batchId ?? '' })}
        confirmLabel={t('operator.abort.confirm')}
        onCancel={() => setAsking(false)}
        onConfirm={() => {
          setAsking(false);
          act('abort');
        }}
      >
        <p>{t('operator.abort.body')}</p>
      </Confirm>
    </section>
  );
}

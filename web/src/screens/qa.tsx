/**
 * The QA station (issue 18): a batch's cards the controller wants a person to look at (failed,
 * rejected, borderline, re-made, sampled at the site's rate), any card scanned or typed by serial,
 * one card's previews and verdict in detail with the reject, and the batch's two-person release.
 * Live: a card or batch event of the batch reloads the list (no polling).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, seg } from '../api.ts';
import { ProblemMessage } from '../components/problem.tsx';
import { t } from '../i18n/i18n.ts';
import { onEvent, reloadGeneration } from '../live.ts';
import { navigate } from '../router.ts';
import { CardDetail, type RejectAnswer } from './qa/card-detail.tsx';
import { batchStatusLabel } from './qa/labels.ts';
import { QueueTable } from './qa/queue-table.tsx';
import { ReleasePanel } from './qa/release.tsx';
import type { BatchEntry, Inspection, QaQueue } from './qa/types.ts';

/** Events come in bursts while a line runs: one reload for each such while. */
const RELOAD_AFTER_MS = 400;

/** The batch shown first: the newest one with cards QA has still to release. */
function firstBatch(batches: readonly BatchEntry[]): string | undefined {
  return (batches.find((b) => ['reconciled', 'completed', 'aborted', 'ready', 'running', 'paused', 'interrupted'].includes(b.status)) ?? batches[0])?.id;
}

export function QaScreen({ args }: { readonly args: readonly string[] }) {
  const [batches, setBatches] = useState<readonly BatchEntry[] | null>(null);
  const batchId = args[0] ?? (batches ? firstBatch(batches) : undefined);
  const serial = args[1] ?? null;
  const [queue, setQueue] = useState<QaQueue | null>(null);
  const [inspection, setInspection] = useState<Inspection | null>(null);
  const [scan, setScan] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const loadBatches = async () => setBatches(await get<BatchEntry[]>('/batches'));
  const loadQueue = async (id: string) => setQueue(await get<QaQueue>(`/batches/${seg(id)}/qa-queue`));
  const loadCard = async (s: string) => {
    try {
      setInspection(await get<Inspection>(`/cards/${seg(s)}/inspection`));
    } catch (e) {
      setInspection(null);
      if (e instanceof ApiError && e.status === 404) setMessage(t('qa.card.notFound', { serial: s }));
      else throw e;
    }
  };
  const reload = () => {
    setError(null);
    const work = [loadBatches(), ...(batchId ? [loadQueue(batchId)] : []), ...(serial ? [loadCard(serial)] : [])];
    Promise.all(work).catch(setError);
  };

  useEffect(reload, [batchId, serial, reloadGeneration.value]);
  useEffect(() => {
    const later = (id: string | null) => {
      if (id !== batchId && !(serial && inspection?.batchId === id)) return;
      // At most one reload a while: a running line sends card events without pause.
      timer.current ??= setTimeout(() => {
        timer.current = undefined;
        reload();
      }, RELOAD_AFTER_MS);
    };
    const offCard = onEvent('card', (e) => later(e.batchId));
    const offBatch = onEvent('batch', (e) => later(e.batchId));
    return () => {
      offCard();
      offBatch();
      clearTimeout(timer.current);
      timer.current = undefined;
    };
  }, [batchId, serial, inspection?.batchId]);

  const open = (s: string) => {
    setMessage(null);
    navigate('qa', batchId ?? '', s);
  };
  const rejected = (answer: RejectAnswer) => {
    setMessage(t('qa.reject.done', { serial: serial ?? '', seq: String(answer.seq), record: answer.record.startsWith('failed') ? t('qa.reject.failed') : t('qa.reject.queued') }));
    reload();
  };

  if (!batches) return <p>{t('common.loading')}</p>;
  return (
    <div class="qa">
      <h1>{t('qa.title')}</h1>
      <div class="qa-toolbar">
        {batches.length === 0 ? (
          <p class="muted">{t('qa.noBatches')}</p>
        ) : (
          <label>
            {t('qa.batch')}
            <select name="batch" value={batchId} onChange={(e) => navigate('qa', e.currentTarget.value)}>
              {batches.map((b) => (
                <option key={b.id} value={b.id}>
                  {t('qa.batchOption', { id: b.id, name: b.name, status: batchStatusLabel(b.status) })}
                </option>
              ))}
            </select>
          </label>
        )}
        <form
          class="qa-scan"
          onSubmit={(e) => {
            e.preventDefault();
            const s = scan.trim();
            if (s) open(s);
            setScan('');
          }}
        >
          <label>
            {t('qa.scan.label')}
            <input name="scan" autocomplete="off" value={scan} onInput={(e) => setScan(e.currentTarget.value)} />
          </label>
          <button type="submit">{t('qa.scan.open')}</button>
        </form>
      </div>
      {message && (
        <p role="status" class="qa-message">
          {message}
        </p>
      )}
      <ProblemMessage error={error} />
      <div class="qa-layout">
        <section class="qa-list" aria-labelledby="qa-queue-title">
          <h2 id="qa-queue-title">{t('qa.queue.title')}</h2>
          {queue ? <QueueTable queue={queue} selected={serial} onInspect={open} /> : batchId && <p>{t('common.loading')}</p>}
          {queue && <ReleasePanel batchId={queue.batchId} batchStatus={queue.batchStatus} onReleased={reload} />}
        </section>
        {inspection && serial === inspection.cardSerial && <CardDetail inspection={inspection} onClose={() => navigate('qa', batchId ?? '')} onRejected={rejected} />}
      </div>
    </div>
  );
}

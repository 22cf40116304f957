/**
 * The batches waiting on the line, first to run first: move one up or down, take it off, start the
 * first (a paused or interrupted batch starts with resume); and add an imported batch to the end.
 */
import { useState } from 'preact/hooks';
import { api, del, post, put, seg } from '../../api.ts';
import { ProblemMessage } from '../../components/problem.tsx';
import { t, tDynamic } from '../../i18n/i18n.ts';
import { can } from '../../session.ts';
import type { BatchEntry, LineModel } from './model.ts';

/** Statuses a batch may be queued in (the site refuses others with a reason). */
const QUEUEABLE = new Set(['imported', 'ready', 'paused', 'interrupted']);
const RESUMES = new Set(['paused', 'interrupted']);

export interface QueueProps {
  readonly model: LineModel;
  readonly batches: readonly BatchEntry[];
  readonly onChanged: () => void;
}

export function BatchQueue({ model, batches, onChanged }: QueueProps) {
  const { line } = model;
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [choice, setChoice] = useState('');
  const mayRun = can('run');
  const byId = new Map(batches.map((b) => [b.id, b]));
  const queued = new Set(line.queue);
  const candidates = batches.filter((b) => !queued.has(b.id) && !b.quarantineOnly && b.accepted > 0 && QUEUEABLE.has(b.status) && b.id !== model.batch?.batchId);
  const selected = candidates.some((b) => b.id === choice) ? choice : (candidates[0]?.id ?? '');
  const lineBusy = line.phase !== 'idle';

  const run = (request: Promise<unknown>): void => {
    setBusy(true);
    setError(undefined);
    request
      .then(onChanged, setError)
      .finally(() => setBusy(false));
  };
  const move = (index: number, by: -1 | 1): void => {
    const order = [...line.queue];
    const [id] = order.splice(index, 1);
    order.splice(index + by, 0, id!);
    run(put(`/lines/${seg(line.id)}/queue`, { batchIds: order }));
  };

  return (
    <section class="op-queue panel" aria-labelledby="op-queue-title">
      <h2 id="op-queue-title">{t('operator.queue.title')}</h2>
      {line.queue.length === 0 ? (
        <p>{t('operator.queue.empty')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col" class="num">
                {t('operator.queue.position')}
              </th>
              <th scope="col">{t('operator.queue.batch')}</th>
              <th scope="col">{t('operator.queue.status')}</th>
              {mayRun && <th scope="col">{t('operator.queue.actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {line.queue.map((id, i) => {
              const b = byId.get(id);
              return (
                <tr key={id} data-queued={id}>
                  <td class="num">{i + 1}</td>
                  <td>
                    {b ? `${b.name} · ` : ''}
                    <code>{id}</code>
                  </td>
                  <td>{tDynamic(`batchStatus.${b?.status ?? 'unknown'}`)}</td>
                  {mayRun && (
                    <td class="op-row-actions">
                      {i === 0 && (
                        <button
                          type="button"
                          class="primary"
                          disabled={busy || lineBusy}
                          aria-label={t('operator.queue.startLabel', { batch: id })}
                          onClick={() => run(api('POST', `/lines/${seg(line.id)}/start`, { batchId: id, resume: RESUMES.has(b?.status ?? '') }))}
                        >
                          {t('operator.queue.start')}
                        </button>
                      )}
                      <button type="button" disabled={busy || i === 0} aria-label={t('operator.queue.upLabel', { batch: id })} onClick={() => move(i, -1)}>
                        {t('operator.queue.up')}
                      </button>
                      <button type="button" disabled={busy || i === line.queue.length - 1} aria-label={t('operator.queue.downLabel', { batch: id })} onClick={() => move(i, 1)}>
                        {t('operator.queue.down')}
                      </button>
                      <button type="button" disabled={busy} aria-label={t('operator.queue.removeLabel', { batch: id })} onClick={() => run(del(`/lines/${seg(line.id)}/queue/${seg(id)}`))}>
                        {t('operator.queue.remove')}
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {mayRun &&
        (candidates.length === 0 ? (
          <p class="muted">{t('operator.queue.noneToAdd')}</p>
        ) : (
          <form
            class="op-enqueue"
            onSubmit={(e) => {
              e.preventDefault();
              if (selected) run(post(`/lines/${seg(line.id)}/queue`, { batchId: selected }));
            }}
          >
            <label>
              {t('operator.queue.add')}
              <select name="batch" value={selected} onChange={(e) => setChoice(e.currentTarget.value)}>
                {candidates.map((b) => (
                  <option key={b.id} value={b.id}>
                    {t('operator.queue.option', { name: b.name, batch: b.id, records: b.accepted })}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={busy}>
              {t('operator.queue.enqueue')}
            </button>
          </form>
        ))}
      <ProblemMessage error={error} />
    </section>
  );
}

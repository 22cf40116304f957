/**
 * The batch's release under the two-person rule (issue 8): a QA user asks; a second person signs
 * in here, in a dialog, with their own name and password and approves. The second sign-in never
 * replaces the session of the user at the desk (second-person.ts); the server enforces the rule.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post, seg } from '../../api.ts';
import { ProblemMessage } from '../../components/problem.tsx';
import { formatDate, formatDateTime, t } from '../../i18n/i18n.ts';
import { can, user } from '../../session.ts';
import { batchStatusLabel } from './labels.ts';
import { approveAsSecondPerson } from './second-person.ts';
import type { Approved, ApprovalRequest } from './types.ts';

function SecondPersonDialog({ request, onDone, onCancel }: { readonly request: ApprovalRequest | null; readonly onDone: (approved: Approved) => void; readonly onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const first = useRef<HTMLInputElement>(null);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (request && !d.open) {
      setName('');
      setPassword('');
      setMessage(null);
      d.showModal();
      first.current?.focus();
    } else if (!request && d.open) d.close();
  }, [request?.id]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!request) return;
    setBusy(true);
    setMessage(null);
    try {
      onDone(await approveAsSecondPerson(request.id, name, password));
    } catch (error) {
      if (error instanceof ApiError && error.slug === 'two-person-rule') setMessage(t('qa.second.samePerson'));
      else if (error instanceof ApiError && error.status === 401) setMessage(t('qa.second.loginFailed'));
      else if (error instanceof ApiError && error.status === 403 && error.problem.permission === 'approve') setMessage(t('qa.second.notAllowed'));
      else setMessage(t('common.error', { detail: error instanceof Error ? error.message : String(error) }));
    } finally {
      setPassword('');
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="confirm qa-second" aria-labelledby="qa-second-title" onCancel={(e) => (e.preventDefault(), onCancel())}>
      <form onSubmit={(e) => void submit(e)}>
        <h2 id="qa-second-title">{t('qa.second.title')}</h2>
        <p>{t('qa.second.explain', { name: user.value?.name ?? '' })}</p>
        <label>
          {t('qa.second.user')}
          <input ref={first} name="secondUser" autocomplete="off" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          {t('qa.second.password')}
          <input name="secondPassword" type="password" autocomplete="off" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {message && (
          <p class="problem" role="alert">
            {message}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {t('qa.second.approve')}
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function ReleasePanel({ batchId, batchStatus, onReleased }: { readonly batchId: string; readonly batchStatus: string; readonly onReleased: () => void }) {
  const [pending, setPending] = useState<readonly ApprovalRequest[]>([]);
  const [approving, setApproving] = useState<ApprovalRequest | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const mayApprove = can('approve');

  const load = async () => {
    if (!mayApprove) return;
    try {
      setPending((await get<ApprovalRequest[]>('/approvals')).filter((r) => r.kind === 'release' && r.batchId === batchId));
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    setNote(null);
    setError(null);
  }, [batchId]);
  useEffect(() => {
    void load();
  }, [batchId, batchStatus]);

  const request = async () => {
    setError(null);
    try {
      const asked = await post<ApprovalRequest>(`/batches/${seg(batchId)}/release-requests`);
      setNote(t('qa.release.requested', { id: asked.id }));
      await load();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section class="panel qa-release" aria-labelledby="qa-release-title">
      <h2 id="qa-release-title">{t('qa.release.title')}</h2>
      <p>{t('qa.release.status', { id: batchId, status: batchStatusLabel(batchStatus) })}</p>
      {can('qa.release') && batchStatus !== 'released' && (
        <button type="button" onClick={() => void request()}>
          {t('qa.release.request')}
        </button>
      )}
      {note && <p role="status">{note}</p>}
      {mayApprove && (
        <>
          <h3>{t('qa.release.pending')}</h3>
          {pending.length === 0 ? (
            <p class="muted">{t('qa.release.none')}</p>
          ) : (
            <ul class="qa-requests">
              {pending.map((r) => (
                <li key={r.id}>
                  {t('qa.release.requestLine', { id: r.id, batch: r.batchId, by: r.requestedBy, time: formatDateTime(r.requestedAt) })}{' '}
                  <button type="button" class="primary" onClick={() => setApproving(r)}>
                    {t('qa.release.approve', { id: r.id })}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <ProblemMessage error={error} />
      <SecondPersonDialog
        request={approving}
        onCancel={() => setApproving(null)}
        onDone={(approved) => {
          setApproving(null);
          setNote(t('qa.release.released', { batch: approved.request.batchId, by: approved.request.approvedBy ?? '', date: approved.purgeDueAt ? formatDate(approved.purgeDueAt) : '—' }));
          void load();
          onReleased();
        }}
      />
    </section>
  );
}

/**
 * The audit view (issue 18; admin and manager): the audit log newest first, filtered by actor,
 * action (or an action prefix such as `batch.`), subject and time range in the site's zone, paged
 * back with "older entries"; and the hash chain's verification, run when the view opens and on
 * demand. The log holds no personal data (ids, names of users, counts), so its details are shown.
 */
import { useEffect, useState } from 'preact/hooks';
import { ProblemMessage } from '../components/problem.tsx';
import { formatDateTime, formatNumber, t } from '../i18n/i18n.ts';
import { reloadGeneration } from '../live.ts';
import { loadAudit, NO_FILTER, verifyChain, type AuditEntry, type AuditFilter, type Verdict } from './audit/data.ts';

const TEXT_FILTERS = [
  { key: 'actor', label: 'audit.filter.actor' },
  { key: 'action', label: 'audit.filter.action' },
  { key: 'subjectType', label: 'audit.filter.subjectType' },
  { key: 'subjectId', label: 'audit.filter.subjectId' },
] as const;

function VerdictPanel() {
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = (): void => {
    setBusy(true);
    verifyChain().then(
      (v) => (setVerdict(v), setError(null), setBusy(false)),
      (e: unknown) => (setError(e), setBusy(false)),
    );
  };
  useEffect(run, [reloadGeneration.value]);
  return (
    <section class="panel verdict" aria-labelledby="audit-verify">
      <h2 id="audit-verify">{t('audit.verify.title')}</h2>
      <ProblemMessage error={error} />
      <p role="status" class={verdict && !verdict.ok ? 'broken' : 'ok'} data-verdict={verdict ? (verdict.ok ? 'ok' : 'broken') : 'pending'}>
        {verdict === null
          ? t('common.loading')
          : verdict.ok
            ? t('audit.verify.ok', { rows: formatNumber(verdict.rows) })
            : t('audit.verify.broken', { row: verdict.rowId ?? '—', problem: verdict.problem ?? '' })}
      </p>
      {verdict?.head ? <p class="head muted">{t('audit.verify.head', { id: verdict.head.id, hash: verdict.head.hash })}</p> : null}
      <button type="button" onClick={run} disabled={busy}>
        {t('audit.verify.again')}
      </button>
    </section>
  );
}

function Filters({ applied, onApply }: { readonly applied: AuditFilter; readonly onApply: (f: AuditFilter) => void }) {
  const [draft, setDraft] = useState<AuditFilter>(applied);
  const set = (key: keyof AuditFilter, value: string): void => setDraft({ ...draft, [key]: value });
  return (
    <form
      class="panel filters"
      aria-label={t('audit.filter.title')}
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      {TEXT_FILTERS.map((f) => (
        <label key={f.key}>
          {t(f.label)}
          <input name={f.key} value={draft[f.key]} maxLength={f.key === 'subjectId' ? 128 : 64} onInput={(e) => set(f.key, e.currentTarget.value)} />
        </label>
      ))}
      <label>
        {t('audit.filter.from')}
        <input type="datetime-local" name="from" value={draft.from} onInput={(e) => set('from', e.currentTarget.value)} />
      </label>
      <label>
        {t('audit.filter.to')}
        <input type="datetime-local" name="to" value={draft.to} onInput={(e) => set('to', e.currentTarget.value)} />
      </label>
      <div class="actions">
        <button type="submit" class="primary">
          {t('audit.filter.apply')}
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(NO_FILTER);
            onApply(NO_FILTER);
          }}
        >
          {t('audit.filter.clear')}
        </button>
      </div>
    </form>
  );
}

function subject(e: AuditEntry): string {
  return e.subjectId === null ? e.subjectType : `${e.subjectType} ${e.subjectId}`;
}

export function AuditScreen({ args }: { readonly args: readonly string[] }) {
  void args;
  const [filter, setFilter] = useState<AuditFilter>(NO_FILTER);
  const [entries, setEntries] = useState<readonly AuditEntry[] | null>(null);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let current = true;
    setEntries(null);
    loadAudit(filter, null).then(
      (page) => {
        if (!current) return;
        setEntries(page.entries);
        setNextBefore(page.nextBefore);
        setError(null);
      },
      (e: unknown) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [filter, reloadGeneration.value]);

  const older = (): void => {
    if (nextBefore === null) return;
    loadAudit(filter, nextBefore).then(
      (page) => {
        setEntries([...(entries ?? []), ...page.entries]);
        setNextBefore(page.nextBefore);
      },
      setError,
    );
  };

  return (
    <div class="audit">
      <h1>{t('audit.title')}</h1>
      <VerdictPanel />
      <Filters applied={filter} onApply={setFilter} />
      <ProblemMessage error={error} />
      <table class="audit-log">
        <caption>{entries === null ? t('common.loading') : t('audit.log.caption', { count: entries.length })}</caption>
        <thead>
          <tr>
            <th scope="col" class="num">{t('audit.log.id')}</th>
            <th scope="col">{t('audit.log.at')}</th>
            <th scope="col">{t('audit.log.actor')}</th>
            <th scope="col">{t('audit.log.action')}</th>
            <th scope="col">{t('audit.log.subject')}</th>
            <th scope="col">{t('audit.log.details')}</th>
          </tr>
        </thead>
        <tbody>
          {entries !== null && entries.length === 0 ? (
            <tr>
              <td colSpan={6}>{t('audit.log.empty')}</td>
            </tr>
          ) : (
            (entries ?? []).map((e) => (
              <tr key={e.id} data-id={e.id}>
                <td class="num">{e.id}</td>
                <td>{formatDateTime(e.at)}</td>
                <td data-col="actor">{e.actor}</td>
                <td data-col="action">{e.action}</td>
                <td data-col="subject">{subject(e)}</td>
                <td class="details">{e.details ? JSON.stringify(e.details) : ''}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      {nextBefore !== null ? (
        <button type="button" onClick={older}>
          {t('audit.log.older')}
        </button>
      ) : null}
    </div>
  );
}

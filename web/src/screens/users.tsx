/**
 * The users screen (issue 18): every user with role and state (managers and admins); an admin adds
 * a user, disables one (their sessions end) and resets a password to a new one-time one. The
 * one-time password is shown once, in a dialog. What `cardline user add|list|disable|reset` do.
 */
import { useEffect, useState } from 'preact/hooks';
import { get, post, seg } from '../api.ts';
import { Confirm } from '../components/confirm.tsx';
import { ProblemMessage } from '../components/problem.tsx';
import { formatDate, t } from '../i18n/i18n.ts';
import { reloadGeneration } from '../live.ts';
import { can, user } from '../session.ts';
import { ROLES, type Role } from '../../../src/auth/roles.ts';
import { OneTimePasswordDialog } from './users/one-time-password.tsx';

interface UserRow {
  readonly name: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly mustChangePassword: boolean;
  readonly createdAt: string;
  readonly createdBy: string;
}

type Pending = { readonly act: 'disable' | 'reset'; readonly name: string } | null;

export function UsersScreen({ args }: { readonly args: readonly string[] }) {
  void args;
  const [users, setUsers] = useState<readonly UserRow[] | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [actionError, setActionError] = useState<unknown>(undefined);
  const [pending, setPending] = useState<Pending>(null);
  const [shown, setShown] = useState<{ name: string; password: string } | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [busy, setBusy] = useState(false);
  const manage = can('user.manage');
  const me = user.value?.name;

  const load = (): void => {
    get<UserRow[]>('/users').then(
      (answer) => {
        setUsers(answer);
        setError(undefined);
      },
      (e: unknown) => setError(e),
    );
  };
  useEffect(load, [reloadGeneration.value]);

  const act = async (work: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setActionError(undefined);
    setStatus(null);
    try {
      await work();
      load();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };

  const add = (event: Event): void => {
    event.preventDefault();
    void act(async () => {
      const answer = await post<{ name: string; oneTimePassword: string }>('/users', { name: name.trim(), role });
      setName('');
      setShown({ name: answer.name, password: answer.oneTimePassword });
    });
  };

  const confirmed = (): void => {
    const p = pending;
    setPending(null);
    if (!p) return;
    void act(async () => {
      if (p.act === 'disable') {
        await post(`/users/${seg(p.name)}/disable`);
        setStatus(t('users.disabledDone', { name: p.name }));
      } else {
        const answer = await post<{ name: string; oneTimePassword: string }>(`/users/${seg(p.name)}/password-reset`);
        setShown({ name: answer.name, password: answer.oneTimePassword });
      }
    });
  };

  return (
    <div class="users">
      <h1>{t('users.title')}</h1>
      <ProblemMessage error={error} />
      {manage && (
        <form class="panel users-add" onSubmit={add} aria-labelledby="users-add-title">
          <h2 id="users-add-title">{t('users.add.title')}</h2>
          <label>
            {t('users.add.name')}
            <input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9._\-]{1,63}" autocomplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            {t('users.add.role')}
            <select name="role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`role.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="primary" disabled={busy}>
            {t('users.add.submit')}
          </button>
          <p class="muted">{t('users.add.help')}</p>
        </form>
      )}
      <ProblemMessage error={actionError} />
      {status && <p role="status">{status}</p>}
      {users === null ? (
        !error && <p>{t('common.loading')}</p>
      ) : (
        <table class="users-list">
          <caption>{t('users.list.caption', { count: users.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('users.list.name')}</th>
              <th scope="col">{t('users.list.role')}</th>
              <th scope="col">{t('users.list.state')}</th>
              <th scope="col">{t('users.list.added')}</th>
              {manage && <th scope="col">{t('users.list.actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.name} data-user={u.name}>
                <th scope="row">{u.name}</th>
                <td>{t(`role.${u.role}`)}</td>
                <td class={u.disabled ? 'muted' : undefined}>{u.disabled ? t('users.state.disabled') : u.mustChangePassword ? t('users.state.oneTime') : t('users.state.active')}</td>
                <td>{t('users.list.addedValue', { date: formatDate(u.createdAt), by: u.createdBy })}</td>
                {manage && (
                  <td class="users-actions">
                    {u.name !== me && !u.disabled && (
                      <>
                        <button type="button" disabled={busy} aria-label={t('users.reset.label', { name: u.name })} onClick={() => setPending({ act: 'reset', name: u.name })}>
                          {t('users.reset.button')}
                        </button>
                        <button type="button" class="attention" disabled={busy} aria-label={t('users.disable.label', { name: u.name })} onClick={() => setPending({ act: 'disable', name: u.name })}>
                          {t('users.disable.button')}
                        </button>
                      </>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Confirm
        open={pending !== null}
        title={pending?.act === 'disable' ? t('users.disable.confirm', { name: pending.name }) : t('users.reset.confirm', { name: pending?.name ?? '' })}
        confirmLabel={pending?.act === 'disable' ? t('users.disable.button') : t('users.reset.button')}
        onConfirm={confirmed}
        onCancel={() => setPending(null)}
      >
        <p>{pending?.act === 'disable' ? t('users.disable.explain') : t('users.reset.explain')}</p>
      </Confirm>
      <OneTimePasswordDialog shown={shown} onClose={() => setShown(null)} />
    </div>
  );
}

/** Login, and the one-time password's change that must come first (issue 15). */
import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { t } from '../i18n/i18n.ts';
import { changePasswordAndLogin, loggedOutIdle, login } from '../session.ts';
import { LanguageSwitch } from '../components/language-switch.tsx';

export function LoginScreen() {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [mustChange, setMustChange] = useState(false);
  const [newPassword, setNewPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setMessage(null);
    if (mustChange && newPassword !== repeat) {
      setMessage(t('login.mismatch'));
      return;
    }
    setBusy(true);
    try {
      if (mustChange) await changePasswordAndLogin(name, password, newPassword);
      else await login(name, password);
    } catch (error) {
      if (error instanceof ApiError && error.slug === 'password-change-required') {
        setMustChange(true);
        setMessage(t('login.mustChange'));
      } else if (error instanceof ApiError && error.status === 429) {
        setMessage(t('login.throttled', { seconds: Number(error.problem.retryAfterSeconds ?? 60) }));
      } else if (error instanceof ApiError && error.status === 422) {
        setMessage(error.message);
      } else {
        setMessage(t('login.failed'));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">
          {t('app.name')} — {t('login.title')}
        </h1>
        <p class="muted">{t('app.tagline')}</p>
        {loggedOutIdle.value && <p role="status">{t('login.loggedOutIdle')}</p>}
        <label>
          {t('login.user')}
          <input name="user" autocomplete="username" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          {t('login.password')}
          <input name="password" type="password" autocomplete={mustChange ? 'current-password' : 'current-password'} required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {mustChange && (
          <>
            <label>
              {t('login.newPassword')}
              <input name="newPassword" type="password" autocomplete="new-password" required value={newPassword} onInput={(e) => setNewPassword(e.currentTarget.value)} />
            </label>
            <label>
              {t('login.repeatPassword')}
              <input name="repeatPassword" type="password" autocomplete="new-password" required value={repeat} onInput={(e) => setRepeat(e.currentTarget.value)} />
            </label>
          </>
        )}
        {message && (
          <p class="problem" role="alert">
            {message}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {mustChange ? t('login.change') : t('login.submit')}
        </button>
        <LanguageSwitch />
      </form>
    </main>
  );
}

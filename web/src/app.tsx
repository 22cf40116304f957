/**
 * The shell: login until someone is signed in; then a header (site, the role's screens, who is
 * signed in, language, live-stream state, log out) and the screen of the route, or the role's home.
 */
import { useEffect } from 'preact/hooks';
import { LanguageSwitch } from './components/language-switch.tsx';
import { t } from './i18n/i18n.ts';
import { connected, startLive, stopLive } from './live.ts';
import { href, navigate, route } from './router.ts';
import { SCREEN_COMPONENTS } from './screens/index.ts';
import { LoginScreen } from './screens/login.tsx';
import { HOME, SCREENS, screensFor } from './screens/routes.ts';
import { logout, user } from './session.ts';

export function App() {
  const me = user.value;
  useEffect(() => {
    if (me) startLive();
    else stopLive();
  }, [me?.name]);
  if (!me) return <LoginScreen />;

  const current = route.value;
  const allowed = screensFor(me.role);
  const screen = SCREENS.find((s) => s.id === current.screen);
  if (!screen) {
    navigate(HOME[me.role]);
    return null;
  }
  const Screen = SCREEN_COMPONENTS[screen.id];
  return (
    <>
      <a class="skip" href="#main">
        {t('app.skipToContent')}
      </a>
      <header class="top">
        <span class="brand">
          {t('app.name')}
          {me.site ? ` · ${me.site.name}` : ''}
        </span>
        <nav aria-label={t('nav.label')}>
          {allowed.map((s) => (
            <a key={s.id} href={href(s.id)} aria-current={s.id === screen.id ? 'page' : undefined}>
              {t(s.title)}
            </a>
          ))}
        </nav>
        <span class={connected.value ? 'live' : 'live attention'} role="status">
          {connected.value ? t('live.connected') : t('live.disconnected')}
        </span>
        <span class="who" title={t('user.idleLogout', { minutes: me.idleLogoutMinutes })}>
          {t('user.signedInAs', { name: me.name, role: t(`role.${me.role}`) })}
        </span>
        <LanguageSwitch />
        <button type="button" onClick={() => void logout()}>
          {t('user.logout')}
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {allowed.includes(screen) ? <Screen args={current.args} /> : <p role="alert">{t('screen.notAllowed')}</p>}
      </main>
    </>
  );
}

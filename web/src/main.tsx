/** Entry point of the browser screens: restore the session from its cookie, then draw the shell. */
import { render } from 'preact';
import { whenUnauthenticated } from './api.ts';
import { App } from './app.tsx';
import { locale } from './i18n/i18n.ts';
import { restore, user } from './session.ts';

document.documentElement.lang = locale.value;
whenUnauthenticated(() => {
  user.value = null;
});
void restore().then(() => {
  render(<App />, document.getElementById('app')!);
});

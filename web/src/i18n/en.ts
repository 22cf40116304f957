/** The English message catalogue: the same keys as vi.ts (tsc checks it), in the same blocks. */
import type { MessageKey } from './vi.ts';

export const en: Record<MessageKey, string> = {
  // shell
  'app.name': 'cardline',
  'app.tagline': 'Identity card personalization line control',
  'app.skipToContent': 'Skip to main content',
  'nav.label': 'Screens',
  'nav.operator': 'Operator',
  'nav.qa': 'QA station',
  'nav.manager': 'Manager',
  'nav.engineer': 'Engineer',
  'nav.audit': 'Audit log',
  'nav.users': 'Users',
  'lang.label': 'Language',
  'lang.vi': 'Tiếng Việt',
  'lang.en': 'English',
  'user.signedInAs': 'Signed in: {name} ({role})',
  'user.logout': 'Log out',
  'user.idleLogout': 'Logs out after {minutes} idle minutes',
  'role.operator': 'operator',
  'role.qa': 'QA',
  'role.engineer': 'engineer',
  'role.manager': 'manager',
  'role.admin': 'admin',
  'live.connected': 'Live',
  'live.disconnected': 'Connection lost, reconnecting…',
  'common.loading': 'Loading…',
  'common.error': 'Error: {detail}',
  'common.confirm': 'Confirm',
  'common.cancel': 'Cancel',
  'common.close': 'Close',
  'common.none': 'None',
  'common.save': 'Save',
  'common.refresh': 'Reload',
  'screen.notAllowed': 'Your role may not see this screen.',
  'screen.notFound': 'There is no such screen.',
  // login
  'login.title': 'Log in',
  'login.user': 'User name',
  'login.password': 'Password',
  'login.submit': 'Log in',
  'login.failed': 'Login failed: unknown user, wrong password or disabled user.',
  'login.throttled': 'Too many attempts. Try again in {seconds} s.',
  'login.mustChange': 'One-time password: choose a new password before logging in.',
  'login.newPassword': 'New password',
  'login.repeatPassword': 'Repeat the new password',
  'login.mismatch': 'The two new passwords differ.',
  'login.change': 'Change password and log in',
  'login.loggedOutIdle': 'You were logged out after a period without activity.',
  // operator
  // qa
  // manager
  // engineer
  // audit
  // users
};

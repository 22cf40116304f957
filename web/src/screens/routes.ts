/**
 * The screens and who may open them: the navigation offers a role only its screens, and each role
 * lands on its home. Data only (no JSX): the screenshot script and the browser tests read it too.
 */
import type { Role } from '../../../src/auth/roles.ts';
import type { MessageKey } from '../i18n/vi.ts';

export interface ScreenRoute {
  readonly id: 'operator' | 'qa' | 'manager' | 'engineer' | 'audit' | 'users';
  readonly title: MessageKey;
  readonly roles: readonly Role[];
}

export const SCREENS: readonly ScreenRoute[] = [
  { id: 'operator', title: 'nav.operator', roles: ['operator', 'engineer', 'manager'] },
  { id: 'qa', title: 'nav.qa', roles: ['qa', 'manager'] },
  { id: 'manager', title: 'nav.manager', roles: ['manager'] },
  { id: 'engineer', title: 'nav.engineer', roles: ['engineer'] },
  { id: 'audit', title: 'nav.audit', roles: ['manager', 'admin'] },
  { id: 'users', title: 'nav.users', roles: ['admin', 'manager'] },
];

export const HOME: Readonly<Record<Role, ScreenRoute['id']>> = {
  operator: 'operator',
  qa: 'qa',
  engineer: 'engineer',
  manager: 'manager',
  admin: 'users',
};

export function screensFor(role: Role): readonly ScreenRoute[] {
  return SCREENS.filter((s) => s.roles.includes(role));
}

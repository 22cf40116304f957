/**
 * Who is signed in. The shell shows the login until `user` is set; a touch panel logs its user out
 * after the site's idle time (any key, pointer or touch counts as activity).
 */
import { signal } from '@preact/signals';
import type { Permission, Role } from '../../src/auth/roles.ts';
import { mayDo } from '../../src/auth/roles.ts';
import { api, get, setCsrfToken } from './api.ts';
import { setLocale, timeZone, type Locale } from './i18n/i18n.ts';

export interface Me {
  readonly name: string;
  readonly role: Role;
  readonly csrfToken: string;
  readonly expiresAt: string;
  readonly locale: Locale;
  readonly idleLogoutMinutes: number;
  readonly site: { readonly name: string; readonly timeZone: string; readonly shifts?: readonly { readonly name: string; readonly start: string; readonly end: string }[] } | null;
}

export const user = signal<Me | null>(null);
/** Why the login shows again: set when the idle timer logged the user out. */
export const loggedOutIdle = signal(false);

export function can(permission: Permission): boolean {
  const me = user.value;
  return me !== null && mayDo(me.role, permission);
}

function adopt(me: Me): void {
  setCsrfToken(me.csrfToken);
  if (me.site) timeZone.value = me.site.timeZone;
  setLocale(me.locale);
  user.value = me;
  armIdleTimer();
}

/** Restores a session from the cookie (a reload); false when there is none. */
export async function restore(): Promise<boolean> {
  try {
    adopt(await get<Me>('/auth/me'));
    return true;
  } catch {
    return false;
  }
}

export async function login(name: string, password: string): Promise<void> {
  const answer = await api<{ csrfToken: string }>('POST', '/auth/login', { user: name, password });
  setCsrfToken(answer.csrfToken);
  loggedOutIdle.value = false;
  adopt(await get<Me>('/auth/me'));
}

export async function changePasswordAndLogin(name: string, oldPassword: string, newPassword: string): Promise<void> {
  await api('POST', '/auth/password', { user: name, password: oldPassword, newPassword });
  await login(name, newPassword);
}

export async function logout(idle = false): Promise<void> {
  try {
    await api('POST', '/auth/logout');
  } catch {
    // the session may already be gone: the screen logs out all the same
  }
  user.value = null;
  loggedOutIdle.value = idle;
  disarmIdleTimer();
}

/** Remembers the language for this user on the server (and in this browser before login). */
export async function chooseLocale(next: Locale): Promise<void> {
  setLocale(next);
  const me = user.value;
  if (me) {
    user.value = { ...me, locale: next };
    await api('PUT', '/auth/me/locale', { locale: next });
  }
}

let idleTimer: ReturnType<typeof setTimeout> | undefined;
const ACTIVITY = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;

function resetIdle(): void {
  const me = user.value;
  if (!me) return;
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void logout(true), me.idleLogoutMinutes * 60_000);
}

function armIdleTimer(): void {
  for (const type of ACTIVITY) window.addEventListener(type, resetIdle, { passive: true });
  resetIdle();
}

function disarmIdleTimer(): void {
  for (const type of ACTIVITY) window.removeEventListener(type, resetIdle);
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = undefined;
}

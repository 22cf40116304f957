/**
 * Issue 18, the shell of the browser screens in a real Chromium against `cardline serve`: each role
 * logs in and lands on its home with only its screens offered; the language switch is remembered
 * for the user by the server; a one-time password is changed in the login form; a touch panel logs
 * its user out after the idle time; no string is untranslated and axe finds nothing serious.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { UserStore } from '../src/store/user-store.ts';
import { HOME, screensFor } from '../web/src/screens/routes.ts';
import { vi as viMessages } from '../web/src/i18n/vi.ts';
import { en as enMessages } from '../web/src/i18n/en.ts';
import { axeViolations, loginAs, missingMessages, openPage, unnamedControls } from './helpers/browser.ts';
import { cliUsers, testPasswordHash } from './helpers/cli.ts';
import { serveSite, type ServeSite } from './helpers/serve.ts';
import { closeForBrowser, serveForBrowser, type WebServe } from './helpers/web-screens.ts';
import { ROLES, type Role } from '../src/auth/roles.ts';

let site: ServeSite;
let web: WebServe | undefined;
let browser: Browser;
let base: string;
const passwords = new Map<Role, { name: string; password: string }>();

beforeAll(async () => {
  // Every test logs in from 127.0.0.1: more logins a minute than one address gets by default.
  site = await serveSite('Web shell', 'web', { timeScale: 20, seed: 3, serialPrefix: 'W' }, 'ui: { loginAttemptsPerMinute: 100 }\n');
  const roles = { 'op-an': 'operator', 'qa-binh': 'qa', 'eng-cuong': 'engineer', 'mgr-dung': 'manager', 'adm-em': 'admin' } as const;
  const users = await cliUsers(site.env, roles);
  for (const [name, role] of Object.entries(roles)) passwords.set(role, { name, password: users[name as keyof typeof roles].CARDLINE_PASSWORD! });
  web = await serveForBrowser(site);
  browser = web.browser;
  base = web.base;
}, 120_000);

afterAll(() => closeForBrowser(site, web));

describe('the shell of the browser screens', () => {
  it('serves the screens with a strict Content-Security-Policy and nothing outside the build', async () => {
    const index = await fetch(base);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await index.text()).toMatch(/<script type="module" src="\/assets\/app\.[0-9a-f]{12}\.js">/);
    expect((await fetch(`${base}/assets/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${base}/assets/fonts/NotoSans-Regular.ttf`)).headers.get('content-type')).toBe('font/ttf');
  });

  it('the two catalogues hold the same keys, none empty', () => {
    expect(Object.keys(enMessages).sort()).toStrictEqual(Object.keys(viMessages).sort());
    for (const [key, text] of [...Object.entries(viMessages), ...Object.entries(enMessages)]) expect(text.trim(), key).not.toBe('');
  });

  it.each(ROLES)('%s logs in and lands on its home, offered only its screens', async (role) => {
    const page = await openPage(browser);
    const { name, password } = passwords.get(role)!;
    await loginAs(page, base, name, password);
    expect(page.url()).toContain(`#/${HOME[role]}`);
    const offered = await Promise.all((await page.locator('header.top nav a').all()).map((a) => a.getAttribute('href')));
    expect(offered).toStrictEqual(screensFor(role).map((s) => `#/${s.id}`));
    expect(await missingMessages(page)).toStrictEqual([]);
    expect(await unnamedControls(page)).toStrictEqual([]);
    // A screen the role may not see is not drawn, even when its address is typed.
    const forbidden = ['operator', 'qa', 'manager', 'engineer', 'audit', 'users'].find((id) => !screensFor(role).some((s) => s.id === id));
    if (forbidden) {
      await page.goto(`${base}/#/${forbidden}`);
      await page.getByRole('alert').filter({ hasText: 'Vai trò của bạn không được xem màn hình này.' }).waitFor();
    }
    await page.context().close();
  });

  it('English is remembered for the user by the server, and every visible label changes', async () => {
    const { name, password } = passwords.get('operator')!;
    const page = await openPage(browser);
    await loginAs(page, base, name, password);
    const vietnamese = await page.locator('header.top').innerText();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    const english = await page.locator('header.top').innerText();
    expect(english).not.toBe(vietnamese);
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    expect(await missingMessages(page)).toStrictEqual([]);
    await page.context().close();

    // Another browser (no local storage): the server's choice for this user.
    const again = await openPage(browser);
    await loginAs(again, base, name, password);
    await again.getByRole('button', { name: 'Log out' }).waitFor();
    await again.getByRole('button', { name: 'Tiếng Việt' }).click();
    await again.getByRole('button', { name: 'Đăng xuất' }).waitFor();
    await again.context().close();
  });

  it('a one-time password is changed in the login form before the screens open', async () => {
    const { openContext } = await import('../src/cli/context.ts');
    const ctx = await openContext({ ...process.env, ...site.env });
    try {
      await new UserStore(ctx.db).add({ name: 'op-giang', role: 'operator', passwordHash: testPasswordHash('one-time-9a7'), by: 'test-setup', mustChangePassword: true });
    } finally {
      await ctx.close();
    }
    const page = await openPage(browser);
    await page.goto(base);
    await page.locator('input[name=user]').fill('op-giang');
    await page.locator('input[name=password]').fill('one-time-9a7');
    await page.locator('form button[type=submit]').click();
    await page.locator('input[name=newPassword]').fill('a-new-password-of-giang-42');
    await page.locator('input[name=repeatPassword]').fill('a-new-password-of-giang-42');
    await page.locator('form button[type=submit]').click();
    await page.locator('header.top .who', { hasText: 'op-giang' }).waitFor();
    await page.context().close();
  });

  it('a touch panel logs its user out after the idle time and says why', async () => {
    const { name, password } = passwords.get('qa')!;
    const page = await openPage(browser);
    await page.clock.install();
    await loginAs(page, base, name, password);
    await page.clock.fastForward('04:00');
    await expect(page.locator('header.top .who').isVisible()).resolves.toBe(true);
    await page.clock.fastForward('01:30');
    await page.locator('input[name=user]').waitFor();
    await page.getByText('Bạn đã được đăng xuất vì không thao tác.').waitFor();
    await page.context().close();
  });

  it('axe finds no serious or critical violation on the login and on the shell, in both languages', async () => {
    const page = await openPage(browser);
    await page.goto(base);
    await page.locator('input[name=user]').waitFor();
    expect(await axeViolations(page)).toStrictEqual([]);
    const { name, password } = passwords.get('admin')!;
    await loginAs(page, base, name, password);
    expect(await axeViolations(page)).toStrictEqual([]);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    expect(await axeViolations(page)).toStrictEqual([]);
    await page.context().close();
  });
});


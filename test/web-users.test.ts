/**
 * Issue 18, the users screen in a real Chromium against `cardline serve`: an admin adds a user and
 * sees the one-time password once; that user must choose their own at login; disabling a user ends
 * their session; a reset hands out a new one-time password that works (and must be changed); a
 * manager only sees the list; the reset route's refusals; axe, catalogues and keyboard in both
 * languages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { call } from './helpers/api.ts';
import { loginAs, missingMessages, NO_FINDINGS, openPage, screenFindings, switchLanguage } from './helpers/browser.ts';
import { cliUsers } from './helpers/cli.ts';
import { serveSite, type ServeSite } from './helpers/serve.ts';
import { unreachableByTab } from './helpers/keyboard-reach.ts';
import { closeForBrowser, serveForBrowser, type WebServe } from './helpers/web-screens.ts';

let site: ServeSite;
let web: WebServe | undefined;
let browser: Browser;
let base: string;
let users: Record<'adm-lan' | 'mgr-minh' | 'op-nam', NodeJS.ProcessEnv>;

beforeAll(async () => {
  site = await serveSite('Web users', 'wusr', { timeScale: 20, seed: 7, serialPrefix: 'U' }, 'ui: { loginAttemptsPerMinute: 100 }\n');
  users = await cliUsers(site.env, { 'adm-lan': 'admin', 'mgr-minh': 'manager', 'op-nam': 'operator' } as const);
  web = await serveForBrowser(site);
  browser = web.browser;
  base = web.base;
}, 120_000);

afterAll(() => closeForBrowser(site, web));

async function openAs(name: keyof typeof users): Promise<Page> {
  const page = await openPage(browser);
  await loginAs(page, base, name, users[name].CARDLINE_PASSWORD!);
  return page;
}

async function openUsers(name: 'adm-lan' | 'mgr-minh'): Promise<Page> {
  const page = await openAs(name);
  await page.goto(`${base}/#/users`);
  await page.locator('table.users-list tbody tr').first().waitFor();
  return page;
}

/** Reads the one-time password from its dialog and closes it; the password is then nowhere on the page. */
async function takeOneTimePassword(page: Page, name: string): Promise<string> {
  const dialog = page.getByRole('dialog', { name: `Mật khẩu dùng một lần của ${name}` });
  await dialog.waitFor();
  await dialog.getByText('Mật khẩu này sẽ không hiện lại.', { exact: false }).waitFor();
  const password = (await dialog.locator('.users-otp-value').innerText()).trim();
  expect(password.length).toBeGreaterThanOrEqual(12);
  await dialog.getByRole('button', { name: 'Đóng' }).click();
  await dialog.waitFor({ state: 'hidden' });
  expect(await page.content()).not.toContain(password);
  return password;
}

/** Logs in with a one-time password, which the login form makes the user change first. */
async function firstLogin(name: string, oneTime: string, chosen: string): Promise<Page> {
  const page = await openPage(browser);
  await page.goto(base);
  await page.locator('input[name=user]').fill(name);
  await page.locator('input[name=password]').fill(oneTime);
  await page.locator('form button[type=submit]').click();
  await page.locator('input[name=newPassword]').fill(chosen);
  await page.locator('input[name=repeatPassword]').fill(chosen);
  await page.locator('form button[type=submit]').click();
  await page.locator('header.top .who', { hasText: name }).waitFor();
  return page;
}

describe('the users screen', () => {
  it('an admin adds a user; the one-time password shows once and must be changed at the first login', async () => {
    const page = await openUsers('adm-lan');
    await page.locator('.users-add input[name=name]').fill('qa-hoa');
    await page.locator('.users-add select[name=role]').selectOption('qa');
    await page.locator('.users-add button[type=submit]').click();
    const oneTime = await takeOneTimePassword(page, 'qa-hoa');
    await page.locator('tr[data-user="qa-hoa"]', { hasText: 'mật khẩu dùng một lần' }).waitFor();
    // The one-time password opens no session by itself: the login form asks for a new one first.
    const direct = await call(base, 'POST', '/api/v1/auth/login', { body: { user: 'qa-hoa', password: oneTime } });
    expect(direct.status).toBe(403);
    const hoa = await firstLogin('qa-hoa', oneTime, 'hoa-chooses-her-own-42');
    await hoa.context().close();
    await page.reload();
    await page.locator('tr[data-user="qa-hoa"]', { hasText: 'đang hoạt động' }).waitFor();
    // A name already taken is refused with the store's reason.
    await page.locator('.users-add input[name=name]').fill('qa-hoa');
    await page.locator('.users-add button[type=submit]').click();
    await page.getByRole('alert').filter({ hasText: 'qa-hoa already exists' }).waitFor();
    await page.context().close();
  });

  it("disabling a user ends that user's session at once", async () => {
    const nam = await openAs('op-nam');
    const admin = await openUsers('adm-lan');
    await admin.getByRole('button', { name: 'Vô hiệu hóa op-nam' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Vô hiệu hóa op-nam?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Vô hiệu hóa' }).click();
    await admin.getByRole('status').filter({ hasText: 'Đã vô hiệu hóa op-nam.' }).waitFor();
    await admin.locator('tr[data-user="op-nam"]', { hasText: 'đã vô hiệu hóa' }).waitFor();
    expect(await admin.getByRole('button', { name: 'Vô hiệu hóa op-nam' }).count()).toBe(0);
    // op-nam's browser: its session is gone, the next page load shows the login.
    await nam.reload();
    await nam.locator('input[name=user]').waitFor();
    expect(await nam.locator('header.top').count()).toBe(0);
    const again = await call(base, 'POST', '/api/v1/auth/login', { body: { user: 'op-nam', password: users['op-nam'].CARDLINE_PASSWORD } });
    expect(again.status).toBe(401);
    await nam.context().close();
    await admin.context().close();
  });

  it('a reset hands out a new one-time password that works once changed, and ends the old sessions', async () => {
    const hoa = await openPage(browser);
    await loginAs(hoa, base, 'qa-hoa', 'hoa-chooses-her-own-42');
    const admin = await openUsers('adm-lan');
    await admin.getByRole('button', { name: 'Đặt lại mật khẩu của qa-hoa' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Đặt lại mật khẩu của qa-hoa?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Đặt lại mật khẩu' }).click();
    const oneTime = await takeOneTimePassword(admin, 'qa-hoa');
    await admin.locator('tr[data-user="qa-hoa"]', { hasText: 'mật khẩu dùng một lần' }).waitFor();
    await hoa.reload();
    await hoa.locator('input[name=user]').waitFor();
    const old = await call(base, 'POST', '/api/v1/auth/login', { body: { user: 'qa-hoa', password: 'hoa-chooses-her-own-42' } });
    expect(old.status).toBe(401);
    const renewed = await firstLogin('qa-hoa', oneTime, 'hoa-second-choice-77');
    await renewed.context().close();
    await hoa.context().close();
    await admin.context().close();
  });

  it("the reset route: an admin does not reset their own password, an unknown user is 404, a manager is refused, each reset audited", async () => {
    const login = await call(base, 'POST', '/api/v1/auth/login', { body: { user: 'adm-lan', password: users['adm-lan'].CARDLINE_PASSWORD } });
    const token = login.json.token as string;
    expect((await call(base, 'POST', '/api/v1/users/adm-lan/password-reset', { token, body: {} })).status).toBe(409);
    expect((await call(base, 'POST', '/api/v1/users/nobody-here/password-reset', { token, body: {} })).status).toBe(404);
    const manager = (await call(base, 'POST', '/api/v1/auth/login', { body: { user: 'mgr-minh', password: users['mgr-minh'].CARDLINE_PASSWORD } })).json.token as string;
    expect((await call(base, 'POST', '/api/v1/users/qa-hoa/password-reset', { token: manager, body: {} })).status).toBe(403);
    const audit = await call(base, 'GET', '/api/v1/audit?action=user.password-reset', { token });
    expect((audit.json.entries as { actor: string; subjectId: string }[]).map((e) => [e.actor, e.subjectId])).toStrictEqual([['adm-lan', 'qa-hoa']]);
  });

  it('a manager sees the users and no way to change them', async () => {
    const page = await openUsers('mgr-minh');
    expect(await page.locator('table.users-list tbody th').allInnerTexts()).toStrictEqual(['adm-lan', 'mgr-minh', 'op-nam', 'qa-hoa']);
    expect(await page.locator('.users-add').count()).toBe(0);
    expect(await page.locator('table.users-list button').count()).toBe(0);
    expect(await missingMessages(page)).toStrictEqual([]);
    await page.context().close();
  });

  it('axe finds nothing serious, no string is missing and the keyboard reaches every control, in both languages', async () => {
    const page = await openUsers('adm-lan');
    for (const lang of ['vi', 'en'] as const) {
      await switchLanguage(page, lang);
      expect(await screenFindings(page), lang).toStrictEqual(NO_FINDINGS);
      expect(await unreachableByTab(page, 'body')).toStrictEqual([]);
    }
    // The confirmation and the one-time password's dialog too.
    await page.getByRole('button', { name: 'Reset password of mgr-minh' }).click();
    await page.getByRole('dialog', { name: 'Reset the password of mgr-minh?' }).waitFor();
    expect(await screenFindings(page)).toStrictEqual(NO_FINDINGS);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.context().close();
  });
});

/**
 * Issue 18, the audit view in a real Chromium against `cardline serve`: the chain's verification
 * says ok with the rows the API counts; the filters (actor, action prefix, subject, time range)
 * narrow the list to exactly the entries the API gives for the same query; older entries page in;
 * the manager sees the view too; axe finds nothing serious in either language, no string is
 * missing, every control has a name and Tab reaches it.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './helpers/api.ts';
import { loginAs, NO_FINDINGS, openPage, screenFindings, switchLanguage } from './helpers/browser.ts';
import { cliUsers } from './helpers/cli.ts';
import { unreachableByTab } from './helpers/keyboard-reach.ts';
import { serveSite, type ServeSite } from './helpers/serve.ts';
import { closeForBrowser, serveForBrowser, type WebServe } from './helpers/web-screens.ts';

let site: ServeSite;
let web: WebServe | undefined;
let browser: Browser;
/** http://127.0.0.1:PORT (no final slash). */
let base: string;
let users: Record<'adm-em' | 'mgr-dung' | 'op-an', NodeJS.ProcessEnv>;
let adminToken: string;
/** Logins of the operator made in setup: more than one page (50) of the log. */
const OPERATOR_LOGINS = 55;

interface Entry {
  id: number;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string | null;
}

async function login(name: keyof typeof users): Promise<string> {
  const r = await call(base, 'POST', '/api/v1/auth/login', { body: { user: name, password: users[name].CARDLINE_PASSWORD } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.json.token as string;
}

async function apiEntries(query: string): Promise<Entry[]> {
  const r = await call(base, 'GET', `/api/v1/audit?limit=1000${query}`, { token: adminToken });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.json.entries as Entry[];
}

/** The ids of the rows the view shows, once it has drawn them. */
async function shownIds(page: Page): Promise<number[]> {
  await page.locator('table.audit-log caption', { hasNotText: /Đang tải|Loading/ }).waitFor();
  return Promise.all((await page.locator('table.audit-log tbody tr[data-id]').all()).map(async (r) => Number(await r.getAttribute('data-id'))));
}

async function filter(page: Page, fields: Readonly<Record<string, string>>): Promise<void> {
  await page.getByRole('button', { name: 'Bỏ lọc' }).click();
  for (const [name, value] of Object.entries(fields)) await page.locator(`form.filters input[name=${name}]`).fill(value);
  // The filtered query's answer: the list shows "loading" from before it was asked until it is drawn.
  const answered = page.waitForResponse((r) => r.url().includes('/api/v1/audit?') && Object.keys(fields).every((name) => r.url().includes(`${name}=`)));
  await page.getByRole('button', { name: 'Lọc', exact: true }).click();
  await answered;
}

beforeAll(async () => {
  site = await serveSite('Audit view', 'aud', { timeScale: 20, seed: 6, serialPrefix: 'A' }, 'ui: { loginAttemptsPerMinute: 100 }\n');
  users = await cliUsers(site.env, { 'adm-em': 'admin', 'mgr-dung': 'manager', 'op-an': 'operator' });
  web = await serveForBrowser(site);
  browser = web.browser;
  base = web.base;
  for (let i = 0; i < OPERATOR_LOGINS; i++) await login('op-an');
  adminToken = await login('adm-em');
}, 120_000);

afterAll(() => closeForBrowser(site, web));

describe('the audit view', () => {
  it('shows the chain verified, and the filters narrow the list to what the API gives for them', async () => {
    const page = await openPage(browser);
    await loginAs(page, base, 'adm-em', users['adm-em'].CARDLINE_PASSWORD!);
    await page.goto(`${base}/#/audit`);
    const verdict = await call(base, 'GET', '/api/v1/audit/verify', { token: adminToken });
    expect(verdict.json.ok).toBe(true);
    await page.locator('[data-verdict=ok]').waitFor();
    expect(await page.locator('[data-verdict=ok]').innerText()).toMatch(/^Chuỗi nguyên vẹn: [\d.]+ dòng đã kiểm tra\.$/);

    // Unfiltered: the newest page; older entries page in after it, in order.
    const all = await apiEntries('');
    expect(all.length).toBeGreaterThan(50);
    const firstPage = await shownIds(page);
    expect(firstPage).toStrictEqual(all.slice(0, 50).map((e) => e.id));
    await page.getByRole('button', { name: 'Các mục cũ hơn' }).click();
    await page.locator(`table.audit-log tbody tr[data-id="${all[50]!.id}"]`).waitFor();
    expect((await shownIds(page)).slice(0, Math.min(100, all.length))).toStrictEqual(all.slice(0, 100).map((e) => e.id));

    // Actor: the admin's entries only (its logins).
    await filter(page, { actor: 'adm-em' });
    const byAdmin = await apiEntries('&actor=adm-em');
    expect(byAdmin.length).toBeGreaterThan(0);
    expect(byAdmin.length).toBeLessThan(all.length);
    expect(await shownIds(page)).toStrictEqual(byAdmin.map((e) => e.id));
    for (const actor of await page.locator('table.audit-log tbody [data-col=actor]').allInnerTexts()) expect(actor).toBe('adm-em');

    // Action prefix and subject.
    await filter(page, { action: 'user.', subjectId: 'op-an' });
    const aboutOperator = await apiEntries('&action=user.&subjectId=op-an');
    expect(aboutOperator.length).toBeGreaterThanOrEqual(OPERATOR_LOGINS);
    expect(await shownIds(page)).toStrictEqual(aboutOperator.slice(0, 50).map((e) => e.id));
    for (const subject of await page.locator('table.audit-log tbody [data-col=subject]').allInnerTexts()) expect(subject).toBe('user op-an');

    // A time range after every entry: nothing.
    await filter(page, { from: '2099-01-01T00:00' });
    expect(await shownIds(page)).toStrictEqual([]);
    await page.getByText('Không có mục nào khớp bộ lọc.').waitFor();
    await page.context().close();
  });

  it('the manager sees it too; axe, catalogues, names and keyboard in both languages', async () => {
    const page = await openPage(browser);
    await loginAs(page, base, 'mgr-dung', users['mgr-dung'].CARDLINE_PASSWORD!);
    await page.goto(`${base}/#/audit`);
    await page.locator('[data-verdict=ok]').waitFor();
    await shownIds(page);
    for (const lang of ['en', 'vi'] as const) {
      await switchLanguage(page, lang);
      expect(await screenFindings(page), lang).toStrictEqual(NO_FINDINGS);
    }
    expect(await unreachableByTab(page)).toStrictEqual([]);
    await page.context().close();
  });
});

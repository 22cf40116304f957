/**
 * Issue 18, the operator panel in a real Chromium against `cardline serve` with its in-process
 * simulated line: the operator enqueues an uploaded sample batch, starts it, pauses and resumes it
 * and sees progress and station states change live to completion, the figures on screen equal to
 * the batch's accounting; abort asks for a confirmation; an e-stop injected through the
 * simulator's control API shows as an alarm that the operator acknowledges (audited); the English
 * switch changes every label; axe finds nothing serious; every control is reached by Tab.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSample } from '../src/sample/write-sample.ts';
import { call } from './helpers/api.ts';
import { unreachableByTab } from './helpers/keyboard-reach.ts';
import { loginAs, NO_FINDINGS, openPage, screenFindings, switchLanguage } from './helpers/browser.ts';
import { cliUsers, writeCliLine } from './helpers/cli.ts';
import { serveSite, type ServeSite } from './helpers/serve.ts';
import { closeForBrowser, serveForBrowser, type WebServe } from './helpers/web-screens.ts';

const LINE = 'op-line';
let site: ServeSite;
let web: WebServe | undefined;
let browser: Browser;
/** http://127.0.0.1:PORT (no final slash). */
let base: string;
let operator: { name: string; password: string };
let token: string;
let manager: string;

beforeAll(async () => {
  site = await serveSite('Web operator', 'op', { timeScale: 20, seed: 18, serialPrefix: 'P' }, 'ui: { loginAttemptsPerMinute: 100 }\n');
  // The same test line with the simulator's control API, for the fault injection.
  await writeCliLine(path.join(site.dir, 'line.yaml'), { id: LINE, timeScale: 20, seed: 18, initialBlanks: 300, serialPrefix: 'P', cycleMs: 200, controlPort: true });
  const users = await cliUsers(site.env, { 'op-hoa': 'operator', 'mgr-lan': 'manager' });
  operator = { name: 'op-hoa', password: users['op-hoa'].CARDLINE_PASSWORD! };
  web = await serveForBrowser(site);
  browser = web.browser;
  base = web.base;
  token = await apiLogin('op-hoa', operator.password);
  manager = await apiLogin('mgr-lan', users['mgr-lan'].CARDLINE_PASSWORD!);
  expect((await call(base, 'POST', `/api/v1/lines/${LINE}/stock`, { token, body: { count: 250, lot: 'OP-1' } })).status).toBe(201);
}, 120_000);

afterAll(() => closeForBrowser(site, web));

async function apiLogin(user: string, password: string): Promise<string> {
  const r = await call(base, 'POST', '/api/v1/auth/login', { body: { user, password } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.json.token as string;
}

/** A sample made by src/sample, uploaded as a zip of its batch file and portraits: its batch id. */
async function uploadSample(count: number, seed: string): Promise<string> {
  const dir = path.join(site.dir, seed);
  await writeSample({ outDir: dir, count, seed, portraitPool: 4 });
  const files: Record<string, Uint8Array> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[path.relative(dir, path.join(entry.parentPath, entry.name))] = await readFile(path.join(entry.parentPath, entry.name));
  }
  const up = await call(base, 'POST', `/api/v1/batches/uploads?name=${seed}&fileName=sample.zip`, { token, raw: { type: 'application/zip', data: zipSync(files) } });
  expect(up.status, JSON.stringify(up.body)).toBe(201);
  return up.json.batchId as string;
}

async function operatorPage(): Promise<Page> {
  const page = await openPage(browser);
  await loginAs(page, base, operator.name, operator.password);
  // One line on the site: the panel opens on it, from the operator's home as from the navigation's link.
  await page.locator(`.op-panel[data-line="${LINE}"]`).waitFor();
  expect(page.url()).toContain('#/operator');
  await page.goto(`${base}/#/operator/${LINE}`);
  await page.locator(`.op-panel[data-line="${LINE}"]`).waitFor();
  await page.goto(`${base}/#/operator`);
  await page.locator(`.op-panel[data-line="${LINE}"]`).waitFor();
  return page;
}

async function enqueueInPanel(page: Page, batchId: string): Promise<void> {
  await page.locator('select[name=batch]').selectOption(batchId);
  await page.getByRole('button', { name: 'Thêm vào hàng đợi' }).click();
  await page.locator(`tr[data-queued="${batchId}"]`).waitFor();
}

/** The control API of serve's in-process simulator: its port from the line file, its token from the data directory. */
async function simControl(route: string, body: unknown): Promise<void> {
  const line = await readFile(path.join(site.dir, 'line.yaml'), 'utf8');
  const port = /controlPort: (\d+)/.exec(line)![1];
  const tokenFile = (await readdir(site.dir, { recursive: true })).find((f) => f.endsWith(path.join('sim', 'control-token')));
  expect(tokenFile, 'the simulator keeps its control token in the data directory').toBeDefined();
  const controlToken = (await readFile(path.join(site.dir, tokenFile!), 'utf8')).trim();
  const r = await fetch(`http://127.0.0.1:${port}${route}`, { method: 'POST', headers: { authorization: `Bearer ${controlToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(r.status, await r.text()).toBe(200);
}

describe('the operator panel', () => {
  it('enqueues a batch, starts, pauses and resumes it, and follows it live to completion; the figures are the accounting', async () => {
    const batchId = await uploadSample(40, 'op-main');
    const page = await operatorPage();
    await enqueueInPanel(page, batchId);
    expect(await page.locator('[data-unit]').count()).toBeGreaterThanOrEqual(5);

    await page.getByRole('button', { name: `Bắt đầu lô ${batchId}` }).click();
    await page.locator(`.op-batch[data-batch="${batchId}"][data-status="running"]`).waitFor({ timeout: 30_000 });
    await page.locator('.op-panel[data-phase="running"]').waitFor();
    // Progress comes in from the stream: good cards counted up on screen.
    await page.locator('[data-figure="good"]').filter({ hasNotText: /^0$/ }).waitFor({ timeout: 60_000 });

    await page.getByRole('button', { name: 'Tạm dừng' }).click();
    await page.locator('.op-panel[data-phase="paused"]').waitFor({ timeout: 30_000 });
    // Every station is held while the batch is paused: the mimic shows it.
    await page.locator('[data-unit][data-state="Held"]').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Chạy tiếp' }).click();
    await page.locator('.op-panel[data-phase="running"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-unit][data-state="Execute"]').first().waitFor({ timeout: 30_000 });

    await page
      // The run ends completed, and a balanced batch is reconciled at once.
      .locator(`.op-batch[data-batch="${batchId}"]:is([data-status="completed"], [data-status="reconciled"])`)
      .waitFor({ timeout: 180_000 })
      .catch(async (error: unknown) => {
        // What the panel and the API said, for the one who reads the failure.
        const line = (await call(base, 'GET', `/api/v1/lines/${LINE}`, { token })).body;
        const batch = (await call(base, 'GET', `/api/v1/batches/${batchId}`, { token })).body;
        throw new Error(`${String(error)}\npanel: ${await page.locator('.op-panel').innerText()}\nline: ${JSON.stringify(line)}\nbatch: ${JSON.stringify(batch)}\nserve: ${web!.serve.output().slice(-3000)}`);
      });
    await page.locator('.op-panel[data-phase="idle"]').waitFor({ timeout: 30_000 });
    const accounting = (await call(base, 'GET', `/api/v1/batches/${batchId}`, { token })).json as { cards: { good: number; spoiled: number } };
    await expect.poll(() => page.locator('[data-figure="good"]').innerText(), { timeout: 15_000 }).toBe(String(accounting.cards.good));
    expect(await page.locator('[data-figure="spoiled"]').innerText()).toBe(String(accounting.cards.spoiled));
    expect(accounting.cards.good).toBe(40);
    // Blanks fed were counted down on screen from the store's count: the same as the store's now.
    const stock = (await call(base, 'GET', `/api/v1/lines/${LINE}/stock`, { token })).json as { available: number };
    expect(await page.locator('[data-figure="blanks"]').innerText()).toBe(String(stock.available));
    await page.context().close();
  }, 300_000);

  it('abort asks for a confirmation first; cancelled, the batch runs on; confirmed, it is aborted', async () => {
    const batchId = await uploadSample(200, 'op-abort');
    const page = await operatorPage();
    await enqueueInPanel(page, batchId);
    await page.getByRole('button', { name: `Bắt đầu lô ${batchId}` }).click();
    await page.locator(`.op-batch[data-batch="${batchId}"][data-status="running"]`).waitFor({ timeout: 30_000 });

    await page.getByRole('button', { name: 'Hủy lô' }).click();
    const dialog = page.getByRole('dialog', { name: `Hủy lô ${batchId}?` });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Hủy', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await call(base, 'GET', `/api/v1/lines/${LINE}`, { token })).json.phase).toBe('running');

    await page.getByRole('button', { name: 'Hủy lô' }).click();
    await dialog.getByRole('button', { name: 'Hủy lô' }).click();
    await page.locator(`.op-batch[data-batch="${batchId}"][data-status="aborted"]`).waitFor({ timeout: 60_000 });
    await page.locator('.op-panel[data-phase="idle"]').waitFor({ timeout: 30_000 });
    await page.context().close();
  }, 180_000);

  it('English changes every label; axe finds nothing serious in either language; every control has a name and is reached by Tab', async () => {
    const waiting = await uploadSample(5, 'op-lang');
    const page = await operatorPage();
    // A batch waiting in the queue: its row's controls are on screen too.
    await enqueueInPanel(page, waiting);
    const labels = (): Promise<string[]> => page.locator('.op-panel :is(h1, h2, dt, th, button, label, .op-banner)').evaluateAll((els) => els.map((e) => (e as unknown as { innerText: string }).innerText.trim()));
    const vietnamese = await labels();
    expect(await screenFindings(page), 'vi').toStrictEqual(NO_FINDINGS);

    await switchLanguage(page, 'en');
    const english = await labels();
    expect(english).toHaveLength(vietnamese.length);
    const unchanged = vietnamese.filter((text, i) => text === english[i] && /\p{L}/u.test(text));
    expect(unchanged).toStrictEqual([]);
    expect(await screenFindings(page), 'en').toStrictEqual(NO_FINDINGS);

    // The keyboard: Tab from the top of the page reaches every enabled control of the panel.
    expect(await unreachableByTab(page, '.op-panel')).toStrictEqual([]);
    await switchLanguage(page, 'vi');
    await page.context().close();
  }, 120_000);

  it('an e-stop injected in the simulator shows as an alarm on the panel, acknowledged by the operator and audited', async () => {
    const page = await operatorPage();
    await simControl('/estop', { target: 'laser' });
    const row = page.locator('tr[data-condition="station.aborted"]').filter({ hasText: 'laser' });
    await row.waitFor({ timeout: 15_000 });
    await page.locator('.op-banner.alarm-urgent').waitFor();
    await page.locator('[data-unit="laser"][data-state="Aborted"]').waitFor();
    const alarmId = (await row.getAttribute('data-alarm'))!;
    expect(await row.getAttribute('data-state')).toBe('active-unacknowledged');

    await row.getByRole('button', { name: /^Xác nhận cảnh báo/ }).click();
    await page.locator(`tr[data-alarm="${alarmId}"][data-state="active-acknowledged"]`).waitFor();
    await expect(page.locator(`tr[data-alarm="${alarmId}"]`).innerText()).resolves.toContain(`bởi ${operator.name}`);
    const audit = await call(base, 'GET', `/api/v1/audit?actor=${operator.name}&subjectId=${alarmId}`, { token: manager });
    expect(audit.status).toBe(200);
    expect((audit.json.entries as { actor: string; subjectId: string }[]).map((e) => ({ actor: e.actor, subjectId: e.subjectId }))).toStrictEqual([{ actor: operator.name, subjectId: alarmId }]);
    await page.context().close();
  }, 60_000);
});

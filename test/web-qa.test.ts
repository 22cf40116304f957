/**
 * Issue 18, the QA station in a real Chromium against `cardline serve`: a small batch runs on a
 * simulated line whose laser misregisters some cards (so QA fails them and the controller re-makes
 * them), set up through the API as an operator would. The QA user sees exactly the cards the
 * controller wants a person to look at (failed, re-made, in the site file's sample, decided by the
 * serial: src/qa/sample.ts), opens any card by its serial, sees its front and back previews load and
 * the verdict figure by figure, rejects a card with a reason code after a confirmation and sees its
 * record re-queued; a second run (through the API) re-makes it and the screen shows the new card.
 * Release: QA asks, a second person signs in in the dialog and approves; the same person is refused
 * with a clear message, and the desk's own session stays. axe finds nothing serious in either
 * language, no string is missing from a catalogue, every control has a name and the keyboard
 * reaches each one.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { inQaSample } from '../src/qa/sample.ts';
import { writeSample } from '../src/sample/write-sample.ts';
import { en } from '../web/src/i18n/en.ts';
import { vi } from '../web/src/i18n/vi.ts';
import { call } from './helpers/api.ts';
import { unreachableByTab } from './helpers/keyboard-reach.ts';
import { loginAs, NO_FINDINGS, openPage, screenFindings, switchLanguage } from './helpers/browser.ts';
import { cliUsers } from './helpers/cli.ts';
import { serveSite, type ServeSite } from './helpers/serve.ts';
import { closeForBrowser, serveForBrowser, type WebServe } from './helpers/web-screens.ts';

const RECORDS = 8;
const SAMPLE_RATE = 0.3;
const LINE = 'qa-line';

let site: ServeSite;
let web: WebServe | undefined;
let browser: Browser;
/** http://127.0.0.1:PORT (no final slash). */
let base: string;
let opToken: string;
let batchId: string;
const pw: Record<string, string> = {};

interface CardEntry {
  cardSerial: string;
  seq: number;
  attempt: number;
  status: 'good' | 'spoiled' | 'in-line';
  reason: string | null;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${web!.serve.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const batchStatus = async (): Promise<string> => (await call(base, 'GET', `/api/v1/batches/${batchId}`, { token: opToken })).json.status as string;
const cards = async (): Promise<CardEntry[]> => (await call(base, 'GET', `/api/v1/batches/${batchId}/cards`, { token: opToken })).body as CardEntry[];

/** What the controller asks a person to look at, worked out here from the cards and the sample rule. */
function expectedQueue(all: readonly CardEntry[]): string[] {
  return all
    .filter((c) => (c.status === 'spoiled' && c.reason === 'PRINT_GRADE_LOW') || (c.status === 'good' && (c.attempt > 1 || inQaSample(c.cardSerial, SAMPLE_RATE))))
    .map((c) => c.cardSerial)
    .sort();
}

async function shownQueue(page: Page): Promise<string[]> {
  const serials = await page.locator('table.qa-queue tbody tr').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { serial: string } }).dataset.serial));
  return serials.sort();
}

/** Tabs through the page and returns the visible controls the keyboard never reached. */
beforeAll(async () => {
  site = await serveSite('QA station', 'qa', { timeScale: 20, seed: 7, serialPrefix: 'Q' }, `ui: { loginAttemptsPerMinute: 100 }\nqa: { sampleRate: ${SAMPLE_RATE} }\n`);
  // The laser misplaces some engravings: QA grades their print low, the controller re-makes them.
  const lineFile = path.join(site.dir, 'line.yaml');
  const line = parse(await readFile(lineFile, 'utf8')) as { stations: { kind: string; failures?: Record<string, number> }[] };
  line.stations.find((s) => s.kind === 'laser')!.failures = { misregistration: 0.35 };
  await writeFile(lineFile, stringify(line));
  const users = await cliUsers(site.env, { 'op-an': 'operator', 'qa-binh': 'qa', 'qa-chi': 'qa' });
  for (const [name, env] of Object.entries(users)) pw[name] = env.CARDLINE_PASSWORD!;
  web = await serveForBrowser(site);
  browser = web.browser;
  base = web.base;

  // The operator's part, through the API: upload, stock, queue, start; the run ends reconciled.
  opToken = (await call(base, 'POST', '/api/v1/auth/login', { body: { user: 'op-an', password: pw['op-an'] } })).json.token as string;
  const sampleDir = path.join(site.dir, 'sample');
  await writeSample({ outDir: sampleDir, count: RECORDS, seed: 'web-qa', portraitPool: 4 });
  const files: Record<string, Uint8Array> = {};
  for (const entry of await readdir(sampleDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[path.relative(sampleDir, path.join(entry.parentPath, entry.name))] = await readFile(path.join(entry.parentPath, entry.name));
  }
  const up = await call(base, 'POST', '/api/v1/batches/uploads?name=qa-web&fileName=sample.zip', { token: opToken, raw: { type: 'application/zip', data: zipSync(files) } });
  expect(up.status, JSON.stringify(up.body)).toBe(201);
  batchId = up.json.batchId as string;
  expect((await call(base, 'POST', `/api/v1/lines/${LINE}/stock`, { token: opToken, body: { count: 80, lot: 'QA-1' } })).status).toBe(201);
  expect((await call(base, 'POST', `/api/v1/lines/${LINE}/queue`, { token: opToken, body: { batchId } })).status).toBeLessThan(300);
  const started = await call(base, 'POST', `/api/v1/lines/${LINE}/start`, { token: opToken, body: {} });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  await until('the batch reconciled', async () => (await batchStatus()) === 'reconciled');
}, 180_000);

afterAll(() => closeForBrowser(site, web));

describe('the QA station', () => {
  let page: Page;
  let victim: CardEntry;

  it('lists the cards the controller wants a person to see: QA failures, re-makes and the sample', async () => {
    const all = await cards();
    // The setup is what the test needs: some cards failed QA and were re-made, some are sampled, some not.
    expect(all.some((c) => c.reason === 'PRINT_GRADE_LOW'), JSON.stringify(all)).toBe(true);
    expect(all.some((c) => c.status === 'good' && !expectedQueue(all).includes(c.cardSerial))).toBe(true);
    expect(all.some((c) => c.status === 'good' && c.attempt === 1 && inQaSample(c.cardSerial, SAMPLE_RATE))).toBe(true);
    page = await openPage(browser);
    await loginAs(page, base, 'qa-binh', pw['qa-binh']!);
    await page.goto(`${base}/#/qa/${batchId}`);
    await page.locator('table.qa-queue tbody tr').first().waitFor();
    expect(await shownQueue(page)).toStrictEqual(expectedQueue(all));
    // A failed card says why and how it was judged.
    const failed = all.find((c) => c.reason === 'PRINT_GRADE_LOW')!;
    const row = page.locator(`tr[data-serial="${failed.cardSerial}"]`);
    await expect(row.innerText()).resolves.toContain(vi['qa.why.failed']);
    await expect(row.innerText()).resolves.toContain(vi['qa.verdict.failed']);
  }, 120_000);

  it('opens a scanned serial with its front and back previews and the verdict in detail', async () => {
    const all = await cards();
    const unlisted = all.find((c) => c.status === 'good' && !expectedQueue(all).includes(c.cardSerial))!;
    await page.getByLabel(vi['qa.scan.label']).fill(unlisted.cardSerial);
    await page.getByRole('button', { name: vi['qa.scan.open'] }).click();
    await page.getByRole('heading', { name: vi['qa.card.title'].replace('{serial}', unlisted.cardSerial) }).waitFor();
    for (const side of ['front', 'back']) {
      const img = page.locator(`.qa-preview img[data-side=${side}]`);
      await expect.poll(() => img.evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).complete && (el as unknown as { naturalWidth: number }).naturalWidth), { timeout: 30_000 }).toBeGreaterThan(900);
    }
    const facts = page.locator('.qa-facts');
    const fact = (label: string) => facts.locator(`dt:text-is("${label}") + dd`);
    await expect(fact(vi['qa.detail.verdict']).innerText()).resolves.toContain(vi['qa.verdict.passed']);
    await expect(fact(vi['qa.detail.chipRead']).innerText()).resolves.toBe(vi['qa.yes']);
    await expect(fact(vi['qa.detail.sodSignature']).innerText()).resolves.toBe(vi['qa.valid']);
    await expect(fact(vi['qa.detail.sodChain']).innerText()).resolves.toBe(vi['qa.valid']);
    await expect(fact(vi['qa.detail.dg1']).innerText()).resolves.toBe(vi['qa.ok']);
    await expect(fact(vi['qa.detail.hashAlgorithm']).innerText()).resolves.toBe('SHA-256');
    await expect(fact(vi['qa.detail.ocr']).innerText()).resolves.toBe([1, 2, 3].map((n) => `dòng ${n}: ${vi['qa.ok']}`).join('; '));
    await expect(fact(vi['qa.detail.grade']).innerText()).resolves.toMatch(/^[34],\d \(ngưỡng đạt 2,5\)$/);
    // Each data group's hash against EF.SOD.
    const dgRows = page.locator('table.qa-files tbody tr', { hasText: 'DG' });
    expect(await dgRows.count()).toBeGreaterThanOrEqual(2);
    for (const text of await dgRows.allInnerTexts()) expect(text).toContain(vi['qa.ok']);
    // The previews are audited: they decrypt the citizen's data.
    const audit = await call(base, 'GET', `/api/v1/audit?action=card.previewed&subjectId=${unlisted.cardSerial}`, { token: (await call(base, 'POST', '/api/v1/auth/login', { body: { user: 'qa-chi', password: pw['qa-chi'] } })).json.token as string });
    expect(JSON.stringify(audit.body)).toContain(unlisted.cardSerial);

    // A failed card shows the figure that failed it.
    const failed = all.find((c) => c.reason === 'PRINT_GRADE_LOW')!;
    await page.locator(`tr[data-serial="${failed.cardSerial}"] button`).click();
    await page.getByRole('heading', { name: vi['qa.card.title'].replace('{serial}', failed.cardSerial) }).waitFor();
    await expect(fact(vi['qa.detail.grade']).getAttribute('class')).resolves.toBe('qa-bad');
    await expect(fact(vi['qa.detail.verdict']).innerText()).resolves.toContain(vi['reason.PRINT_GRADE_LOW']);
  }, 120_000);

  it('axe finds nothing serious, every string is translated, every control named and reached by keyboard, in both languages', async () => {
    const sampled = (await cards()).find((c) => c.status === 'good' && inQaSample(c.cardSerial, SAMPLE_RATE))!;
    await page.locator(`tr[data-serial="${sampled.cardSerial}"] button`).click();
    await page.locator('.qa-reject select').waitFor();
    for (const lang of ['vi', 'en'] as const) {
      await switchLanguage(page, lang);
      await page.getByRole('heading', { name: (lang === 'en' ? en : vi)['qa.title'] }).waitFor();
      expect(await screenFindings(page), lang).toStrictEqual(NO_FINDINGS);
    }
    expect(await unreachableByTab(page, 'body')).toStrictEqual([]);
    await switchLanguage(page, 'vi');
  }, 120_000);

  it('rejects a card with a reason after a confirmation; its record is re-queued, and the re-run shows the re-made card', async () => {
    const all = await cards();
    victim = all.find((c) => c.status === 'good' && c.attempt === 1 && inQaSample(c.cardSerial, SAMPLE_RATE))!;
    await page.locator(`tr[data-serial="${victim.cardSerial}"] button`).click();
    await page.getByRole('heading', { name: vi['qa.card.title'].replace('{serial}', victim.cardSerial) }).waitFor();
    await page.getByLabel(vi['qa.reject.reason']).selectOption('PRINT_GRADE_LOW');
    await page.getByLabel(vi['qa.reject.note']).fill('vết mờ góc trên');
    await page.getByRole('button', { name: vi['qa.reject.submit'] }).click();
    const dialog = page.getByRole('dialog', { name: vi['qa.reject.confirmTitle'].replace('{serial}', victim.cardSerial) });
    await dialog.waitFor();
    expect(await screenFindings(page)).toStrictEqual(NO_FINDINGS);
    // Cancel first: nothing happens.
    await dialog.getByRole('button', { name: vi['common.cancel'] }).click();
    expect((await cards()).find((c) => c.cardSerial === victim.cardSerial)!.status).toBe('good');
    await page.getByRole('button', { name: vi['qa.reject.submit'] }).click();
    await dialog.getByRole('button', { name: vi['qa.reject.confirm'] }).click();
    const requeued = vi['qa.record.queued'].replace('{seq}', String(victim.seq));
    await page.getByRole('status').filter({ hasText: vi['qa.reject.queued'] }).waitFor();
    await page.locator(`tr[data-serial="${victim.cardSerial}"]`, { hasText: requeued }).waitFor();
    await expect(page.locator(`tr[data-serial="${victim.cardSerial}"]`).innerText()).resolves.toContain(vi['qa.why.rejected']);
    const rejected = (await cards()).find((c) => c.cardSerial === victim.cardSerial)!;
    expect(rejected).toMatchObject({ status: 'spoiled', reason: 'PRINT_GRADE_LOW' });

    // The operator runs the batch again (through the API): the screen, live, shows the re-made card.
    const rerun = await call(base, 'POST', `/api/v1/lines/${LINE}/start`, { token: opToken, body: { batchId } });
    expect(rerun.status, JSON.stringify(rerun.body)).toBe(202);
    await until('the re-run reconciled', async () => (await batchStatus()) === 'reconciled');
    const remade = (await cards()).find((c) => c.seq === victim.seq && c.status === 'good')!;
    expect(remade.cardSerial).not.toBe(victim.cardSerial);
    const remadeRow = page.locator(`tr[data-serial="${remade.cardSerial}"]`);
    await remadeRow.waitFor({ timeout: 30_000 });
    await expect(remadeRow.innerText()).resolves.toContain(vi['qa.why.remake']);
    await page.locator(`tr[data-serial="${victim.cardSerial}"]`, { hasText: vi['qa.record.remade'].replace('{seq}', String(victim.seq)).replace('{serial}', remade.cardSerial) }).waitFor();
    expect(await shownQueue(page)).toStrictEqual(expectedQueue(await cards()));
  }, 240_000);

  it('release needs a second person: QA asks, the same person is refused in the dialog, another approves; the desk keeps its session', async () => {
    await page.getByRole('button', { name: vi['qa.release.request'] }).click();
    await page.getByRole('status').filter({ hasText: 'R-' }).waitFor();
    const approve = page.getByRole('button', { name: /Người thứ hai duyệt R-/ });
    await approve.click();
    const dialog = page.getByRole('dialog', { name: vi['qa.second.title'] });
    await dialog.waitFor();
    expect(await screenFindings(page)).toStrictEqual(NO_FINDINGS);
    await dialog.getByLabel(vi['qa.second.user']).fill('qa-binh');
    await dialog.getByLabel(vi['qa.second.password']).fill(pw['qa-binh']!);
    await dialog.getByRole('button', { name: vi['qa.second.approve'] }).click();
    await dialog.getByRole('alert').filter({ hasText: vi['qa.second.samePerson'] }).waitFor();
    expect(await batchStatus()).toBe('reconciled');
    // A wrong password is said as such.
    await dialog.getByLabel(vi['qa.second.user']).fill('qa-chi');
    await dialog.getByLabel(vi['qa.second.password']).fill('not-the-password');
    await dialog.getByRole('button', { name: vi['qa.second.approve'] }).click();
    await dialog.getByRole('alert').filter({ hasText: vi['qa.second.loginFailed'] }).waitFor();
    await dialog.getByLabel(vi['qa.second.password']).fill(pw['qa-chi']!);
    await dialog.getByRole('button', { name: vi['qa.second.approve'] }).click();
    await page.getByRole('status').filter({ hasText: 'qa-chi' }).waitFor();
    expect(await batchStatus()).toBe('released');
    const audit = (await call(base, 'GET', `/api/v1/audit?action=batch.released&subjectId=${batchId}`, { token: opToken })).json as { entries: { actor: string }[] };
    expect(audit.entries.map((e) => e.actor)).toStrictEqual(['qa-chi']);
    // The desk is still qa-binh's: a reload keeps the session the cookie holds.
    await page.reload();
    await page.locator('header.top .who', { hasText: 'qa-binh' }).waitFor();
    await page.getByRole('heading', { name: vi['qa.title'] }).waitFor();
    await page.getByText(vi['qa.release.status'].replace('{id}', batchId).replace('{status}', vi['qa.batchStatus.released'])).waitFor();
    await page.context().close();
  }, 120_000);
});

/**
 * Issue 18, the manager's dashboard in a real Chromium against `cardline serve`: a small batch runs
 * to completion on a simulated line with encoder failures (driven through the API), and the
 * dashboard's OEE, availability, effectiveness, quality, first-pass yield, good cards and good
 * cards an hour are `cardline kpi --batch ID --json`'s to the precision shown; its Pareto lists the
 * same reasons with the same counts; its report links name the report routes; a second batch run
 * while the dashboard shows the shift reaches it through the event stream; axe finds nothing
 * serious in either language, no string is missing, every control has a name and Tab reaches it.
 *
 * serve and the CLI run in the site's directory, whose config/site.yaml and config/lines/ are the
 * site's: the KPI routes and `cardline kpi` read the same planned run times there.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { openContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';
import { writeSample } from '../src/sample/generate.ts';
import { call } from './helpers/api.ts';
import { loginAs, NO_FINDINGS, openPage, screenFindings, switchLanguage } from './helpers/browser.ts';
import { cardline, cliUsers } from './helpers/cli.ts';
import { unreachableByTab } from './helpers/keyboard-reach.ts';
import { serveSite, type ServeSite } from './helpers/serve.ts';
import { closeForBrowser, serveForBrowser, type WebServe } from './helpers/web-screens.ts';

const LINE = 'mgr-line';
let site: ServeSite;
let web: WebServe | undefined;
let browser: Browser;
/** http://127.0.0.1:PORT (no final slash). */
let base: string;
let users: Record<'mgr-dung' | 'op-an', NodeJS.ProcessEnv>;
let opToken: string;
let firstBatch: string;
let secondBatch: string;

interface KpiJson {
  scope: { linesWithoutPlan: string[] };
  total: { sums: { gq: number; sq: number }; kpis: Record<'oee' | 'availability' | 'effectiveness' | 'qualityRatio' | 'firstPassYield' | 'goodCardsPerHour', number | null> };
  pareto: { byReason: { key: string; count: number }[] };
}

async function importSample(seed: string, count: number): Promise<string> {
  const sample = await writeSample({ count, seed, outDir: path.join(site.dir, seed), portraitPool: 2 });
  const ctx = await openContext({ ...process.env, ...site.env });
  try {
    return (await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 'test-setup', name: seed, today: { year: 2026, month: 12, day: 7 } })).batchId;
  } finally {
    await ctx.close();
  }
}

/** Queues and starts `batchId` on the line through the API, as the operator. */
async function runBatch(batchId: string): Promise<void> {
  expect((await call(base, 'POST', `/api/v1/lines/${LINE}/queue`, { token: opToken, body: { batchId } })).status).toBeLessThan(300);
  const started = await call(base, 'POST', `/api/v1/lines/${LINE}/start`, { token: opToken, body: {} });
  expect(started.status, JSON.stringify(started.body)).toBeLessThan(300);
}

async function batchEnded(batchId: string): Promise<void> {
  for (;;) {
    const status = (await call(base, 'GET', `/api/v1/batches/${batchId}`, { token: opToken })).json.status as string;
    if (['completed', 'reconciled', 'released'].includes(status)) return;
    if (['aborted', 'failed', 'interrupted'].includes(status)) throw new Error(`batch ${batchId} ended ${status}:\n${web!.serve.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function cliKpi(args: readonly string[]): Promise<KpiJson> {
  const r = await cardline(['kpi', ...args, '--json'], { env: { ...process.env, ...users['mgr-dung'] }, cwd: site.dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as KpiJson;
}

const percent = (tag: string, v: number | null, na: string): string => (v === null ? na : new Intl.NumberFormat(tag, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v));

/** What the tiles must show for `k`, in the language of `tag`. */
function expectedTiles(k: KpiJson, tag: string, na: string): Record<string, string> {
  const n = (v: number): string => new Intl.NumberFormat(tag, { maximumFractionDigits: 0 }).format(v);
  return {
    oee: percent(tag, k.total.kpis.oee, na),
    availability: percent(tag, k.total.kpis.availability, na),
    effectiveness: percent(tag, k.total.kpis.effectiveness, na),
    quality: percent(tag, k.total.kpis.qualityRatio, na),
    fpy: percent(tag, k.total.kpis.firstPassYield, na),
    good: n(k.total.sums.gq),
    scrap: n(k.total.sums.sq),
    rate: n(k.total.kpis.goodCardsPerHour ?? 0),
  };
}

async function shownTiles(page: Page): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const tile of await page.locator('.kpi-tiles .tile').all()) out[(await tile.getAttribute('data-kpi'))!] = (await tile.locator('dd').innerText()).trim();
  return out;
}

beforeAll(async () => {
  site = await serveSite('Manager dashboard', 'mgr', { timeScale: 20, seed: 18, serialPrefix: 'M' });
  // The line with encoder failures, so there are rejects to count; the site file and the line file
  // where serve's KPI routes and `cardline kpi` look (config/ of the working directory).
  const line = parse(await readFile(path.join(site.dir, 'line.yaml'), 'utf8')) as { stations: { kind: string; failures?: unknown }[] };
  for (const s of line.stations) if (s.kind === 'encoder') s.failures = { chipWriteFailure: 0.15 };
  await mkdir(path.join(site.dir, 'config', 'lines'), { recursive: true });
  await writeFile(path.join(site.dir, 'config', 'lines', `${LINE}.yaml`), stringify(line));
  const siteFile = path.join(site.dir, 'config', 'site.yaml');
  await writeFile(siteFile, `id: mgr-site\nname: Manager dashboard\ntimeZone: Asia/Ho_Chi_Minh\nui: { loginAttemptsPerMinute: 100 }\nlines:\n  - { id: ${LINE}, file: lines/${LINE}.yaml }\n`);
  site = { ...site, siteFile };
  users = await cliUsers(site.env, { 'mgr-dung': 'manager', 'op-an': 'operator' });
  firstBatch = await importSample('mgr-one', 24);
  secondBatch = await importSample('mgr-two', 12);
  web = await serveForBrowser(site, { cwd: site.dir });
  browser = web.browser;
  base = web.base;
  const login = await call(base, 'POST', '/api/v1/auth/login', { body: { user: 'op-an', password: users['op-an'].CARDLINE_PASSWORD } });
  opToken = login.json.token as string;
  const stock = await call(base, 'POST', `/api/v1/lines/${LINE}/stock`, { token: opToken, body: { count: 70, lot: 'MGR-1' } });
  expect(stock.status, `${JSON.stringify(stock.body)}\n${web.serve.output()}`).toBe(201);
  await runBatch(firstBatch);
  await batchEnded(firstBatch);
}, 180_000);

afterAll(() => closeForBrowser(site, web));

describe('the manager dashboard', () => {
  it("shows a batch's KPIs as `cardline kpi --batch --json` gives them, its Pareto and its report links", async () => {
    const expected = await cliKpi(['--batch', firstBatch]);
    // The planned run times were found (effectiveness and OEE are figures, not n/a) and there are rejects.
    expect(expected.scope.linesWithoutPlan).toStrictEqual([]);
    expect(expected.total.kpis.oee).not.toBeNull();
    expect(expected.total.sums.sq).toBeGreaterThan(0);

    const page = await openPage(browser);
    await loginAs(page, base, 'mgr-dung', users['mgr-dung'].CARDLINE_PASSWORD!);
    expect(page.url()).toContain('#/manager');
    await page.goto(`${base}/#/manager/batch/${firstBatch}`);
    await page.locator(`[data-scope="batch/${firstBatch}"]`).waitFor();
    expect(await shownTiles(page)).toStrictEqual(expectedTiles(expected, 'vi-VN', 'không có'));

    const pareto: Record<string, string> = {};
    for (const row of await page.locator('table.pareto-reason tbody tr[data-key]').all()) pareto[(await row.getAttribute('data-key'))!] = await row.locator('[data-col=count]').innerText();
    expect(pareto).toStrictEqual(Object.fromEntries(expected.pareto.byReason.map((e) => [e.key, new Intl.NumberFormat('vi-VN').format(e.count)])));

    const links = page.locator('.reports a[download]');
    expect(await Promise.all((await links.all()).map((a) => a.getAttribute('href')))).toStrictEqual(['pdf', 'json', 'csv'].map((f) => `/api/v1/reports/batches/${firstBatch}?format=${f}`));
    const rowLinks = page.locator(`table.batches tr[data-batch="${firstBatch}"] a[download]`);
    expect(await rowLinks.count()).toBe(3);

    // English: the same figures in its notation.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Manager dashboard' }).waitFor();
    expect(await shownTiles(page)).toStrictEqual(expectedTiles(expected, 'en-GB', 'n/a'));
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await page.getByRole('heading', { name: 'Bảng điều hành' }).waitFor();
    await page.context().close();
  });

  it("follows the shift as a second batch runs (the event stream, no polling) and links each line's shift report", async () => {
    const shifts = (await call(base, 'GET', '/api/v1/kpi/shifts?count=2', { token: opToken })).json.shifts as { date: string; name: string }[];
    const now = shifts[0]!;
    const page = await openPage(browser);
    await loginAs(page, base, 'mgr-dung', users['mgr-dung'].CARDLINE_PASSWORD!);
    await page.locator(`[data-scope="shift/${now.date}/${now.name}"]`).waitFor();
    expect(await Promise.all((await page.locator(`.reports [data-report-line="${LINE}"] a[download]`).all()).map((a) => a.getAttribute('href')))).toStrictEqual(
      ['pdf', 'json', 'csv'].map((f) => `/api/v1/reports/shifts/${now.date}/${now.name}?line=${LINE}&format=${f}`),
    );
    const before = await cliKpi(['--shift', `${now.date}/${now.name}`]);
    expect(await shownTiles(page)).toStrictEqual(expectedTiles(before, 'vi-VN', 'không có'));

    await runBatch(secondBatch);
    await batchEnded(secondBatch);
    const after = await cliKpi(['--shift', `${now.date}/${now.name}`]);
    expect(after.total.sums.gq).toBeGreaterThan(before.total.sums.gq);
    // The last counters event reloads the figures (at most every few seconds): wait for the good cards of the CLI.
    const good = new Intl.NumberFormat('vi-VN').format(after.total.sums.gq);
    await page.locator('.kpi-tiles [data-kpi=good] dd', { hasText: new RegExp(`^${good.replace('.', '\\.')}$`) }).waitFor({ timeout: 30_000 });
    // The shift comparison's first row is this shift, with the same good cards.
    await expect(page.locator(`.manager table.kpi-table tr[data-row="${now.date}/${now.name}"] [data-kpi=good]`).innerText()).resolves.toBe(good);
    await page.context().close();
  });

  it('is accessible in both languages: axe, catalogues, names, keyboard', async () => {
    const page = await openPage(browser);
    await loginAs(page, base, 'mgr-dung', users['mgr-dung'].CARDLINE_PASSWORD!);
    await page.goto(`${base}/#/manager/batch/${firstBatch}`);
    await page.locator(`[data-scope="batch/${firstBatch}"]`).waitFor();
    await page.locator('.chart-canvas svg').first().waitFor();
    for (const lang of ['vi', 'en'] as const) {
      await switchLanguage(page, lang);
      expect(await screenFindings(page), lang).toStrictEqual(NO_FINDINGS);
    }
    expect(await unreachableByTab(page)).toStrictEqual([]);
    await page.context().close();
  });
});

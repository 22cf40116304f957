/**
 * Issue 18, the engineer view in a real Chromium against `cardline serve` with a simulated line:
 * the line file as loaded without its secrets (page and API), healthy links, an e-stop injected
 * through the screen raising the alarm board's alarm and showing on the unit, cleared again, every
 * injection audited; the simulator's ledger equal to the batch's accounting; an operator refused;
 * a real line refused (409) in process; axe, catalogues and keyboard in both languages.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { SiteAlarmBoard } from '../src/alarms/alarm-board.ts';
import { openLineSession } from '../src/app/run-line.ts';
import { openContext } from '../src/cli/context.ts';
import { EventBus } from '../src/events/event-bus.ts';
import { engineeringRoutes } from '../src/http/routes/engineering.ts';
import { importBatch } from '../src/import/importer.ts';
import { writeSample } from '../src/sample/generate.ts';
import { loadSiteConfig } from '../src/site/site-config.ts';
import { Site } from '../src/site/site.ts';
import { AlarmStore } from '../src/store/alarm-store.ts';
import { en } from '../web/src/i18n/en.ts';
import { vi } from '../web/src/i18n/vi.ts';
import { call, startApi } from './helpers/api.ts';
import { loginAs, NO_FINDINGS, openPage, screenFindings, switchLanguage } from './helpers/browser.ts';
import { cliUsers } from './helpers/cli.ts';
import { serveSite, type ServeSite } from './helpers/serve.ts';
import { until } from './helpers/site.ts';
import { unreachableByTab } from './helpers/keyboard-reach.ts';
import { closeForBrowser, serveForBrowser, type WebServe } from './helpers/web-screens.ts';

const LINE = 'weng-line';
/** What the line file says of its OPC UA users: the simulator's accepted user, its password's variable, and that password. */
const SECRETS = { user: 'sim-opc-user-7f3a', passwordEnv: 'CARDLINE_TEST_OPC_SECRET_7F3A', password: 'opc-password-never-shown-91c2' };

let site: ServeSite;
let web: WebServe | undefined;
let browser: Browser;
let base: string;
let users: Record<'eng-hai' | 'op-ba', NodeJS.ProcessEnv>;
const tokens = new Map<string, string>();

async function token(name: 'eng-hai' | 'op-ba'): Promise<string> {
  const known = tokens.get(name);
  if (known) return known;
  const login = await call(base, 'POST', '/api/v1/auth/login', { body: { user: name, password: users[name].CARDLINE_PASSWORD } });
  expect(login.status).toBe(200);
  tokens.set(name, login.json.token as string);
  return login.json.token as string;
}

async function asEngineer(method: string, url: string, body?: unknown) {
  return call(base, method, url, { token: await token('eng-hai'), ...(body !== undefined ? { body } : {}) });
}

beforeAll(async () => {
  site = await serveSite('Web engineer', 'weng', { timeScale: 20, seed: 5, serialPrefix: 'E' }, 'ui: { loginAttemptsPerMinute: 100 }\nqa: { sampleRate: 0 }\n');
  // The simulator accepts a named OPC UA user besides anonymous sessions: a user name and a password variable the view must never show.
  const lineFile = path.join(site.dir, 'line.yaml');
  const line = parse(await readFile(lineFile, 'utf8')) as { opcuaSecurity: Record<string, unknown> };
  line.opcuaSecurity.users = [{ username: SECRETS.user, passwordEnv: SECRETS.passwordEnv }];
  await writeFile(lineFile, stringify(line));
  users = await cliUsers(site.env, { 'eng-hai': 'engineer', 'op-ba': 'operator' } as const);
  web = await serveForBrowser(site, { env: { [SECRETS.passwordEnv]: SECRETS.password } });
  browser = web.browser;
  base = web.base;
}, 120_000);

afterAll(() => closeForBrowser(site, web));

function expectNoSecret(text: string): void {
  for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
}

/** The shared catalogue's name of a PackML state in `catalogue` (the operator panel's words too). */
const stateName = (catalogue: typeof vi | typeof en, state: string): string => catalogue[`packml.${state}` as keyof typeof vi];

/** Waits until the link table and the simulator's units name each unit's PackML state, as the API gives it, in `catalogue`'s words. */
async function statesShownIn(page: Page, catalogue: typeof vi | typeof en): Promise<void> {
  const tables = [
    { path: 'links', cell: (unit: string) => `.engineer-links tr[data-unit="${unit}"] td.engineer-state` },
    { path: 'simulator', cell: (unit: string) => `.engineer-sim-units tr[data-unit="${unit}"] td:nth-child(2)` },
  ];
  for (const { path: tail, cell } of tables) {
    const units = (await asEngineer('GET', `/api/v1/lines/${LINE}/${tail}`)).json.units as { unitId: string; state: string }[];
    expect(units.length).toBeGreaterThan(0);
    for (const u of units) await page.locator(cell(u.unitId), { hasText: new RegExp(`^${stateName(catalogue, u.state)}$`) }).waitFor();
  }
}

async function openEngineer(): Promise<Page> {
  const page = await openPage(browser);
  await loginAs(page, base, 'eng-hai', users['eng-hai'].CARDLINE_PASSWORD!);
  expect(page.url()).toContain('#/engineer');
  await page.locator('.engineer-links tbody tr').first().waitFor();
  return page;
}

describe('the engineer view', () => {
  it('the API gives the line file as loaded, without its secrets, and only to engineers', async () => {
    const answer = await asEngineer('GET', `/api/v1/lines/${LINE}/config`);
    expect(answer.status).toBe(200);
    expectNoSecret(JSON.stringify(answer.body));
    expect(answer.json).toMatchObject({ id: LINE, file: 'line.yaml', opcuaSecurity: { mode: 'None', clientLogin: 'anonymous', serverUsers: 1 }, simulation: { timeScale: 20, serialPrefix: 'E' } });
    expect((answer.json.stations as { id: string }[]).map((s) => s.id)).toStrictEqual(['feeder', 'encoder', 'laser', 'qa', 'output']);
    const operator = await token('op-ba');
    for (const [method, url] of [
      ['GET', `/api/v1/lines/${LINE}/config`],
      ['GET', `/api/v1/lines/${LINE}/links`],
      ['GET', `/api/v1/lines/${LINE}/simulator`],
      ['POST', `/api/v1/lines/${LINE}/simulator/faults`],
    ] as const) {
      const refused = await call(base, method, url, { token: operator, ...(method === 'POST' ? { body: { unit: 'laser', fault: 'e-stop' } } : {}) });
      expect({ url, status: refused.status }).toStrictEqual({ url, status: 403 });
    }
  });

  it('shows the configuration without a secret and every link healthy', async () => {
    const page = await openEngineer();
    await until('every link connected', async () => (await page.locator('.engineer-links tbody tr', { hasText: 'đã kết nối' }).count()) === 5);
    await page.locator('.engineer-config tbody tr').nth(4).waitFor();
    expect(await page.locator('.engineer-config tbody th').allInnerTexts()).toStrictEqual(['feeder', 'encoder', 'laser', 'qa', 'output']);
    expectNoSecret(await page.locator('body').innerText());
    expectNoSecret(await page.content());
    const links = await asEngineer('GET', `/api/v1/lines/${LINE}/links`);
    expect((links.json.units as { unitId: string; connected: boolean; reconnects: number }[]).map((u) => [u.unitId, u.connected, u.reconnects])).toStrictEqual([
      ['feeder', true, 0],
      ['encoder.1', true, 0],
      ['laser', true, 0],
      ['qa', true, 0],
      ['output', true, 0],
    ]);
    await page.context().close();
  });

  it('an e-stop injected through the screen raises the alarm and shows on the unit; clearing it ends both; both audited', async () => {
    const page = await openEngineer();
    await page.locator('.engineer-fault select[name=unit]').selectOption('laser');
    await page.locator('.engineer-fault select[name=fault]').selectOption('e-stop');
    await page.getByRole('button', { name: 'Tạo lỗi' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Tạo lỗi dừng khẩn cấp trên laser?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Tạo lỗi' }).click();
    await page.getByRole('status').filter({ hasText: 'Đã tạo lỗi dừng khẩn cấp trên laser.' }).waitFor();
    // The alarm board's alarm, on the screen and in the API; the unit's state in the link table and the simulator's.
    await page.locator('.engineer-alarm-list li[data-condition="station.aborted"][data-unit="laser"]').waitFor();
    await page.locator('.engineer-links tr[data-unit="laser"] td.engineer-state', { hasText: vi['packml.Aborted'] }).waitFor();
    await page.locator('.engineer-sim-units tr[data-unit="laser"]', { hasText: 'EmergencyStop' }).waitFor();
    const alarms = await asEngineer('GET', `/api/v1/alarms?lineId=${LINE}`);
    expect((alarms.json.alarms as { unitId: string; condition: string; state: string; priority: string }[]).filter((a) => a.unitId === 'laser' && a.condition === 'station.aborted')).toMatchObject([{ state: 'active-unacknowledged', priority: 'urgent' }]);
    const status = await asEngineer('GET', `/api/v1/lines/${LINE}`);
    const laser = (status.json.stations as { units: { id: string; state: string }[] }[]).flatMap((s) => s.units).find((u) => u.id === 'laser');
    expect(laser?.state).toBe('Aborted');

    await page.getByRole('button', { name: 'Gỡ lỗi' }).click();
    await page.getByRole('status').filter({ hasText: 'Đã gỡ lỗi dừng khẩn cấp trên laser.' }).waitFor();
    await page.locator('.engineer-links tr[data-unit="laser"] td.engineer-state', { hasText: vi['packml.Stopped'] }).waitFor();
    await until('the alarm returned to normal', async () => {
      const after = await asEngineer('GET', `/api/v1/alarms?lineId=${LINE}&state=all`);
      return (after.json.alarms as { unitId: string; condition: string; state: string }[]).some((a) => a.unitId === 'laser' && a.condition === 'station.aborted' && a.state === 'cleared-unacknowledged');
    });
    const audit = await asEngineer('GET', '/api/v1/audit?action=simulator.fault');
    expect(audit.status).toBe(200);
    const rows = audit.json.entries as { actor: string; action: string; details: { fault: string; action: string; unit: string } }[];
    expect(rows.filter((r) => r.action === 'simulator.fault').map((r) => [r.actor, r.details.unit, r.details.fault, r.details.action]).sort()).toStrictEqual([
      ['eng-hai', 'laser', 'e-stop', 'clear'],
      ['eng-hai', 'laser', 'e-stop', 'inject'],
    ]);
    await page.context().close();
  });

  it('a frozen heartbeat shows in the simulator units, on the link and as an alarm; a fault the simulator cannot take is refused', async () => {
    const frozen = await asEngineer('POST', `/api/v1/lines/${LINE}/simulator/faults`, { unit: 'qa', fault: 'freeze-heartbeat' });
    expect(frozen.json).toStrictEqual({ unit: 'qa', fault: 'freeze-heartbeat', action: 'inject', units: ['qa'] });
    const sim = await asEngineer('GET', `/api/v1/lines/${LINE}/simulator`);
    expect((sim.json.units as { unitId: string; heartbeatFrozen: boolean }[]).find((u) => u.unitId === 'qa')?.heartbeatFrozen).toBe(true);
    // The link sees a live transport without a heartbeat, and the alarm board raises heartbeat.stale.
    await until('the stale heartbeat alarm', async () => {
      const alarms = await asEngineer('GET', `/api/v1/alarms?lineId=${LINE}&state=active`);
      return (alarms.json.alarms as { unitId: string; condition: string }[]).some((a) => a.unitId === 'qa' && a.condition === 'heartbeat.stale');
    });
    const qa = ((await asEngineer('GET', `/api/v1/lines/${LINE}/links`)).json.units as { unitId: string; connected: boolean; reachable: boolean; lastError: { message: string } | null }[]).find((u) => u.unitId === 'qa');
    expect(qa).toMatchObject({ connected: false, reachable: true, lastError: { message: expect.stringContaining('heartbeat') } });
    expect((await asEngineer('POST', `/api/v1/lines/${LINE}/simulator/faults`, { unit: 'qa', fault: 'freeze-heartbeat', action: 'clear' })).status).toBe(200);
    expect((await asEngineer('POST', `/api/v1/lines/${LINE}/simulator/faults`, { unit: 'nowhere', fault: 'e-stop' })).status).toBe(404);
    expect((await asEngineer('POST', `/api/v1/lines/${LINE}/simulator/faults`, { unit: 'qa', fault: 'drop-connection', action: 'clear' })).status).toBe(400);
    expect((await asEngineer('POST', `/api/v1/lines/${LINE}/simulator/faults`, { unit: 'qa', fault: 'melt' })).status).toBe(400);
  });

  it("the simulator's ledger equals the batch's accounting after a run", async () => {
    const ctx = await openContext({ ...process.env, ...site.env });
    let batchId: string;
    try {
      const sample = await writeSample({ count: 6, seed: 'web-engineer', outDir: path.join(site.dir, 'sample'), portraitPool: 2 });
      batchId = (await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 'op-ba' })).batchId;
    } finally {
      await ctx.close();
    }
    const page = await openEngineer();
    expect((await asEngineer('POST', `/api/v1/lines/${LINE}/start`, { batchId })).status).toBe(202);
    await until(
      'the batch to end',
      async () => ['completed', 'reconciled'].includes((await asEngineer('GET', `/api/v1/batches/${batchId}`)).json.status as string),
      120_000,
    );
    const summary = (await asEngineer('GET', `/api/v1/batches/${batchId}`)).json as { cards: { blanksConsumed: number; good: number; spoiled: number; inLine: number } };
    const ledger = (await asEngineer('GET', `/api/v1/lines/${LINE}/simulator`)).json.ledger as Record<string, number>;
    expect({ fed: ledger.fed, inStacker: ledger.inStacker, inRejectBin: ledger.inRejectBin, inMachine: ledger.inMachine }).toStrictEqual({
      fed: summary.cards.blanksConsumed,
      inStacker: summary.cards.good,
      inRejectBin: summary.cards.spoiled,
      inMachine: summary.cards.inLine,
    });
    expect(summary.cards.good).toBeGreaterThanOrEqual(6);
    // The screen shows the same counts (it reloads on the stream's counters).
    await page.locator('.engineer-ledger [data-count="inStacker"] dd', { hasText: new RegExp(`^${summary.cards.good}$`) }).waitFor();
    await page.locator('.engineer-ledger [data-count="fed"] dd', { hasText: new RegExp(`^${summary.cards.blanksConsumed}$`) }).waitFor();
    // Handshakes happened: their latencies are measured.
    const links = await asEngineer('GET', `/api/v1/lines/${LINE}/links`);
    for (const u of links.json.units as { unitId: string; handshakes: { jobAckMs: number[]; doneClearMs: number[] } }[]) {
      expect({ unit: u.unitId, measured: u.handshakes.jobAckMs.length > 0 && u.handshakes.doneClearMs.length > 0 }).toStrictEqual({ unit: u.unitId, measured: true });
    }
    await page.context().close();
  }, 180_000);

  it('axe finds nothing serious, no string is missing and the keyboard reaches every control, in both languages', async () => {
    const page = await openEngineer();
    await page.locator('.engineer-ledger').waitFor();
    await page.locator('.engineer-config tbody tr').first().waitFor();
    for (const lang of ['vi', 'en'] as const) {
      await switchLanguage(page, lang);
      await statesShownIn(page, lang === 'vi' ? vi : en);
      expect(await screenFindings(page), lang).toStrictEqual(NO_FINDINGS);
      expect(await unreachableByTab(page, 'body')).toStrictEqual([]);
    }
    // The confirmation too.
    await page.locator('.engineer-fault select[name=unit]').selectOption('output');
    await page.locator('.engineer-fault select[name=fault]').selectOption('slow-cycles');
    await page.getByRole('button', { name: 'Inject fault' }).first().click();
    await page.getByRole('dialog').waitFor();
    expect(await screenFindings(page)).toStrictEqual(NO_FINDINGS);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.context().close();
  });
});

describe('a real line', () => {
  it('has no simulator (409), and its configuration leaves out the user the controller logs in as', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cardline-real-line-'));
    try {
      await writeFile(
        path.join(dir, 'line.yaml'),
        stringify({
          id: 'real-line',
          opcuaSecurity: { mode: 'SignAndEncrypt', policy: 'Basic256Sha256', allowAnonymous: false, user: { username: SECRETS.user, passwordEnv: SECRETS.passwordEnv } },
          stations: ['feeder', 'encoder', 'laser', 'qa', 'output'].map((kind) => ({
            id: kind,
            kind,
            transport: 'opcua',
            opcua: { endpoint: `opc.tcp://plc-user:${SECRETS.password}@10.0.0.5:4840` },
            cycle: { meanMs: 500 },
          })),
        }),
      );
      await writeFile(path.join(dir, 'site.yaml'), 'id: real-site\nname: Real site\nlines:\n  - { id: real-line, file: line.yaml }\n');
      const config = await loadSiteConfig(path.join(dir, 'site.yaml'));
      const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
      const bus = new EventBus();
      // Not opened: the line's PLCs do not exist; the engineer's routes answer from the site file and refuse the simulator.
      const real = new Site({ config, ctx, openSession: openLineSession, events: bus, alarms: new SiteAlarmBoard(new AlarmStore(ctx.db), bus) });
      const api = await startApi({ 'eng-real': 'engineer' }, { site: real, siteRoutes: [engineeringRoutes] }, { ctx, dir });
      try {
        const engineer = await api.token('eng-real');
        const fault = await call(api.base, 'POST', '/api/v1/lines/real-line/simulator/faults', { token: engineer, body: { unit: 'laser', fault: 'e-stop' } });
        expect(fault.status).toBe(409);
        expect(fault.json).toMatchObject({ type: 'urn:cardline:problem:conflict', detail: 'line real-line is a real line: it has no simulator to inject faults into' });
        expect((await call(api.base, 'GET', '/api/v1/lines/real-line/simulator', { token: engineer })).status).toBe(409);
        const shown = await call(api.base, 'GET', '/api/v1/lines/real-line/config', { token: engineer });
        expect(shown.status).toBe(200);
        expectNoSecret(JSON.stringify(shown.body));
        expect(JSON.stringify(shown.body)).not.toContain('plc-user');
        expect(shown.json).toMatchObject({ simulation: null, opcuaSecurity: { mode: 'SignAndEncrypt', clientLogin: 'user', serverUsers: 0 } });
        expect((shown.json.stations as { units: { address: string }[] }[])[0]!.units[0]!.address).toBe('opc.tcp://10.0.0.5:4840 real-line/feeder');
        const links = await call(api.base, 'GET', '/api/v1/lines/real-line/links', { token: engineer });
        expect((links.json.units as { connected: boolean }[]).every((u) => !u.connected)).toBe(true);
      } finally {
        await api.close();
        await ctx.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

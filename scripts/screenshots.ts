/**
 * `npm run screenshots`: regenerates docs/img/<screen>-<lang>.png, the README's pictures of every
 * screen in Vietnamese and English. It runs the real demo (`cardline serve --demo` on the site file
 * of config/ in a fresh data directory), waits until the demo batch is under way, logs in as the
 * demo user of each screen's first role in Chromium at the touch panel's 1280 × 800, and shoots.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { SCREENS } from '../web/src/screens/routes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'docs', 'img');
const CHROMIUM = process.env.CARDLINE_CHROMIUM ?? '/usr/bin/chromium';
/** What each screen waits for before its picture (its data drawn, not its loading text). */
const READY: Readonly<Record<string, string>> = {
  operator: '.op-panel',
  manager: '.manager .kpi-tiles',
  audit: '.audit table.audit-log tbody tr',
  qa: '.qa-list table.qa-queue, .qa-list p.muted',
  engineer: '.engineer-links tbody tr',
  users: 'table.users-list tbody tr',
};

const dir = await mkdtemp(path.join(tmpdir(), 'cardline-screenshots-'));
const dataDir = path.join(dir, 'data');
const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'cardline.js'), 'serve', '--demo', '--port', '0'], {
  env: { ...process.env, CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '', CARDLINE_USER: '', CARDLINE_PASSWORD: '' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));

async function waitFor(pattern: RegExp, what: string, ms = 120_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = pattern.exec(out);
    if (m) return m;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${what}:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

try {
  const base = (await waitFor(/serving at (http:\/\/127\.0\.0\.1:\d+\/)/, 'serve --demo did not start'))[1]!;
  await waitFor(/\b[1-9]0 ?%/, 'the demo batch did not get under way');
  const saved = JSON.parse(await readFile(path.join(dataDir, 'demo-users.json'), 'utf8')) as { users: { name: string; role: string; password: string }[] };
  // The demo's passwords are one-time ones: each user chooses a new one first, as a person would.
  const chosen = new Map<string, { name: string; password: string }>();
  for (const u of saved.users) {
    const password = `${u.password}-screens`;
    const answer = await fetch(`${base}api/v1/auth/password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: u.name, password: u.password, newPassword: password }) });
    if (answer.status !== 204) throw new Error(`the demo user ${u.name} could not change the one-time password: HTTP ${answer.status}`);
    chosen.set(u.role, { name: u.name, password });
  }
  await mkdir(OUT, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    for (const screen of SCREENS) {
      const role = screen.roles.find((r) => chosen.has(r));
      if (!role) throw new Error(`no demo user may open the ${screen.id} screen`);
      const user = chosen.get(role)!;
      // One login a screen (the demo site lets an address try 10 a minute), both languages in it.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(base);
      await page.locator('input[name=user]').fill(user.name);
      await page.locator('input[name=password]').fill(user.password);
      await page.locator('form button[type=submit]').click();
      await page.locator('header.top .who').waitFor();
      for (const lang of ['vi', 'en'] as const) {
        await page.getByRole('button', { name: lang === 'vi' ? 'Tiếng Việt' : 'English' }).click();
        await page.goto(`${base}#/${screen.id}`);
        const ready = READY[screen.id];
        if (ready) await page.locator(ready).first().waitFor({ timeout: 30_000 });
        await page.waitForTimeout(1_500);
        const file = path.join(OUT, `${screen.id}-${lang}.png`);
        await page.screenshot({ path: file });
        console.log(`screenshots: ${path.relative(ROOT, file)}`);
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('close', resolve));
  await rm(dir, { recursive: true, force: true });
}

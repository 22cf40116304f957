/**
 * Issue 18's figures of the browser screens, in Debian's Chromium on loopback against a real
 * `cardline serve` with its in-process simulated line (the test line of test/helpers/cli.ts):
 *   ui_bundle_kb: the JavaScript, CSS and HTML a first visit downloads, gzip (web/build.ts).
 *   ui_first_paint_ms: navigation start to the operator panel drawn with its data (the panel's
 *     `operator-ready` performance mark), the median of reloads by a signed-in operator; the first,
 *     cold load is printed as a comment.
 *   ui_event_to_paint_ms_p95: a station's state change (its event's `at`, stamped by the server)
 *     to the next frame after the mimic's DOM took it (a MutationObserver on the unit's data-at,
 *     then requestAnimationFrame and a task: the frame is painted). The changes are PackML commands
 *     sent to the feeder through the simulator's control API (Stop, Reset, in turn).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildWebApp } from '../web/build.ts';
import { launchBrowser, loginAs, openPage } from '../test/helpers/browser.ts';
import { cliUsers, writeCliLine } from '../test/helpers/cli.ts';
import { serveSite, startServe } from '../test/helpers/serve.ts';
import { bench, info } from './report.ts';

const LINE = 'ui-line';
const RELOADS = 7;
const COMMANDS = 40;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const out = await mkdtemp(path.join(tmpdir(), 'cardline-ui-bench-'));
try {
  const built = await buildWebApp(out);
  bench('ui_bundle_kb', built.gzipBytes / 1024, 'KB');
} finally {
  await rm(out, { recursive: true, force: true });
}

const site = await serveSite('UI bench', 'ui', { timeScale: 20, seed: 9, serialPrefix: 'U' }, 'ui: { loginAttemptsPerMinute: 100 }\n');
await writeCliLine(path.join(site.dir, 'line.yaml'), { id: LINE, timeScale: 20, seed: 9, initialBlanks: 50, serialPrefix: 'U', cycleMs: 200, controlPort: true });
const users = await cliUsers(site.env, { 'op-bench': 'operator' });
const serve = startServe(site, []);
const browser = await launchBrowser();
try {
  await serve.waitFor(/serving at/, 'serve did not start', 120_000);
  const base = serve.base();
  const page = await openPage(browser);
  await loginAs(page, base, 'op-bench', users['op-bench'].CARDLINE_PASSWORD!);
  await page.locator('.op-panel').waitFor();

  const readyMs = async (): Promise<number> => {
    await page.locator('.op-panel').waitFor();
    return page.evaluate<number>(`new Promise((resolve) => {
      const read = () => { const m = performance.getEntriesByName('operator-ready')[0]; m ? resolve(m.startTime) : setTimeout(read, 5); };
      read();
    })`);
  };
  info(`first load (login, then the panel): ${(await readyMs()).toFixed(0)} ms`);
  const paints: number[] = [];
  for (let i = 0; i < RELOADS; i++) {
    await page.reload();
    paints.push(await readyMs());
  }
  info(`reloads: ${paints.map((p) => p.toFixed(0)).join(', ')} ms`);
  bench('ui_first_paint_ms', percentile(paints, 50), 'ms');

  // The mimic's station changes, from the server's event time to the frame that shows them.
  await page.evaluate(`(() => {
    window.__paint = [];
    const seen = new MutationObserver((records) => {
      for (const r of records) {
        const at = Date.parse(r.target.getAttribute('data-at'));
        if (Number.isNaN(at)) continue;
        requestAnimationFrame(() => setTimeout(() => window.__paint.push(Date.now() - at), 0));
      }
    });
    seen.observe(document.querySelector('.op-mimic'), { subtree: true, attributes: true, attributeFilter: ['data-at'] });
  })()`);
  const line = await readFile(path.join(site.dir, 'line.yaml'), 'utf8');
  const port = /controlPort: (\d+)/.exec(line)![1];
  const tokenFile = (await readdir(site.dir, { recursive: true })).find((f) => f.endsWith(path.join('sim', 'control-token')));
  if (!tokenFile) throw new Error('the simulator wrote no control token');
  const controlToken = (await readFile(path.join(site.dir, tokenFile), 'utf8')).trim();
  for (let i = 0; i < COMMANDS; i++) {
    await fetch(`http://127.0.0.1:${port}/command`, {
      method: 'POST',
      headers: { authorization: `Bearer ${controlToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'feeder', command: i % 2 === 0 ? 'Stop' : 'Reset' }),
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  const latencies = await page.evaluate<number[]>('window.__paint');
  if (latencies.length < COMMANDS) throw new Error(`only ${latencies.length} station changes reached the screen for ${COMMANDS} commands`);
  info(`${latencies.length} station changes painted; median ${percentile(latencies, 50)} ms, max ${Math.max(...latencies)} ms`);
  bench('ui_event_to_paint_ms_p95', percentile(latencies, 95), 'ms');
} finally {
  await browser.close();
  serve.kill();
  await serve.exited;
  await site.cleanup();
}

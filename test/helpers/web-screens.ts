// Test support for a screen's browser tests: `cardline serve` on a test site with Chromium beside
// it (and their end), and the keyboard acceptance: Tab reaches every visible control of the page.
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.ts';
import { startServe, type ServeProcess, type ServeSite } from './serve.ts';

export interface WebServe {
  readonly serve: ServeProcess;
  readonly browser: Browser;
  /** http://127.0.0.1:PORT, without the trailing slash. */
  readonly base: string;
}

/** `cardline serve` on `site` (with `env`), started and serving, and a Chromium. */
export async function serveForBrowser(site: ServeSite, env: NodeJS.ProcessEnv = {}): Promise<WebServe> {
  const serve = startServe(site, [], env);
  await serve.waitFor(/serving at/, 'serve did not start');
  return { serve, browser: await launchBrowser(), base: serve.base().replace(/\/$/, '') };
}

/** Ends what serveForBrowser started and removes the site (for afterAll: either may be missing after a failed start). */
export async function closeForBrowser(site: ServeSite | undefined, web: WebServe | undefined): Promise<void> {
  await web?.browser.close();
  web?.serve.kill();
  await web?.serve.exited;
  await site?.cleanup();
}

/** The visible controls Tab never reached (their outerHTML, cut); empty when the keyboard reaches every one. */
export async function controlsTabMisses(page: Page): Promise<string[]> {
  const count = await page.evaluate<number>(`(() => {
    let n = 0;
    for (const el of document.querySelectorAll('button, a[href], input, select, textarea')) {
      if (el.offsetParent === null || el.disabled) continue;
      el.setAttribute('data-kb', String(n++));
    }
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    return n;
  })()`);
  const reached = new Set<string>();
  // Twice round the page at most: every control, the header's, and the skip link.
  for (let i = 0; i < count * 2 + 5 && reached.size < count; i++) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate<string | null>('document.activeElement ? document.activeElement.getAttribute("data-kb") : null');
    if (at !== null) reached.add(at);
  }
  return page.evaluate<string[]>(`(() => {
    const reached = new Set(${JSON.stringify([...reached])});
    const missed = [];
    for (const el of document.querySelectorAll('[data-kb]')) {
      if (!reached.has(el.getAttribute('data-kb'))) missed.push(el.outerHTML.slice(0, 120));
      el.removeAttribute('data-kb');
    }
    return missed;
  })()`);
}

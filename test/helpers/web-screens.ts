// Test support for a screen's browser tests: `cardline serve` on a test site with Chromium beside
// it, and their end (the keyboard's reach is keyboard-reach.ts's).
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser.ts';
import { startServe, type ServeProcess, type ServeSite } from './serve.ts';

export interface WebServe {
  readonly serve: ServeProcess;
  readonly browser: Browser;
  /** http://127.0.0.1:PORT, without the trailing slash. */
  readonly base: string;
}

export interface WebServeOptions {
  /** More environment for the server (a line's secrets). */
  readonly env?: NodeJS.ProcessEnv;
  /** Its working directory: where its KPI routes find config/site.yaml and config/lines. */
  readonly cwd?: string;
}

/** `cardline serve` on `site`, started and serving, and a Chromium. */
export async function serveForBrowser(site: ServeSite, options: WebServeOptions = {}): Promise<WebServe> {
  const serve = startServe(site, [], options.env, options.cwd);
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

// Test support for the browser screens: Debian's Chromium driven by playwright-core (nothing is
// downloaded), a page at the touch panel's 1280 × 800, a login through the real form, axe-core's
// serious and critical findings, and the marks of untranslated strings.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CARDLINE_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

/** A fresh context (no cookie, no storage) and page at the touch panel's size. */
export async function openPage(browser: Browser, options: { width?: number; height?: number } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

/** Logs in through the form at `base` and waits for the shell's header (the user's name). */
export async function loginAs(page: Page, base: string, name: string, password: string): Promise<void> {
  await page.goto(base);
  await page.locator('input[name=user]').fill(name);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form button[type=submit]').click();
  await page.locator('header.top .who', { hasText: name }).waitFor();
}

export interface AxeFinding {
  readonly id: string;
  readonly impact: string;
  readonly help: string;
  readonly targets: readonly string[];
}

let axeSource: string | undefined;

/** axe-core run inside the page: its serious and critical violations (WCAG 2.1 A and AA rules). */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol: the page's Content-Security-Policy stays on.
  if (!(await page.evaluate<boolean>('typeof window.axe === "object"'))) await page.evaluate(axeSource);
  // In-page code is a string: this program is typed for Node, not the DOM.
  return page.evaluate<AxeFinding[]>(`(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  })()`);
}

/** The ⟦key⟧ marks t() shows for a key missing from the current catalogue (text and accessible names). */
export async function missingMessages(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const found = new Set();
    const scan = (text) => { for (const m of (text ?? '').matchAll(/⟦[^⟧]*⟧/g)) found.add(m[0]); };
    scan(document.body.innerText);
    for (const el of document.querySelectorAll('[aria-label],[title],[placeholder]')) {
      scan(el.getAttribute('aria-label'));
      scan(el.getAttribute('title'));
      scan(el.getAttribute('placeholder'));
    }
    return [...found];
  })()`);
}

/** Every control a keyboard can reach and whether it has an accessible name (role and name as Chromium computes them). */
export async function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const unnamed = [];
    for (const el of document.querySelectorAll('button, a[href], input, select, textarea, [tabindex]:not([tabindex="-1"])')) {
      if (el.offsetParent === null) continue;
      const labelled = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
      const text = (el.innerText ?? '').trim();
      const label = el.labels ? el.labels.length : 0;
      if (!labelled && !text && !label) unnamed.push(el.outerHTML.slice(0, 120));
    }
    return unnamed;
  })()`);
}

export interface ScreenFindings {
  readonly axe: readonly AxeFinding[];
  readonly missing: readonly string[];
  readonly unnamed: readonly string[];
}

/** A screen with nothing to report: what `screenFindings` must equal. */
export const NO_FINDINGS: ScreenFindings = { axe: [], missing: [], unnamed: [] };

/** What every screen is checked for, as one value so that a failure shows all three: axe's serious and critical violations, untranslated strings, controls without a name. */
export async function screenFindings(page: Page): Promise<ScreenFindings> {
  return { axe: await axeViolations(page), missing: await missingMessages(page), unnamed: await unnamedControls(page) };
}

/** Chooses `lang` with the header's switch and waits until the screens are drawn in it (its button pressed, the document's lang set). */
export async function switchLanguage(page: Page, lang: 'vi' | 'en'): Promise<void> {
  await page.getByRole('button', { name: lang === 'en' ? 'English' : 'Tiếng Việt' }).click();
  await page.locator(`.lang button[lang=${lang}][aria-pressed=true]`).waitFor();
  await page.waitForFunction(`document.documentElement.lang === ${JSON.stringify(lang)}`);
}

// Test support: whether Tab alone reaches every visible control of a page's main area.
import type { Page } from 'playwright-core';

/**
 * Marks every visible control under `scope` (links, buttons, inputs, selects, summaries), presses
 * Tab from the top of the page until each has had the focus or `maxTabs` presses pass, and returns
 * the controls never reached (their outerHTML, short): [] when the keyboard reaches them all.
 */
export async function unreachableByTab(page: Page, scope = 'main', maxTabs = 400): Promise<string[]> {
  const total = await page.evaluate<number>(`(() => {
    let n = 0;
    for (const el of document.querySelectorAll(${JSON.stringify(scope)} + ' :is(a[href], button, input, select, textarea, summary)')) {
      if (el.offsetParent === null || el.disabled) continue;
      el.setAttribute('data-kb', String(n++));
    }
    document.activeElement && document.activeElement.blur && document.activeElement.blur();
    window.scrollTo(0, 0);
    return n;
  })()`);
  if (total === 0) throw new Error(`no visible control under ${scope}: nothing to reach`);
  const seen = new Set<string>();
  await page.locator('body').focus();
  for (let i = 0; i < maxTabs && seen.size < total; i++) {
    await page.keyboard.press('Tab');
    const mark = await page.evaluate<string | null>('document.activeElement ? document.activeElement.getAttribute("data-kb") : null');
    if (mark !== null) seen.add(mark);
  }
  const marked = await page.evaluate<[string, string][]>(`[...document.querySelectorAll('[data-kb]')].map((el) => [el.getAttribute('data-kb'), el.outerHTML.slice(0, 120)])`);
  return marked.filter(([mark]) => !seen.has(mark)).map(([, html]) => html);
}

// Test support for the screens' keyboard acceptance: Tab from the top of the page reaches every
// visible control (button, link, input, select) of the page.
import type { Page } from 'playwright-core';

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

/** Hash routes: `#/operator/demo-opcua` → screen 'operator', args ['demo-opcua']. */
import { signal } from '@preact/signals';

export interface Route {
  readonly screen: string;
  readonly args: readonly string[];
}

function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { screen: parts[0] ?? '', args: parts.slice(1) };
}

export const route = signal<Route>(parse(location.hash));
window.addEventListener('hashchange', () => {
  route.value = parse(location.hash);
});

export function href(screen: string, ...args: string[]): string {
  return `#/${[screen, ...args].map(encodeURIComponent).join('/')}`;
}

export function navigate(screen: string, ...args: string[]): void {
  location.hash = href(screen, ...args);
}

/**
 * Helpers for tests that drive a TagTransport against a simulated station: the PLC image as the
 * host sees it through onTags, with waits on it, and the link's up/down history.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PlcTags } from '../../src/plc/tags.ts';
import type { TagTransport } from '../../src/plc/transport.ts';

export interface Delivery {
  readonly changes: Partial<PlcTags>;
  readonly full: boolean;
  readonly at: number;
}

export interface TagWatcher {
  /** Every PLC tag as last delivered. */
  readonly image: Partial<PlcTags>;
  readonly deliveries: Delivery[];
  readonly connections: { connected: boolean; reason: string }[];
  /** Resolves with the image once `predicate` holds (checked after every delivery). */
  waitFor(predicate: (image: Partial<PlcTags>) => boolean, what: string, timeoutMs?: number): Promise<Partial<PlcTags>>;
  /** Resolves on the next connection change to `connected`. */
  waitForConnection(connected: boolean, timeoutMs?: number): Promise<string>;
  stop(): void;
}

export function watchTags(transport: TagTransport): TagWatcher {
  const image: Partial<PlcTags> = {};
  const deliveries: Delivery[] = [];
  const connections: { connected: boolean; reason: string }[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  const offTags = transport.onTags((changes, full) => {
    deliveries.push({ changes, full, at: performance.now() });
    Object.assign(image, changes);
    notify();
  });
  const offConnection = transport.onConnection((connected, reason) => {
    connections.push({ connected, reason });
    notify();
  });
  const wait = <T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const first = check();
      if (first !== undefined) {
        resolve(first);
        return;
      }
      const waiter = (): void => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; image ${JSON.stringify(image)}`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  return {
    image,
    deliveries,
    connections,
    waitFor: (predicate, what, timeoutMs = 5_000) => wait(() => (predicate(image) ? { ...image } : undefined), what, timeoutMs),
    waitForConnection: (connected, timeoutMs = 10_000) => {
      const seen = connections.length;
      return wait(
        () => connections.slice(seen).find((c) => c.connected === connected)?.reason,
        `the link to go ${connected ? 'up' : 'down'}`,
        timeoutMs,
      );
    },
    stop: () => {
      offTags();
      offConnection();
      waiters.clear();
    },
  };
}

export function tempJobDir(label: string): string {
  return mkdtempSync(path.join(tmpdir(), `cardline-modbus-${label}-`));
}

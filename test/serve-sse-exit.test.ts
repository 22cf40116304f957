/**
 * `cardline serve --demo --exit-when-done` ends after its batch even while Server-Sent Events
 * clients are connected to GET /api/v1/events (the load bench found the server waiting for them for
 * ever); the client's stream ends with the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoLogin, serveSite, startServe, type ServeSite } from './helpers/serve.ts';

let site: ServeSite;

beforeAll(async () => {
  site = await serveSite('SSE exit test', 'sse', { timeScale: 4, seed: 9, serialPrefix: 'H' });
});
afterAll(async () => {
  await site.cleanup();
});

describe('cardline serve with event-stream clients', () => {
  it('exits 0 after the demo batch with two SSE clients still connected, and their streams end', async () => {
    const serve = startServe(site, ['--demo', '--demo-count', '30', '--exit-when-done']);
    try {
      await serve.waitFor(/imported as batch/, 'the demo batch did not start');
      const base = serve.base();
      const auth = await demoLogin(site, base, 'operator');
      const streams = await Promise.all([1, 2].map(() => fetch(`${base}api/v1/events`, { headers: auth })));
      expect(streams.map((s) => s.status)).toEqual([200, 200]);
      // Read each stream to its end: it ends when the server exits (an error: the socket was closed).
      const ended = streams.map(async (s) => {
        let ids = 0;
        try {
          for await (const chunk of s.body!) ids += (Buffer.from(chunk as Uint8Array).toString('utf8').match(/^id: /gm) ?? []).length;
        } catch {
          // the server closed the connection
        }
        return ids;
      });
      expect(await serve.exited, serve.output()).toBe(0);
      expect(serve.output()).toMatch(/sse-line: 100 %/);
      const received = await Promise.all(ended);
      expect(received.every((n) => n > 0)).toBe(true);
    } finally {
      serve.kill();
    }
  }, 90_000);
});

/**
 * `cardline serve --demo --exit-when-done` ends after its batch even while Server-Sent Events
 * clients are connected to GET /api/v1/events (the load bench found the server waiting for them for
 * ever); the client's stream ends with the server. And with API requests in flight as it stops: a
 * request still waiting for the database when the store closed waited out the pool's 60 s acquire
 * timeout (the load bench's ~60 s exit), so the server lets its requests finish before the store closes.
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

  it('exits after the demo batch with API requests in flight, none of them left waiting for the closed store', async () => {
    const serve = startServe(site, ['--demo', '--demo-count', '20', '--exit-when-done']);
    try {
      await serve.waitFor(/imported as batch/, 'the demo batch did not start');
      const base = serve.base();
      const auth = await demoLogin(site, base, 'operator');
      let exited = false;
      void serve.exited.then(() => (exited = true));
      // Four clients asking for the lines back to back, until the server is gone.
      const clients = [1, 2, 3, 4].map(async () => {
        let answered = 0;
        while (!exited) {
          try {
            const r = await fetch(`${base}api/v1/lines`, { headers: auth });
            await r.arrayBuffer();
            answered += 1;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
        return answered;
      });
      expect(await serve.exited, serve.output()).toBe(0);
      expect((await Promise.all(clients)).every((n) => n > 0)).toBe(true);
      expect(serve.output()).not.toMatch(/Acquire connection error|operation timed out/);
    } finally {
      serve.kill();
    }
  }, 150_000);
});

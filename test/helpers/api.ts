// Test support (imported only by *.test.ts): the API server over a real store (the CLI's own
// composition, openContext: SQLite in a temporary data directory, the data key file), listening on
// 127.0.0.1 port 0, with real users. Their password is hashed once per file (scrypt is slow on purpose).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { hashPassword } from '../../src/auth/password.ts';
import type { Role } from '../../src/auth/roles.ts';
import { openContext, type AppContext } from '../../src/cli/context.ts';
import { openApiSession } from '../../src/http/auth/api-session.ts';
import { buildApiServer, type ApiServerOptions } from '../../src/http/server.ts';
import { UserStore } from '../../src/store/user-store.ts';

export const TEST_PASSWORD = 'correct horse battery staple 42';

export interface ApiFixture {
  readonly base: string;
  readonly app: FastifyInstance;
  readonly ctx: AppContext;
  readonly dir: string;
  readonly dataDir: string;
  /** The environment that makes `cardline` use this store (and act as `user`, when given). */
  env(user?: string): NodeJS.ProcessEnv;
  /** A fresh API session of a user, opened through the store as a login does (no scrypt per call). */
  token(user: string): Promise<string>;
  close(): Promise<void>;
}

/** A server over a fresh store, or (`given`) over the store of a site fixture, whose close is then the fixture's. */
export async function startApi(users: Readonly<Record<string, Role>>, options: Partial<ApiServerOptions> = {}, given?: { readonly ctx: AppContext; readonly dir: string }): Promise<ApiFixture> {
  const dir = given?.dir ?? (await mkdtemp(path.join(tmpdir(), 'cardline-api-')));
  const dataDir = given?.ctx.dataDir ?? path.join(dir, 'data');
  const baseEnv = { CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '', CARDLINE_DATA_KEY: undefined };
  const ctx = given?.ctx ?? (await openContext({ ...process.env, ...baseEnv }));
  const hash = await hashPassword(TEST_PASSWORD);
  const store = new UserStore(ctx.db);
  for (const [name, role] of Object.entries(users)) await store.add({ name, role, passwordHash: hash, by: 'test-setup' });
  const app = await buildApiServer({ dataDir: ctx.dataDir, db: ctx.db, keys: ctx.keys, batches: ctx.batches, checkResponses: true, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  return {
    base: `http://127.0.0.1:${address.port}`,
    app,
    ctx,
    dir,
    dataDir,
    env: (user) => ({ ...baseEnv, ...(user ? { CARDLINE_USER: user, CARDLINE_PASSWORD: TEST_PASSWORD } : {}) }),
    token: async (user) => (await openApiSession(ctx.db, { name: user, role: users[user]! }, '127.0.0.1')).token,
    async close() {
      await app.close();
      if (given) return;
      await ctx.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  /** The JSON body as an object (tests read fields of it). */
  readonly json: Record<string, unknown>;
}

export async function call(
  base: string,
  method: string,
  url: string,
  o: { token?: string; body?: unknown; raw?: { type: string; data: Uint8Array }; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body: Buffer | string | undefined;
  if (o.raw) {
    headers['content-type'] = o.raw.type;
    body = Buffer.from(o.raw.data);
  } else if (o.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.body);
  }
  const response = await fetch(base + url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const type = response.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    // A live stream never ends: its status and headers are the answer.
    await response.body?.cancel();
    return { status: response.status, headers: response.headers, body: undefined, json: {} };
  }
  const parsed: unknown = type.includes('json') ? await response.json() : Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, body: parsed, json: (type.includes('json') ? parsed : {}) as Record<string, unknown> };
}

// The API's sessions: a live session of an enabled user answers with name, role and expiry; an
// expired or closed one, or one of a disabled user, does not. Opening and closing are audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiSessionStore } from './api-session-store.ts';
import { listAudit } from './audit.ts';
import { UserStore } from './user-store.ts';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';

describe.each(BACKENDS)('API sessions on $name', (backend) => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await backend.setup();
    const users = new UserStore(fx.db);
    for (const name of ['qa-lan', 'op-minh']) await users.add({ name, role: name.startsWith('qa') ? 'qa' : 'operator', passwordHash: 'scrypt$x', by: 'test-setup' });
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('answers for a live session only, until it is closed or expires', async () => {
    const sessions = new ApiSessionStore(fx.db);
    const expiresAt = new Date(Date.now() + 3_600_000);
    await sessions.open('qa-lan', 'a'.repeat(64), expiresAt, { ip: '127.0.0.1' });
    expect(await sessions.user('a'.repeat(64))).toStrictEqual({ name: 'qa-lan', role: 'qa', expiresAt });
    expect(await sessions.user('b'.repeat(64))).toBeUndefined();
    expect(await sessions.user('a'.repeat(64), new Date(expiresAt.getTime() + 1))).toBeUndefined();
    expect(await sessions.close('a'.repeat(64))).toBe('qa-lan');
    expect(await sessions.user('a'.repeat(64))).toBeUndefined();
    expect(await sessions.close('a'.repeat(64))).toBeUndefined();
    expect((await listAudit(fx.db, { subjectId: 'qa-lan' })).map((a) => [a.action, a.details?.via])).toStrictEqual([
      ['user.add', undefined],
      ['user.login', 'api'],
      ['user.logout', 'api'],
    ]);
  });

  it("ends a disabled user's sessions", async () => {
    const sessions = new ApiSessionStore(fx.db);
    await sessions.open('op-minh', 'c'.repeat(64), new Date(Date.now() + 3_600_000), { ip: '127.0.0.1' });
    expect((await sessions.user('c'.repeat(64)))?.name).toBe('op-minh');
    await new UserStore(fx.db).disable('op-minh', 'admin-1');
    expect(await sessions.user('c'.repeat(64))).toBeUndefined();
    expect(Number((await fx.db('api_sessions').where({ user_name: 'op-minh' }).count({ n: '*' }).first())?.n)).toBe(0);
  });
});

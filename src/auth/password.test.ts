// Password hashing: scrypt with the parameters stored in the hash, salted, verified in constant time.
import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, newOneTimePassword, verifyPassword } from './password.ts';

describe('password hashes', () => {
  it('verifies the password it hashed, and nothing else', async () => {
    const hash = await hashPassword('Mật khẩu đúng 42');
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(await verifyPassword('Mật khẩu đúng 42', hash)).toBe(true);
    expect(await verifyPassword('Mật khẩu đúng 43', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    // The same text in decomposed Unicode (NFD, as some keyboards send it) is the same password.
    expect(await verifyPassword('Mật khẩu đúng 42'.normalize('NFD'), hash)).toBe(true);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
  });

  it('refuses stored values it did not write, and parameters beyond its limits', async () => {
    const hash = await hashPassword('pw');
    const parts = hash.split('$');
    for (const stored of [
      '',
      'plain-text-password',
      `argon2id$${parts.slice(1).join('$')}`,
      ['scrypt', '1048577', ...parts.slice(2)].join('$'),
      ['scrypt', '0', ...parts.slice(2)].join('$'),
      [...parts.slice(0, 5), Buffer.alloc(16).toString('base64')].join('$'),
    ]) {
      expect({ stored, ok: await verifyPassword('pw', stored) }).toStrictEqual({ stored, ok: false });
    }
    // Lower parameters still verify (they are read from the hash): the hash, not the code, decides.
    expect(await verifyPassword('pw', hash.replace('$131072$', '$16384$'))).toBe(false);
  });

  it('verifies with the parameters stored in the hash, as any scrypt of that format wrote them', async () => {
    // The CLI tests' users carry such cheaper hashes (test/helpers/cli.ts, testPasswordHash).
    const salt = randomBytes(16);
    const key = scryptSync('Mật khẩu'.normalize('NFC'), salt, 32, { N: 1024, r: 8, p: 1 });
    const stored = `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyPassword('Mật khẩu', stored)).toBe(true);
    expect(await verifyPassword('Mật khẩu!', stored)).toBe(false);
    expect(await verifyPassword('Mật khẩu', stored.replace('scrypt$1024$8$', 'scrypt$1024$4$'))).toBe(false);
  });

  it('one-time passwords: 20 characters without look-alikes, all different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = newOneTimePassword();
      expect(p).toMatch(/^[a-km-np-zA-HJ-NP-Z2-9]{20}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
  });

  it('hashes asked for together run one after the other and each gets its own answer; a failed one does not stop the next', async () => {
    const salt = randomBytes(16);
    const stored = (pw: string, n = 1024): string => `scrypt$${n}$8$1$${salt.toString('base64')}$${scryptSync(pw, salt, 32, { N: n, r: 8, p: 1 }).toString('base64')}`;
    // N must be a power of two: scrypt refuses 1000.
    const refused = `scrypt$1000$8$1$${salt.toString('base64')}$${Buffer.alloc(32).toString('base64')}`;
    const answers = await Promise.allSettled([verifyPassword('a', stored('a')), verifyPassword('b', stored('x')), verifyPassword('c', refused), verifyPassword('d', stored('d'))]);
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : 'refused'))).toStrictEqual([true, false, 'refused', true]);
  });
});

// scrypt in a child process: the same key as node:crypto's scrypt in this process, the child's
// error named when it refuses the parameters.
import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ScryptProcessError, scryptInChildProcess } from './scrypt-process.ts';

const params = { N: 1024, r: 8, p: 1, maxmem: 256 * 1024 * 8 };

describe('scryptInChildProcess', () => {
  it('derives the key scrypt derives here, for any password text', async () => {
    const salt = randomBytes(16);
    for (const password of ['Mật khẩu đúng 42', '', '"\\\n{}$', 'x'.repeat(5000)]) {
      expect({ password, key: (await scryptInChildProcess(password, salt, 32, params)).toString('hex') }).toStrictEqual({
        password,
        key: scryptSync(password, salt, 32, params).toString('hex'),
      });
    }
  });

  it('rejects with the reason when scrypt refuses the parameters', async () => {
    const error = await scryptInChildProcess('never-in-messages-7', randomBytes(16), 32, { ...params, N: 1000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ScryptProcessError);
    expect((error as Error).message).toMatch(/^password hashing: Invalid scrypt param/);
    expect((error as Error).message).not.toContain('never-in-messages-7');
  });
});

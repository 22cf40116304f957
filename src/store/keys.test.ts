import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataKeyFile, DecryptError, deriveDataKeys, loadDataKeys, openStoreSecrets, sealStoreSecrets, withStoreSecretsOf } from './keys.ts';
import { TEST_KEY, tempDataDir } from '../../test/helpers/store-backends.ts';

const HEX = TEST_KEY.toString('hex');

let dataDir: string;
beforeEach(async () => {
  dataDir = await tempDataDir();
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('loadDataKeys: where the key comes from', () => {
  it('reads CARDLINE_DATA_KEY as 64 hex characters and writes no key file', async () => {
    const keys = await loadDataKeys(dataDir, { CARDLINE_DATA_KEY: HEX });
    expect(keys.keyId).toBe(deriveDataKeys(TEST_KEY).keyId);
    expect(keys.keyId).toMatch(/^[0-9a-f]{8}$/);
    await expect(stat(dataKeyFile(dataDir))).rejects.toThrow(/ENOENT/);
  });

  it('reads CARDLINE_DATA_KEY as base64 (standard and URL-safe, with a trailing newline)', async () => {
    const expected = deriveDataKeys(TEST_KEY).keyId;
    for (const value of [TEST_KEY.toString('base64'), `${TEST_KEY.toString('base64url')}\n`]) {
      expect((await loadDataKeys(dataDir, { CARDLINE_DATA_KEY: value })).keyId).toBe(expected);
    }
  });

  it('creates the key file 0600 in a 0700 directory on first use, then reuses it', async () => {
    const first = await loadDataKeys(dataDir, {});
    const file = dataKeyFile(dataDir);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    const content = await readFile(file, 'utf8');
    expect(content).toMatch(/^[0-9a-f]{64}\n$/);
    expect(await readdir(path.dirname(file))).toStrictEqual(['data.key']); // no temporary left behind

    const again = await loadDataKeys(dataDir, {});
    expect(again.keyId).toBe(first.keyId);
    expect(again.decrypt(first.encrypt(Buffer.from('x'), 'a'), 'a').toString()).toBe('x');
    // The file holds what CARDLINE_DATA_KEY takes, so a key can move to a secret store as is.
    expect((await loadDataKeys(dataDir, { CARDLINE_DATA_KEY: content })).keyId).toBe(first.keyId);
  });

  it('creates one key when several processes start at once', async () => {
    const loaded = await Promise.all(Array.from({ length: 8 }, () => loadDataKeys(dataDir, {})));
    expect(new Set(loaded.map((k) => k.keyId)).size).toBe(1);
  });

  it('prefers CARDLINE_DATA_KEY over an existing key file', async () => {
    const fromFile = await loadDataKeys(dataDir, {});
    const fromEnv = await loadDataKeys(dataDir, { CARDLINE_DATA_KEY: HEX });
    expect(fromEnv.keyId).not.toBe(fromFile.keyId);
  });
});

describe('loadDataKeys: bad keys are refused with a clear error', () => {
  it.each([
    ['too short hex', HEX.slice(2)],
    ['not hex or base64', 'correct horse battery staple'],
    ['base64 of 31 bytes', randomBytes(31).toString('base64')],
    ['empty', ''],
  ])('CARDLINE_DATA_KEY %s', async (_what, value) => {
    const error = await loadDataKeys(dataDir, { CARDLINE_DATA_KEY: value }).catch((err: unknown) => err as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^CARDLINE_DATA_KEY .*64 hex characters or the base64 encoding of 32 bytes/);
    if (value !== '') expect((error as Error).message).not.toContain(value); // never echo a secret
  });

  it('a key file of the wrong length names the file', async () => {
    const file = dataKeyFile(dataDir);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, HEX.slice(0, 40));
    await expect(loadDataKeys(dataDir, {})).rejects.toThrow(`the data key file ${file} is 40 bytes`);
    // And it is not replaced by a fresh key, which would orphan everything encrypted so far.
    expect(await readFile(file, 'utf8')).toBe(HEX.slice(0, 40));
  });
});

describe('DataKeys', () => {
  const keys = deriveDataKeys(TEST_KEY);
  const other = deriveDataKeys(randomBytes(32));
  const plain = Buffer.from('{"name":"NGUYỄN VĂN A"}', 'utf8');
  const aad = 'record:20261127-3f9a1c:1';

  it('round-trips, with a fresh IV each time', () => {
    const a = keys.encrypt(plain, aad);
    const b = keys.encrypt(plain, aad);
    expect(a.equals(b)).toBe(false);
    expect(a[0]).toBe(1);
    expect(a.length).toBe(1 + 12 + 16 + plain.length);
    expect(keys.decrypt(a, aad).equals(plain)).toBe(true);
    expect(keys.decrypt(keys.encrypt(Buffer.alloc(0), aad), aad).length).toBe(0);
  });

  it.each([
    ['the IV', 1],
    ['the tag', 13],
    ['the ciphertext', 29],
  ])('refuses a blob with a flipped bit in %s', (_where, offset) => {
    const blob = keys.encrypt(plain, aad);
    blob[offset] = (blob[offset] ?? 0) ^ 0x01;
    expect(() => keys.decrypt(blob, aad)).toThrow(`cannot decrypt ${aad}: authentication failed`);
  });

  it('refuses the wrong AAD (a value moved to another row)', () => {
    const blob = keys.encrypt(plain, aad);
    expect(() => keys.decrypt(blob, 'record:20261127-3f9a1c:2')).toThrow(/authentication failed/);
  });

  it('refuses the wrong key, naming the key in use', () => {
    const blob = keys.encrypt(plain, aad);
    expect(() => other.decrypt(blob, aad)).toThrow(`authentication failed with data key ${other.keyId}`);
  });

  it('refuses an unknown format version and a truncated blob', () => {
    const blob = keys.encrypt(plain, aad);
    blob[0] = 2;
    expect(() => keys.decrypt(blob, aad)).toThrow(/unknown encryption format version 2/);
    expect(() => keys.decrypt(blob.subarray(0, 20), aad)).toThrow(/is 20 bytes, shorter than the 29-byte header/);
  });

  it('pidHash is a keyed, deterministic hex HMAC', () => {
    expect(keys.pidHash('001099012345')).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.pidHash('001099012345')).toBe(keys.pidHash('001099012345'));
    expect(keys.pidHash('001099012345')).not.toBe(keys.pidHash('001099012346'));
    expect(other.pidHash('001099012345')).not.toBe(keys.pidHash('001099012345'));
  });

  it('keyId, the HMAC key and the encryption key are independent derivations', () => {
    // keyId is public: it must not be a prefix of anything secret or of the raw key.
    expect(HEX.startsWith(keys.keyId)).toBe(false);
    expect(keys.pidHash('').startsWith(keys.keyId)).toBe(false);
  });

  it('does not expose key material when logged or serialized', () => {
    const shown = `${inspect(keys, { showHidden: true, depth: 5 })}${JSON.stringify(keys)}`;
    expect(shown).not.toContain(HEX);
    expect(shown).not.toMatch(/[0-9a-f]{64}/);
  });
});

describe("the store's secrets: sealed under the data key, kept across a rotation", () => {
  const a = deriveDataKeys(TEST_KEY);
  const b = deriveDataKeys(randomBytes(32));

  it('open only under the key they were sealed with and the same AAD', () => {
    const sealed = sealStoreSecrets(a, 'store-secrets:v1');
    const opened = openStoreSecrets(a, sealed, 'store-secrets:v1');
    expect([opened.keyId, opened.pidHash('001099012345'), opened.auditMac('row')]).toStrictEqual([a.keyId, a.pidHash('001099012345'), a.auditMac('row')]);
    expect(() => openStoreSecrets(b, sealed, 'store-secrets:v1')).toThrow(DecryptError);
    expect(() => openStoreSecrets(a, sealed, 'store-secrets:v2')).toThrow(DecryptError);
  });

  it('a rotated key encrypts under the new key but hashes PIDs and audit rows as before', () => {
    const rotated = withStoreSecretsOf(b, a);
    expect(rotated.keyId).toBe(b.keyId);
    expect(rotated.pidHash('001099012345')).toBe(a.pidHash('001099012345'));
    expect(rotated.auditMac('row')).toBe(a.auditMac('row'));
    expect(b.pidHash('001099012345')).not.toBe(a.pidHash('001099012345'));
    const blob = rotated.encrypt(Buffer.from('x'), 'record:B:1');
    expect(b.decrypt(blob, 'record:B:1').toString()).toBe('x');
    expect(() => a.decrypt(blob, 'record:B:1')).toThrow(DecryptError);
    // Re-sealed under the new key, the secrets open with it alone.
    const resealed = sealStoreSecrets(rotated, 'store-secrets:v2');
    expect(openStoreSecrets(b, resealed, 'store-secrets:v2').pidHash('001099012345')).toBe(a.pidHash('001099012345'));
  });
});

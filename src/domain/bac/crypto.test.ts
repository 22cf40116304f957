/**
 * The kept-open CBC ciphers of crypto.ts against a cipher made fresh for every message: any
 * interleaving of keys, IVs, encryptions, decryptions and MACs gives the same bytes.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pad, retailMac, tdesDecrypt, tdesEncrypt } from './crypto.ts';

const oneShot = (decrypt: boolean, key: Buffer, data: Buffer, iv: Buffer): Buffer => {
  const c = decrypt ? createDecipheriv('des-ede-cbc', key, iv) : createCipheriv('des-ede-cbc', key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
};

/** MAC algorithm 3 written out: single DES CBC with Ka, then D_Kb and E_Ka on the last block. */
function referenceMac(key: Buffer, data: Buffer): Buffer {
  const ka = key.subarray(0, 8);
  const padded = pad(data);
  const cbc = oneShot(false, Buffer.concat([ka, ka]), padded, Buffer.alloc(8));
  const h = cbc.subarray(cbc.length - 8);
  const kbOnly = Buffer.concat([key.subarray(8, 16), key.subarray(8, 16)]);
  const d = createDecipheriv('des-ede-ecb', kbOnly, null).setAutoPadding(false).update(h);
  return createCipheriv('des-ede-ecb', Buffer.concat([ka, ka]), null).setAutoPadding(false).update(d);
}

const bytes = (n: number): fc.Arbitrary<Buffer> => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a));
const blocks = fc.integer({ min: 1, max: 12 }).chain((n) => bytes(8 * n));
const op = fc.record({ kind: fc.constantFrom('enc', 'dec', 'mac'), key: fc.integer({ min: 0, max: 2 }), data: blocks, iv: bytes(8) });

describe('kept-open ciphers', () => {
  it('match fresh ciphers whatever the order of operations, keys and IVs', () => {
    fc.assert(
      fc.property(fc.array(bytes(16), { minLength: 3, maxLength: 3 }), fc.array(op, { maxLength: 20 }), (keys, ops) => {
        for (const o of ops) {
          const key = keys[o.key]!;
          if (o.kind === 'enc') expect(tdesEncrypt(key, o.data, o.iv)).toStrictEqual(oneShot(false, key, o.data, o.iv));
          if (o.kind === 'dec') expect(tdesDecrypt(key, o.data, o.iv)).toStrictEqual(oneShot(true, key, o.data, o.iv));
          if (o.kind === 'mac') expect(retailMac(key, o.data)).toStrictEqual(referenceMac(key, o.data));
        }
      }),
    );
  });

  it('notice a key buffer whose bytes changed', () => {
    const key = Buffer.alloc(16, 0x11);
    const data = Buffer.alloc(16, 0x22);
    const before = tdesEncrypt(key, data);
    const macBefore = retailMac(key, data);
    key.fill(0x33);
    expect(tdesEncrypt(key, data)).toStrictEqual(oneShot(false, key, data, Buffer.alloc(8)));
    expect(tdesEncrypt(key, data)).not.toStrictEqual(before);
    expect(retailMac(key, data)).toStrictEqual(referenceMac(key, data));
    expect(retailMac(key, data)).not.toStrictEqual(macBefore);
  });
});

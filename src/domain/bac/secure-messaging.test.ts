/**
 * Secure messaging and mutual authentication as properties: whatever the keys, counters,
 * commands and responses, the two sides understand each other, and a tampered byte, a wrong
 * MAC or a counter out of step is refused. The fixed values are in appendix-d.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCommand, type CommandApdu } from './apdu.ts';
import { adjustParity, pad, unpad } from './crypto.ts';
import { chipAuthenticate, terminalAuthenticate, terminalFinish } from './mutual-auth.ts';
import { protectCommand, protectResponse, SmSession, unprotectCommand, unprotectResponse } from './secure-messaging.ts';

const bytes = (n: number): fc.Arbitrary<Buffer> => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a));
const keys = fc.record({ ksEnc: bytes(16), ksMac: bytes(16) });
const ssc = bytes(8);
const command: fc.Arbitrary<CommandApdu> = fc
  .record({
    ins: fc.integer({ min: 0, max: 255 }),
    p1: fc.integer({ min: 0, max: 255 }),
    p2: fc.integer({ min: 0, max: 255 }),
    data: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)), { nil: undefined }),
    le: fc.option(fc.oneof(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 257, max: 65536 })), { nil: undefined }),
  })
  .map(({ ins, p1, p2, data, le }) => ({ cla: 0x00, ins, p1, p2, ...(data ? { data } : {}), ...(le !== undefined ? { le } : {}) }));
// fc.record builds objects without a prototype; toStrictEqual wants plain ones.
const response = fc
  .record({ data: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), sw: fc.integer({ min: 0x6000, max: 0x9fff }) })
  .map(({ data, sw }) => ({ data, sw }));

function plusOne(b: Buffer, by = 1n): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE((b.readBigUInt64BE(0) + by) % (1n << 64n));
  return out;
}

function flipBit(b: Buffer, at: number, bit: number): Buffer {
  const out = Buffer.from(b);
  out[at] = out[at]! ^ (1 << bit);
  return out;
}

describe('padding and parity', () => {
  it('padding method 2 always adds 80 00…, to a whole block, and comes off again', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (a) => {
        const data = Buffer.from(a);
        const padded = pad(data);
        expect(padded.length % 8).toBe(0);
        expect(padded.length).toBeGreaterThan(data.length);
        expect(padded[data.length]).toBe(0x80);
        expect(unpad(padded)).toStrictEqual(data);
      }),
    );
    expect(unpad(Buffer.from('0102030400000000', 'hex'))).toBeUndefined();
  });

  it('every key byte gets odd parity, the other seven bits untouched', () => {
    fc.assert(
      fc.property(bytes(16), (key) => {
        const adjusted = adjustParity(key);
        for (let i = 0; i < 16; i++) {
          expect(adjusted[i]! & 0xfe).toBe(key[i]! & 0xfe);
          expect(adjusted[i]!.toString(2).split('1').length % 2).toBe(0); // odd number of ones
        }
      }),
    );
  });
});

describe('command protection', () => {
  it('the chip gets back exactly the command the terminal protected', () => {
    fc.assert(
      fc.property(keys, ssc, command, (k, s, c) => {
        const p = protectCommand(k, s, c);
        expect(unprotectCommand(k, s, p.apdu)).toStrictEqual({ ok: true, value: c });
      }),
    );
  });

  it('a flipped bit anywhere the MAC covers (header, Lc, data objects, the MAC itself) is refused', () => {
    fc.assert(
      fc.property(keys, ssc, command, fc.nat(), fc.integer({ min: 0, max: 7 }), (k, s, c, where, bit) => {
        const apdu = protectCommand(k, s, c).apdu;
        // The trailing Le field (00, or 0000 in extended form) is outside the MAC, as in ISO/IEC 7816-4.
        const leLength = apdu[4] === 0 ? 2 : 1;
        const at = where % (apdu.length - leLength);
        expect(unprotectCommand(k, s, flipBit(apdu, at, bit)).ok).toBe(false);
      }),
    );
  });

  it('a counter out of step is refused', () => {
    fc.assert(
      fc.property(keys, ssc, command, fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), (k, s, c, by) => {
        const apdu = protectCommand(k, s, c).apdu;
        expect(unprotectCommand(k, plusOne(s, by), apdu).ok).toBe(false);
      }),
    );
  });

  it('another session key is refused', () => {
    fc.assert(
      fc.property(keys, keys, ssc, command, (k, other, s, c) => {
        fc.pre(!k.ksMac.equals(other.ksMac));
        expect(unprotectCommand({ ksEnc: k.ksEnc, ksMac: other.ksMac }, s, protectCommand(k, s, c).apdu).ok).toBe(false);
      }),
    );
  });

  it('a plain command is not taken for a protected one', () => {
    const keys0 = { ksEnc: Buffer.alloc(16, 1), ksMac: Buffer.alloc(16, 2) };
    expect(unprotectCommand(keys0, Buffer.alloc(8), encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 }))).toStrictEqual({
      ok: false,
      reason: 'the command is not protected (CLA without the SM bits)',
    });
  });
});

describe('response protection', () => {
  it('the terminal gets back exactly the response the chip protected', () => {
    fc.assert(
      fc.property(keys, ssc, response, (k, s, r) => {
        const out = unprotectResponse(k, s, protectResponse(k, s, r).rapdu);
        expect(out.ok && out.value.response).toStrictEqual(r);
      }),
    );
  });

  it('a flipped bit in the data objects or the MAC is refused; so is a counter out of step', () => {
    fc.assert(
      fc.property(keys, ssc, response, fc.nat(), fc.integer({ min: 0, max: 7 }), (k, s, r, where, bit) => {
        const rapdu = protectResponse(k, s, r).rapdu;
        const at = where % (rapdu.length - 2);
        expect(unprotectResponse(k, s, flipBit(rapdu, at, bit)).ok).toBe(false);
        expect(unprotectResponse(k, plusOne(s), rapdu).ok).toBe(false);
      }),
    );
  });

  it('a bare status word (the chip dropped secure messaging) is refused with the status', () => {
    expect(unprotectResponse({ ksEnc: Buffer.alloc(16), ksMac: Buffer.alloc(16) }, Buffer.alloc(8), Buffer.from('6988', 'hex'))).toStrictEqual({
      ok: false,
      reason: 'the chip answered 6988 without secure messaging',
    });
  });
});

describe('SmSession', () => {
  it('terminal and chip counters move in step: +1 per command, +1 per response', () => {
    fc.assert(
      fc.property(keys, ssc, fc.array(fc.tuple(command, response), { minLength: 1, maxLength: 5 }), (k, s, exchanges) => {
        const terminal = new SmSession(k, s);
        const chip = new SmSession(k, s);
        for (const [c, r] of exchanges) {
          const inner = chip.unprotectCommand(terminal.protectCommand(c));
          expect(inner).toStrictEqual({ ok: true, value: c });
          expect(terminal.unprotectResponse(chip.protectResponse(r))).toStrictEqual({ ok: true, value: r });
        }
        expect(terminal.ssc).toStrictEqual(plusOne(s, BigInt(2 * exchanges.length)));
        expect(chip.ssc).toStrictEqual(terminal.ssc);
      }),
    );
  });

  it('a replayed command is refused (its counter is spent)', () => {
    const k = { ksEnc: Buffer.alloc(16, 3), ksMac: Buffer.alloc(16, 4) };
    const terminal = new SmSession(k, Buffer.alloc(8));
    const chip = new SmSession(k, Buffer.alloc(8));
    const apdu = terminal.protectCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 });
    expect(chip.unprotectCommand(apdu).ok).toBe(true);
    chip.protectResponse({ data: Buffer.alloc(4), sw: 0x9000 });
    expect(chip.unprotectCommand(apdu)).toStrictEqual({ ok: false, reason: "the command MAC (DO'8E') does not verify" });
  });
});

describe('mutual authentication', () => {
  const docKeys = fc.record({ kEnc: bytes(16).map(adjustParity), kMac: bytes(16).map(adjustParity) });

  it('with the same document keys both sides end up with the same session', () => {
    fc.assert(
      fc.property(docKeys, bytes(8), bytes(8), bytes(16), bytes(16), (k, rndIc, rndIfd, kIfd, kIc) => {
        const t = terminalAuthenticate(k, rndIc, rndIfd, kIfd);
        const chip = chipAuthenticate(k, rndIc, kIc, t.cmdData);
        if (!chip.ok) throw new Error(chip.reason);
        const done = terminalFinish(k, rndIc, rndIfd, kIfd, chip.value.respData);
        expect(done.ok && done.value.session).toStrictEqual(chip.value.session);
      }),
    );
  });

  it('keys from another MRZ, or an answer to another challenge, are refused', () => {
    fc.assert(
      fc.property(docKeys, docKeys, bytes(8), bytes(8), bytes(16), bytes(16), (k, other, rndIc, rndIfd, kIfd, kIc) => {
        fc.pre(!k.kMac.equals(other.kMac) && !k.kEnc.equals(other.kEnc));
        const t = terminalAuthenticate(other, rndIc, rndIfd, kIfd);
        expect(chipAuthenticate(k, rndIc, kIc, t.cmdData)).toStrictEqual({ ok: false, reason: 'M_IFD does not verify' });
        // Right MAC key, wrong encryption key: the decrypted challenge does not match.
        const half = terminalAuthenticate({ kEnc: other.kEnc, kMac: k.kMac }, rndIc, rndIfd, kIfd);
        expect(chipAuthenticate(k, rndIc, kIc, half.cmdData)).toStrictEqual({ ok: false, reason: 'the decrypted RND.IC is not the challenge' });
        const stale = terminalAuthenticate(k, Buffer.from(rndIc).fill(rndIc[0]! ^ 0xff, 0, 1), rndIfd, kIfd);
        expect(chipAuthenticate(k, rndIc, kIc, stale.cmdData).ok).toBe(false);
      }),
    );
  });
});

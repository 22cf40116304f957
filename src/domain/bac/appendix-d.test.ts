/**
 * ICAO Doc 9303 Part 11, Appendix D ("Worked example: Basic Access Control"), step by step:
 * D.1/D.2 the document basic access keys, D.3 mutual authentication and the session keys,
 * D.4 secure messaging (the protected SELECT of EF.COM and two protected READ BINARYs).
 *
 * The ICAO document itself is not in the reference corpus; every value below is the Appendix's
 * as quoted by open-source test suites that embed it (each source names the Appendix):
 *
 * - [gmrtd]   gmrtd/gmrtd bac/bac_test.go @2d1a2de0 (quotes the D.2/D.3 text; TestDoBAC holds the APDUs)
 * - [gmrtdSM] gmrtd/gmrtd iso7816/secure_messaging_test.go @0cd65dc7
 * - [zienit]  zienit/icao-examples src/test/java/nl/zienit/icao_examples/BACTest.java @7999d53f
 * - [zienitSM] zienit/icao-examples src/test/java/nl/zienit/icao_examples/SMTest.java @2027acfc
 * - [dmrtd]   ZeroPass/dmrtd test/bac_test.dart @2ae2cfb8
 * - [dmrtdSM] ZeroPass/dmrtd test/sm_test.dart @2ae2cfb8 (every D.4 intermediate)
 * - [dmrtdKDF] ZeroPass/dmrtd test/kdf_test.dart @2ae2cfb8
 * - [mrtdnet] giokoguashvili/MRTD.NET DemoApp/Tests/Cryptography/SHA1Tests.cs @83021333
 * - [persosim] PersoSim/de.persosim.simulator de.persosim.simulator.test/src/de/persosim/simulator/crypto/KeyDerivationFunctionTest.java @02d7b52b
 * - [idapp]   Trust-Anchor-Group/IdApp IdApp.Test/BacTests.cs @29f18928
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeCommand, externalAuthenticate, getChallenge, readBinary, selectFile, type CommandApdu } from './apdu.ts';
import { BacChip } from './chip.ts';
import { adjustParity, kdf, retailMac, tdesDecrypt, tdesEncrypt } from './crypto.ts';
import { documentKeys, initialSsc, keySeed, sessionKeys } from './keys.ts';
import { mrzInformation, mrzInformationFromTd1 } from './mrz-information.ts';
import { chipAuthenticate, terminalAuthenticate, terminalFinish } from './mutual-auth.ts';
import { protectCommand, protectResponse, unprotectCommand, unprotectResponse } from './secure-messaging.ts';
import { BacTerminal } from './terminal.ts';

/** Hex with optional spaces (as the Appendix prints long values in groups). */
const h = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const hex = (b: Buffer): string => b.toString('hex').toUpperCase();

// D.2 inputs: the Appendix's TD1 MRZ ([dmrtd], with the composite check digit corrected to 2).
const TD1 = ['I<UTOL898902C<3<<<<<<<<<<<<<<<', '6908061F9406236UTO<<<<<<<<<<<2', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];
const MRZ_INFORMATION = 'L898902C<369080619406236'; // [gmrtd], [idapp], [zienit]
const K_SEED = '239AB9CB282DAF66231DC5A4DF6BFBAE'; // [gmrtd], [zienit], [dmrtd]
const K_ENC = 'AB94FDECF2674FDFB9B391F85D7F76F2'; // [gmrtd], [zienit], [dmrtdKDF]
const K_MAC = '7962D9ECE03D1ACD4C76089DCE131543'; // [gmrtd], [zienit], [dmrtdKDF]
// D.3 randoms: [gmrtd], [zienit], [dmrtd]
const RND_IC = '4608F91988702212';
const RND_IFD = '781723860C06C226';
const K_IFD = '0B795240CB7049B01C19B33E32804F0B';
const K_IC = '0B4F80323EB3191CB04970CB4052790B';
const KEYS = { kEnc: h(K_ENC), kMac: h(K_MAC) };
const SESSION = { ksEnc: h('979EC13B1CBFE9DCD01AB0FED307EAE5'), ksMac: h('F1CB1F1FB5ADF208806B89DC579DC1F8') }; // [gmrtd], [zienit], [dmrtd], [dmrtdKDF]

/** A random source that hands out the given values in order (RND.IFD then K.IFD; RND.IC then K.IC). */
function scripted(...values: string[]): (size: number) => Buffer {
  const queue = values.map(h);
  return (size) => {
    const next = queue.shift();
    if (!next || next.length !== size) throw new Error(`scripted random: asked for ${size} bytes, had ${next ? hex(next) : 'nothing'}`);
    return next;
  };
}

describe('D.1 / D.2: the document basic access keys from the MRZ', () => {
  it('MRZ_information from the TD1 MRZ: L898902C< 3 690806 1 940623 6', () => {
    const info = mrzInformationFromTd1(TD1);
    expect(info).toStrictEqual({
      ok: true,
      mrzInformation: MRZ_INFORMATION,
      fields: { documentNumber: 'L898902C<', documentNumberCheckDigit: '3', birthDate: '690806', birthDateCheckDigit: '1', expiryDate: '940623', expiryDateCheckDigit: '6' },
    });
    // The issuer's side: the same from the three fields, check digits computed.
    expect(mrzInformation('L898902C', '690806', '940623')).toBe(MRZ_INFORMATION);
  });

  it('SHA-1(MRZ_information) and K_seed, its first 16 bytes', () => {
    expect(hex(createHash('sha1').update(MRZ_INFORMATION).digest())).toBe('239AB9CB282DAF66231DC5A4DF6BFBAEDF477565'); // [gmrtd], [mrtdnet]
    expect(hex(keySeed(MRZ_INFORMATION))).toBe(K_SEED);
  });

  it.each([
    // D, SHA-1(D) [mrtdnet]; Ka ‖ Kb before parity [persosim]; the key after parity adjustment
    ['K_enc', 1, '239AB9CB282DAF66231DC5A4DF6BFBAE00000001', 'AB94FCEDF2664EDFB9B291F85D7F77F27F2F4A9D', 'AB94FCEDF2664EDFB9B291F85D7F77F2', K_ENC],
    ['K_mac', 2, '239AB9CB282DAF66231DC5A4DF6BFBAE00000002', '7862D9ECE03C1BCD4D77089DCF131442814EA70A', '7862D9ECE03C1BCD4D77089DCF131442', K_MAC],
  ] as const)('%s: D = K_seed ‖ c, SHA-1(D), Ka ‖ Kb, parity adjusted', (_name, counter, d, sha1OfD, kaKb, key) => {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    expect(hex(Buffer.concat([h(K_SEED), counterBytes]))).toBe(d);
    const hash = createHash('sha1').update(h(d)).digest();
    expect(hex(hash)).toBe(sha1OfD);
    expect(hex(hash.subarray(0, 16))).toBe(kaKb);
    expect(hex(adjustParity(hash.subarray(0, 16)))).toBe(key);
    expect(hex(kdf(h(K_SEED), counter))).toBe(key);
  });

  it('documentKeys(MRZ_information) gives K_enc and K_mac', () => {
    expect(documentKeys(MRZ_INFORMATION)).toStrictEqual(KEYS);
  });

  it('the long-document-number rule of TD1: D23145890734, check digit 9 ([idapp], K_seed [dmrtd])', () => {
    const longNumber = ['I<UTOD23145890<7349<<<<<<<<<<<', '3407127M9507122UTO<<<<<<<<<<<2', 'STEVENSON<<PETER<JOHN<<<<<<<<<'];
    const info = mrzInformationFromTd1(longNumber);
    expect(info.ok && info.mrzInformation).toBe('D23145890734934071279507122');
    expect(info.ok && info.fields.documentNumber).toBe('D23145890734');
    expect(hex(keySeed('D23145890734934071279507122'))).toBe('B366AD857DDCA2B08C0E299811714730');
    expect(mrzInformation('D23145890734', '340712', '950712')).toBe('D23145890734934071279507122');
  });
});

describe('D.3: authentication and establishment of session keys', () => {
  it('GET CHALLENGE: 00 84 00 00 08, RND.IC back ([gmrtd] TestDoBAC)', () => {
    expect(hex(encodeCommand(getChallenge()))).toBe('0084000008');
  });

  it('the terminal: S, E_IFD, M_IFD, the EXTERNAL AUTHENTICATE data and command', () => {
    const t = terminalAuthenticate(KEYS, h(RND_IC), h(RND_IFD), h(K_IFD));
    expect(hex(t.s)).toBe('781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B'); // [gmrtd], [zienit], [dmrtd]
    expect(hex(t.eIfd)).toBe('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2'); // [gmrtd], [zienit], [dmrtd]
    expect(hex(t.mIfd)).toBe('5F1448EEA8AD90A7'); // [gmrtd], [zienit], [dmrtd]
    expect(hex(t.cmdData)).toBe('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7');
    // [gmrtd] TestDoBAC: the command APDU as sent.
    expect(hex(encodeCommand(externalAuthenticate(t.cmdData)))).toBe('008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728');
  });

  it('the chip: checks M_IFD and RND.IC, then R, E_IC, M_IC and the response data', () => {
    const eIfd = h('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2');
    expect(hex(retailMac(KEYS.kMac, eIfd))).toBe('5F1448EEA8AD90A7');
    expect(hex(tdesDecrypt(KEYS.kEnc, eIfd))).toBe('781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B');
    const answer = chipAuthenticate(KEYS, h(RND_IC), h(K_IC), h('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7'));
    if (!answer.ok) throw new Error(answer.reason);
    expect(hex(answer.value.r)).toBe('4608F91988702212781723860C06C2260B4F80323EB3191CB04970CB4052790B'); // [zienit], [dmrtd]
    expect(hex(answer.value.eIc)).toBe('46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F'); // [zienit], [dmrtd]
    expect(hex(answer.value.mIc)).toBe('2F2D235D074D7449'); // [zienit], [dmrtd]
    expect(hex(answer.value.respData)).toBe('46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449'); // [gmrtd], [zienit], [dmrtd]
  });

  it('the terminal: checks M_IC, decrypts R, checks RND.IFD, takes K.IC; both sides get the same session', () => {
    const respData = h('46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449');
    const done = terminalFinish(KEYS, h(RND_IC), h(RND_IFD), h(K_IFD), respData);
    if (!done.ok) throw new Error(done.reason);
    expect(hex(done.value.r)).toBe('4608F91988702212781723860C06C2260B4F80323EB3191CB04970CB4052790B');
    expect(hex(done.value.kIc)).toBe(K_IC); // [gmrtd] TestProcessResponse, [zienit], [dmrtd]
    const s = done.value.session;
    expect(hex(s.seed)).toBe('0036D272F5C350ACAC50C3F572D23600'); // K_seed = K.IFD ⊕ K.IC [zienit], [dmrtdKDF]
    expect(hex(s.ksEnc)).toBe('979EC13B1CBFE9DCD01AB0FED307EAE5'); // [gmrtd], [zienit], [dmrtd], [dmrtdKDF]
    expect(hex(s.ksMac)).toBe('F1CB1F1FB5ADF208806B89DC579DC1F8'); // [gmrtd], [zienit], [dmrtd], [dmrtdKDF]
    expect(hex(s.ssc)).toBe('887022120C06C226'); // [gmrtd], [zienit], [dmrtd]
    const chip = chipAuthenticate(KEYS, h(RND_IC), h(K_IC), terminalAuthenticate(KEYS, h(RND_IC), h(RND_IFD), h(K_IFD)).cmdData);
    expect(chip.ok && chip.value.session).toStrictEqual(s);
    expect(sessionKeys(h(K_IFD), h(K_IC))).toStrictEqual({ seed: s.seed, ksEnc: s.ksEnc, ksMac: s.ksMac });
    expect(hex(initialSsc(h(RND_IC), h(RND_IFD)))).toBe('887022120C06C226');
  });

  it('BacChip answers the Appendix EXTERNAL AUTHENTICATE exactly, and a wrong one with no session', () => {
    const chip = new BacChip(KEYS, { random: scripted(RND_IC, K_IC, RND_IC, K_IC) });
    expect(hex(chip.getChallenge())).toBe(RND_IC);
    const answer = chip.externalAuthenticate(h('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7'));
    expect(answer.ok && hex(answer.value.respData)).toBe('46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449');
    expect(chip.authenticated).toBe(true);
    expect(hex(chip.ssc!)).toBe('887022120C06C226');
    chip.getChallenge();
    const wrong = chip.externalAuthenticate(h('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A6'));
    expect(wrong).toStrictEqual({ ok: false, reason: 'M_IFD does not verify' });
    expect(chip.authenticated).toBe(false);
  });
});

interface Exchange {
  readonly what: string;
  readonly command: CommandApdu;
  readonly sscCommand: string;
  readonly maskedHeader: string;
  readonly do87: string;
  readonly do97: string;
  readonly m: string;
  readonly n: string;
  readonly cc: string;
  readonly do8e: string;
  readonly protectedCommand: string;
  readonly rapdu: string;
  readonly sscResponse: string;
  readonly rDo87: string;
  readonly do99: string;
  readonly rDo8e: string;
  readonly k: string;
  readonly rcc: string;
  readonly data: string;
}

// D.4, every value from [dmrtdSM]; the SELECT also from [zienitSM] and [gmrtdSM], READ BINARY's DO'87' plaintext also from [gmrtdSM].
const D4: readonly Exchange[] = [
  {
    what: 'SELECT EF.COM (00 A4 02 0C 02 011E)',
    command: selectFile('011E'),
    sscCommand: '887022120C06C227',
    maskedHeader: '0CA4020C',
    do87: '8709016375432908C044F6',
    do97: '',
    m: '0CA4020C800000008709016375432908C044F6',
    n: '887022120C06C2270CA4020C800000008709016375432908C044F68000000000',
    cc: 'BF8B92D635FF24F8',
    do8e: '8E08BF8B92D635FF24F8',
    protectedCommand: '0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800',
    rapdu: '990290008E08FA855A5D4C50A8ED9000',
    sscResponse: '887022120C06C228',
    rDo87: '',
    do99: '99029000',
    rDo8e: '8E08FA855A5D4C50A8ED',
    k: '887022120C06C2289902900080000000',
    rcc: 'FA855A5D4C50A8ED',
    data: '',
  },
  {
    what: 'READ BINARY of the first 4 bytes of EF.COM (00 B0 00 00 04)',
    command: readBinary(0, 4),
    sscCommand: '887022120C06C229',
    maskedHeader: '0CB00000',
    do87: '',
    do97: '970104',
    m: '0CB0000080000000970104',
    n: '887022120C06C2290CB00000800000009701048000000000',
    cc: 'ED6705417E96BA55',
    do8e: '8E08ED6705417E96BA55',
    protectedCommand: '0CB000000D9701048E08ED6705417E96BA5500',
    rapdu: '8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000',
    sscResponse: '887022120C06C22A',
    rDo87: '8709019FF0EC34F9922651',
    do99: '99029000',
    rDo8e: '8E08AD55CC17140B2DED',
    k: '887022120C06C22A8709019FF0EC34F99226519902900080',
    rcc: 'AD55CC17140B2DED',
    data: '60145F01',
  },
  {
    what: 'READ BINARY of the remaining 18 bytes from offset 4 (00 B0 00 04 12)',
    command: readBinary(4, 0x12),
    sscCommand: '887022120C06C22B',
    maskedHeader: '0CB00004',
    do87: '',
    do97: '970112',
    m: '0CB0000480000000970112',
    n: '887022120C06C22B0CB00004800000009701128000000000',
    cc: '2EA28A70F3C7B535',
    do8e: '8E082EA28A70F3C7B535',
    protectedCommand: '0CB000040D9701128E082EA28A70F3C7B53500',
    rapdu: '871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000',
    sscResponse: '887022120C06C22C',
    rDo87: '871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A',
    do99: '99029000',
    rDo8e: '8E08C8B2787EAEA07D74',
    // [dmrtdSM] notes that the Appendix prints this K without its final padding byte 80.
    k: '887022120C06C22C871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A9902900080',
    rcc: 'C8B2787EAEA07D74',
    data: '04303130365F36063034303030305C026175',
  },
];

describe('D.4: secure messaging', () => {
  it.each(D4)('$what: the terminal protects the command', (x) => {
    const p = protectCommand(SESSION, h(x.sscCommand), x.command);
    expect({
      maskedHeader: hex(p.maskedHeader),
      do87: hex(p.do87),
      do97: hex(p.do97),
      m: hex(p.m),
      n: hex(p.n),
      cc: hex(p.cc),
      do8e: hex(p.do8e),
      apdu: hex(p.apdu),
    }).toStrictEqual({ maskedHeader: x.maskedHeader, do87: x.do87, do97: x.do97, m: x.m, n: x.n, cc: x.cc, do8e: x.do8e, apdu: x.protectedCommand });
  });

  it.each(D4)('$what: the chip unprotects the command and protects its response', (x) => {
    const inner = unprotectCommand(SESSION, h(x.sscCommand), h(x.protectedCommand));
    expect(inner).toStrictEqual({ ok: true, value: x.command });
    const r = protectResponse(SESSION, h(x.sscResponse), { data: h(x.data), sw: 0x9000 });
    expect({ do87: hex(r.do87), do99: hex(r.do99), k: hex(r.k), cc: hex(r.cc), do8e: hex(r.do8e), rapdu: hex(r.rapdu) }).toStrictEqual({
      do87: x.rDo87,
      do99: x.do99,
      k: x.k,
      cc: x.rcc,
      do8e: x.rDo8e,
      rapdu: x.rapdu,
    });
  });

  it.each(D4)('$what: the terminal verifies and decrypts the response', (x) => {
    const r = unprotectResponse(SESSION, h(x.sscResponse), h(x.rapdu));
    if (!r.ok) throw new Error(r.reason);
    const v = r.value;
    expect({ do87: hex(v.do87), do99: hex(v.do99), do8e: hex(v.do8e), k: hex(v.k), cc: hex(v.cc), data: hex(v.response.data), sw: v.response.sw }).toStrictEqual({
      do87: x.rDo87,
      do99: x.do99,
      do8e: x.rDo8e,
      k: x.k,
      cc: x.rcc,
      data: x.data,
      sw: 0x9000,
    });
  });

  it('EF.COM of the example is 60145F0104303130365F36063034303030305C026175 (the two reads together)', () => {
    expect(hex(Buffer.concat(D4.map((x) => h(x.data))))).toBe('60145F0104303130365F36063034303030305C026175');
    // DO'87' of the first read decrypts to 60145F01 with KS_enc ([gmrtdSM] decodeSmRApduData).
    expect(hex(tdesDecrypt(SESSION.ksEnc, h('9FF0EC34F9922651')))).toBe('60145F0180000000');
    expect(hex(tdesEncrypt(SESSION.ksEnc, h('60145F0180000000')))).toBe('9FF0EC34F9922651');
  });
});

describe('the whole Appendix D exchange through BacTerminal', () => {
  it('sends exactly the Appendix commands when the chip gives the Appendix answers', () => {
    // Command → response pairs: D.3 [gmrtd] TestDoBAC, D.4 [dmrtdSM].
    const script: [string, string][] = [
      ['0084000008', '4608F919887022129000'],
      [
        '008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728',
        '46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000',
      ],
      ...D4.map((x): [string, string] => [x.protectedCommand, x.rapdu]),
    ];
    const sent: string[] = [];
    const terminal = new BacTerminal(
      (command) => {
        sent.push(hex(command));
        const step = script[sent.length - 1];
        if (!step || step[0] !== hex(command)) throw new Error(`unexpected command ${hex(command)}, expected ${step?.[0]}`);
        return h(step[1]);
      },
      { random: scripted(RND_IFD, K_IFD) },
    );
    const session = terminal.authenticate(KEYS);
    expect(session.ok && hex(session.value.ssc)).toBe('887022120C06C226');
    expect(terminal.readFile('011E')).toStrictEqual({ status: 'read', data: h('60145F0104303130365F36063034303030305C026175'), complete: true });
    expect(sent).toStrictEqual(script.map(([c]) => c));
    expect(hex(terminal.ssc!)).toBe('887022120C06C22C');
  });
});

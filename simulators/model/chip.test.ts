/**
 * The simulated chip's contactless interface against the reader QA uses (src/domain/bac): the
 * ICAO 9303 Part 11 Appendix D exchange end to end, access control after personalization, the
 * status words of docs/bac.md, and what failed personalizations look like through a reader.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand, getChallenge, readBinary, selectApplication, selectFile, type CommandApdu } from '../../src/domain/bac/apdu.ts';
import { documentKeysFromTd1 } from '../../src/domain/bac/keys.ts';
import { readEmrtd } from '../../src/domain/bac/reader.ts';
import { BacTerminal } from '../../src/domain/bac/terminal.ts';
import { Chip, ChipLockedError, encodeDg1 } from './chip.ts';

const h = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const hex = (b: Buffer): string => b.toString('hex').toUpperCase();

/** Hands out the given values in order. */
function scripted(...values: string[]): (size: number) => Buffer {
  const queue = values.map(h);
  return (size) => {
    const next = queue.shift();
    if (!next || next.length !== size) throw new Error(`scripted random: asked for ${size} bytes, had ${next ? hex(next) : 'nothing'}`);
    return next;
  };
}

// ICAO 9303 Part 11 Appendix D (sources: src/domain/bac/appendix-d.test.ts).
const APPENDIX_TD1 = ['I<UTOL898902C<3<<<<<<<<<<<<<<<', '6908061F9406236UTO<<<<<<<<<<<2', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];
const APPENDIX_EF_COM = h('60145F0104303130365F36063034303030305C026175');
const APPENDIX_KEYS = { kEnc: h('AB94FDECF2674FDFB9B391F85D7F76F2'), kMac: h('7962D9ECE03D1ACD4C76089DCE131543') };

/** A chip personalized the way the encoder does it: files, BAC keys, lock. */
function personalized(files: { fid: string; data: Buffer }[], options: { keys?: typeof APPENDIX_KEYS | null; random?: (n: number) => Buffer } = {}): Chip {
  const chip = new Chip(options.random ? { random: options.random } : {});
  chip.write(files);
  if (options.keys !== null) chip.setBacKeys(options.keys ?? APPENDIX_KEYS);
  chip.lock();
  return chip;
}

function send(chip: Chip, command: CommandApdu): string {
  return hex(chip.transceive(encodeCommand(command)));
}

function recorder(chip: Chip): { log: [string, string][]; transceive: (c: Buffer) => Buffer } {
  const log: [string, string][] = [];
  return {
    log,
    transceive: (c) => {
      const r = chip.transceive(c);
      log.push([hex(c), hex(r)]);
      return r;
    },
  };
}

describe('the Appendix D exchange between the QA reader and the simulated chip', () => {
  it('reproduces every APDU of D.3 and D.4 byte for byte, and reads EF.COM', () => {
    // DG1 holds the Appendix MRZ; EF.COM lists only 61 and 75, DG2 is absent on purpose.
    const dg1 = encodeDg1(APPENDIX_TD1);
    const chip = personalized([{ fid: '011E', data: APPENDIX_EF_COM }, { fid: '0101', data: dg1 }], { random: scripted('4608F91988702212', '0B4F80323EB3191CB04970CB4052790B') });
    const link = recorder(chip);
    const outcome = readEmrtd(link.transceive, { mrz: APPENDIX_TD1, random: scripted('781723860C06C226', '0B795240CB7049B01C19B33E32804F0B') });

    expect(link.log.slice(0, 9)).toStrictEqual([
      ['00A4040C07A0000002471001', '9000'], // SELECT the eMRTD application
      ['00A4020C02011E', '6982'], // a plain SELECT of EF.COM: BAC required
      // D.3
      ['0084000008', '4608F919887022129000'],
      [
        '008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728',
        '46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000',
      ],
      // D.4: SELECT EF.COM, READ BINARY 4 bytes, READ BINARY the other 18
      ['0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800', '990290008E08FA855A5D4C50A8ED9000'],
      ['0CB000000D9701048E08ED6705417E96BA5500', '8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000'],
      ['0CB000040D9701128E082EA28A70F3C7B53500', '871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000'],
      // Beyond the Appendix: DG1 (listed), then DG2 (listed, not on the chip)
      [expect.stringMatching(/^0CA4020C15/), expect.stringMatching(/^990290008E08[0-9A-F]{16}9000$/)],
      [expect.any(String), expect.any(String)],
    ]);
    expect(outcome).toStrictEqual({
      kind: 'read',
      access: 'bac',
      files: [
        { fid: '0101', data: dg1, complete: true },
        { fid: '011E', data: APPENDIX_EF_COM, complete: true },
      ],
      notes: ['0102: not found (6A82)', '011D: not found (6A82)'],
    });
  });
});

describe('access control after personalization', () => {
  const files = [{ fid: '011E', data: APPENDIX_EF_COM }];

  it('refuses plain SELECT and READ BINARY with 6982 once locked with BAC keys', () => {
    const chip = personalized(files);
    expect(send(chip, selectApplication())).toBe('9000');
    expect(send(chip, selectFile('011E'))).toBe('6982');
    expect(send(chip, readBinary(0, 4))).toBe('6982');
    expect(send(chip, { cla: 0, ins: 0xb0, p1: 0x9e, p2: 0, le: 4 })).toBe('6982'); // by short EF id
    expect(send(chip, getChallenge())).toMatch(/^[0-9A-F]{16}9000$/);
  });

  it('answers a wrong EXTERNAL AUTHENTICATE with 6300 and opens no session', () => {
    const chip = personalized(files);
    const terminal = new BacTerminal((c) => chip.transceive(c));
    expect(terminal.selectApplication()).toStrictEqual({ ok: true, value: 0x9000 });
    expect(terminal.authenticate({ kEnc: Buffer.alloc(16, 1), kMac: Buffer.alloc(16, 2) })).toStrictEqual({ ok: false, reason: 'EXTERNAL AUTHENTICATE answered 6300' });
    expect(terminal.secured).toBe(false);
    // A protected command without a session is not understood.
    expect(hex(chip.transceive(h('0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800')))).toBe('6988');
    // One EXTERNAL AUTHENTICATE per challenge.
    expect(send(chip, { cla: 0, ins: 0x82, p1: 0, p2: 0, data: Buffer.alloc(40), le: 40 })).toBe('6985');
  });

  it('ends the session on a tampered command (6988) and on a plain command (6982)', () => {
    const chip = personalized(files);
    const terminal = new BacTerminal((c) => chip.transceive(c));
    terminal.selectApplication();
    expect(terminal.authenticate(APPENDIX_KEYS).ok).toBe(true);
    expect(terminal.readFile('011E')).toStrictEqual({ status: 'read', data: APPENDIX_EF_COM, complete: true });

    const tampering = new BacTerminal((c) => {
      if (c[0] !== 0x0c) return chip.transceive(c);
      const bad = Buffer.from(c);
      bad[bad.length - 3] = bad[bad.length - 3]! ^ 0x01; // inside DO'8E'
      return chip.transceive(bad);
    });
    tampering.selectApplication();
    expect(tampering.authenticate(APPENDIX_KEYS).ok).toBe(true);
    expect(tampering.selectFile('011E')).toStrictEqual({ ok: false, reason: 'the chip answered 6988 without secure messaging' });
    expect(tampering.secured).toBe(false);

    terminal.selectApplication();
    expect(terminal.authenticate(APPENDIX_KEYS).ok).toBe(true);
    expect(send(chip, selectFile('011E'))).toBe('6982');
    expect(terminal.selectFile('011E')).toStrictEqual({ ok: false, reason: 'the chip answered 6988 without secure messaging' });
  });

  it('reads a 15 KB DG2 in 0xDF-byte chunks under secure messaging', () => {
    const portrait = Buffer.alloc(15_000, 0xa5);
    const dg2 = Buffer.concat([h('7582'), Buffer.from([(portrait.length >> 8) & 0xff, portrait.length & 0xff]), portrait]);
    const chip = personalized([...files, { fid: '0102', data: dg2 }]);
    const link = recorder(chip);
    const terminal = new BacTerminal(link.transceive);
    terminal.selectApplication();
    terminal.authenticate(APPENDIX_KEYS);
    link.log.length = 0;
    expect(terminal.readFile('0102')).toStrictEqual({ status: 'read', data: dg2, complete: true });
    const reads = link.log.filter(([c]) => c.startsWith('0CB0'));
    expect(reads).toHaveLength(1 + Math.ceil((dg2.length - 4) / 0xdf));
    // Every protected response fits a short response APDU (256 bytes + SW).
    expect(Math.max(...link.log.map(([, r]) => r.length / 2))).toBeLessThanOrEqual(258);
  });
});

describe('status words', () => {
  const chip = personalized([{ fid: '011E', data: APPENDIX_EF_COM }], { keys: null });
  const ef = [selectFile('011E')];

  it.each([
    ['SELECT of another application', '6A82', [], { cla: 0, ins: 0xa4, p1: 0x04, p2: 0x0c, data: h('A0000002480100') }],
    ['SELECT of a missing EF', '6A82', [], selectFile('0102')],
    ['READ BINARY without a current EF', '6986', [], readBinary(0, 4)],
    ['READ BINARY by short EF id', '5F019000', [], { cla: 0, ins: 0xb0, p1: 0x9e, p2: 0x02, le: 2 }],
    ['READ BINARY past the end', '6B00', ef, readBinary(22, 1)],
    ['READ BINARY over the end: what there is, and 6282', '61756282', ef, readBinary(20, 8)],
    ['GET CHALLENGE on a chip without BAC keys', '6D00', [], getChallenge()],
    ['an unknown instruction', '6D00', [], { cla: 0, ins: 0xca, p1: 0, p2: 0, le: 1 }],
    ['an unknown class', '6E00', [], { cla: 0x80, ins: 0xb0, p1: 0, p2: 0, le: 1 }],
  ] as const)('%s → %s', (_what, expected, setup, command) => {
    chip.reset();
    expect(send(chip, selectApplication())).toBe('9000');
    for (const c of setup) expect(send(chip, c)).toBe('9000');
    expect(send(chip, command)).toBe(expected);
  });

  it('answers nothing before the application is selected (6985) and forgets it on reset', () => {
    chip.reset();
    expect(send(chip, selectFile('011E'))).toBe('6985');
    expect(send(chip, selectApplication())).toBe('9000');
    expect(send(chip, selectFile('011E'))).toBe('9000');
    chip.reset();
    expect(send(chip, readBinary(0, 2))).toBe('6985');
  });
});

describe('personalization outcomes through the reader', () => {
  const mrz = APPENDIX_TD1;
  const dg1 = encodeDg1(mrz);
  const efCom = h('60145F0104303130375F36063034303030305C026175');

  it('an empty write has no eMRTD application: SELECT answers 6A82, QA sees nothing', () => {
    const chip = new Chip();
    chip.lock();
    expect(send(chip, selectApplication())).toBe('6A82');
    expect(readEmrtd((c) => chip.transceive(c), { mrz })).toStrictEqual({ kind: 'no-application', sw: 0x6a82 });
  });

  it('a partial write looks partial: a half-written file comes back half, marked incomplete', () => {
    const whole = Buffer.concat([h('61'), Buffer.from([0x81, 200]), Buffer.alloc(200, 0x41)]);
    const chip = personalized([{ fid: '0101', data: whole.subarray(0, 101) }], { keys: documentKeysFromTd1(mrz)! });
    const outcome = readEmrtd((c) => chip.transceive(c), { mrz });
    expect(outcome).toStrictEqual({
      kind: 'read',
      access: 'bac',
      files: [{ fid: '0101', data: whole.subarray(0, 101), complete: false }],
      notes: ['011E: not found (6A82)', '0101: 101 bytes, shorter than its length says', '011D: not found (6A82)'],
    });
  });

  it('the wrong MRZ (an OCR misread in the document number) gets no access', () => {
    const chip = personalized([{ fid: '011E', data: efCom }, { fid: '0101', data: dg1 }], { keys: documentKeysFromTd1(mrz)! });
    const misread = [mrz[0]!.replace('L898902C', 'L898802C'), mrz[1]!, mrz[2]!];
    expect(readEmrtd((c) => chip.transceive(c), { mrz: misread })).toStrictEqual({ kind: 'access-denied', reason: 'BAC failed: EXTERNAL AUTHENTICATE answered 6300' });
    expect(readEmrtd((c) => chip.transceive(c), { mrz: null })).toStrictEqual({ kind: 'access-denied', reason: 'the chip requires BAC and no MRZ was read' });
    // A misread in the name does not touch MRZ_information: BAC still works.
    const nameMisread = [mrz[0]!, mrz[1]!, mrz[2]!.replace('ANNA', 'ANNE')];
    expect(readEmrtd((c) => chip.transceive(c), { mrz: nameMisread })).toMatchObject({ kind: 'read', access: 'bac' });
  });

  it('a chip locked without BAC keys has no access control: the reader reads it in plain', () => {
    const chip = personalized([{ fid: '011E', data: h('6000') }, { fid: '0101', data: dg1 }], { keys: null });
    expect(readEmrtd((c) => chip.transceive(c), { mrz: null })).toStrictEqual({
      kind: 'read',
      access: 'plain',
      files: [
        { fid: '0101', data: dg1, complete: true },
        { fid: '011E', data: h('6000'), complete: true },
      ],
      notes: ['011D: not found (6A82)'],
    });
  });

  it('takes no writes after the lock', () => {
    const chip = personalized([{ fid: '0101', data: dg1 }]);
    expect(() => chip.write([{ fid: '0102', data: Buffer.from('x') }])).toThrow(ChipLockedError);
    expect(() => chip.setBacKeys(APPENDIX_KEYS)).toThrow(ChipLockedError);
  });
});

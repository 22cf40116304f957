/**
 * BAC and secure-messaging reading speed, in-process: per card, QA's reader (src/domain/bac)
 * against the simulated chip (simulators/model/chip.ts) — SELECT, the plain probe, GET
 * CHALLENGE, EXTERNAL AUTHENTICATE, then EF.COM, DG1, DG2 (a 13 KB portrait), DG13 and EF.SOD
 * (about 15 KB in all) in 0xDF-byte protected READ BINARYs. Both sides' cryptography counts:
 * the figure is one reader and one chip on one core, not a contactless link.
 */
import { randomBytes } from 'node:crypto';
import { tlv } from '../src/domain/bac/apdu.ts';
import { documentKeysFromTd1 } from '../src/domain/bac/keys.ts';
import { readEmrtd } from '../src/domain/bac/reader.ts';
import { BacTerminal } from '../src/domain/bac/terminal.ts';
import { Chip, encodeDg1 } from '../simulators/model/chip.ts';
import { bench, info } from './report.ts';

const CARDS = 300;
const mrz = ['IDVNM0900000011001090000001<<8', '9001011M3001015VNM<<<<<<<<<<<6', 'NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<'];
const keys = documentKeysFromTd1(mrz)!;
const files = [
  // EF.COM: 60 { 5F01 "0107", 5F36 "040000", 5C 61 75 6D } (DG1, DG2, DG13).
  { fid: '011E', data: Buffer.from('60155F0104303130375F36063034303030305C0361756D', 'hex') },
  { fid: '0101', data: encodeDg1(mrz) },
  { fid: '0102', data: tlv(0x75, randomBytes(13_000)) },
  { fid: '010D', data: tlv(0x6d, randomBytes(600)) },
  { fid: '011D', data: tlv(0x77, randomBytes(1_400)) },
];
const totalBytes = files.reduce((n, f) => n + f.data.length, 0);

const chips = Array.from({ length: CARDS }, () => {
  const chip = new Chip();
  chip.write(files);
  chip.setBacKeys(keys);
  chip.lock();
  return chip;
});

let sink = 0;
const readAll = (): number => {
  const t0 = performance.now();
  for (const chip of chips) {
    chip.reset();
    const r = readEmrtd((c) => chip.transceive(c), { mrz });
    if (r.kind !== 'read' || r.files.length !== files.length) throw new Error(`read failed: ${JSON.stringify(r)}`);
    sink += r.files.length;
  }
  return performance.now() - t0;
};
const setupOnly = (): number => {
  const t0 = performance.now();
  for (const chip of chips) {
    chip.reset();
    const t = new BacTerminal((c) => chip.transceive(c));
    t.selectApplication();
    t.selectFile('011E');
    if (!t.authenticate(keys).ok) throw new Error('BAC failed');
  }
  return performance.now() - t0;
};

// How many protected READ BINARYs one card takes.
let reads = 0;
{
  const chip = chips[0]!;
  chip.reset();
  readEmrtd((c) => {
    if (c[0] === 0x0c && c[1] === 0xb0) reads += 1;
    return chip.transceive(c);
  }, { mrz });
}

readAll();
setupOnly(); // warm-up
const readMs = Math.min(readAll(), readAll(), readAll());
const setupMs = Math.min(setupOnly(), setupOnly(), setupOnly());
info(`${CARDS} cards, ${totalBytes} bytes each in ${files.length} files, ${reads} protected READ BINARYs each; best of 3 (checksum ${sink})`);
bench('bac_setup_per_card', (setupMs / CARDS) * 1000, 'µs');
bench('bac_read_15kb_per_card', (readMs / CARDS) * 1000, 'µs');

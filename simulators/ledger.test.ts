/**
 * The ledger format and its replay: summary shape, torn lines, restore state; and the chip helpers
 * the ledger's stacked entries use (DG1 parsing, content hash).
 */
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dg1Digest, Ledger, readLedger, summarizeLedger } from './ledger.ts';
import { chipContentSha256, encodeDg1, parseDg1Mrz } from './model/chip.ts';
import { syntheticMrz } from './testing/jobs.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-ledger-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('summarizeLedger', () => {
  it('replays loads, feeds, moves, stacking, rejects, purges and unloading', async () => {
    const file = path.join(work, 'a', 'ledger.jsonl');
    const ledger = Ledger.open(file);
    ledger.append({ ev: 'start', line: 'l', pid: 1 });
    ledger.append({ ev: 'loaded', count: 5, lot: 'A' });
    for (const n of [1, 2, 3, 4]) ledger.append({ ev: 'fed', card: `C${n}`, seq: n, lot: 'A', unit: 'feeder' });
    ledger.append({ ev: 'entered', card: 'C1', unit: 'encoder.1' });
    ledger.append({ ev: 'entered', card: 'C2', unit: 'encoder.2' });
    ledger.append({ ev: 'stacked', card: 'C1', station: 'output', position: 1, chipSha256: null, surfaceSha256: null, dg1Digest: dg1Digest('X'.repeat(90)) });
    ledger.append({ ev: 'stackerEmptied', station: 'output', cards: ['C1'] });
    ledger.append({ ev: 'stacked', card: 'C2', station: 'output', position: 1, chipSha256: null, surfaceSha256: null, dg1Digest: null });
    ledger.append({ ev: 'rejected', card: 'C3', unit: 'feeder', reason: 'BlankDefect' });
    const live = ledger.summary();
    ledger.close();

    const expected = {
      stacker: [{ cardSerial: 'C2', position: 1, dg1Digest: null }],
      rejectBin: [{ cardSerial: 'C3', reason: 'BlankDefect' }],
      inMachine: [{ cardSerial: 'C4', station: 'feeder' }],
      unloaded: [{ cardSerial: 'C1', position: 1, dg1Digest: dg1Digest('X'.repeat(90)) }],
      packs: [],
      blanksLoaded: 5,
      magazine: 1,
      fed: 4,
      stacked: 2,
      rejected: 1,
      purged: 0,
      starts: 1,
      badLines: 0,
    };
    expect(live).toStrictEqual(expected);
    expect(await summarizeLedger(file)).toStrictEqual(expected);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(JSON.parse(lines[2]!)).toStrictEqual({ t: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), sim: 0, ev: 'fed', card: 'C1', seq: 1, lot: 'A', unit: 'feeder' });
  });

  it('skips a torn last line, and the next process starts on a fresh line', async () => {
    const file = path.join(work, 'b', 'ledger.jsonl');
    const first = Ledger.open(file);
    first.append({ ev: 'loaded', count: 2, lot: 'A' });
    first.close();
    await appendFile(file, '{"t":"2025-01-01T00:00:00Z","sim":0,"ev":"fed","card":"C1"'); // the process died mid-write
    const second = Ledger.open(file);
    expect(second.state.badLines).toBe(1);
    second.append({ ev: 'fed', card: 'C1', seq: 1, lot: 'A', unit: 'feeder' });
    second.close();
    expect(await summarizeLedger(file)).toMatchObject({ badLines: 1, fed: 1, magazine: 1, inMachine: [{ cardSerial: 'C1', station: 'feeder' }] });
  });

  it('holds a digest of the DG1 MRZ, never the MRZ: SHA-256 hex over the 90 characters', () => {
    // VN-S1 (test/vectors/mrz-td1-vectors.json); digest computed with `printf %s … | sha256sum`.
    const s1 = ['IDVNM0900000018001090000001<<9', '9001158M3001156VNM<<<<<<<<<<<2', 'NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<'];
    expect(dg1Digest(s1)).toBe('6a4e68fbeddda5e1db9e50b5cb92e896b90906003a5bf3a436d41906ffe1ba0f');
    expect(dg1Digest(s1.join(''))).toBe(dg1Digest(s1));
  });

  it('rewrites a ledger that still holds DG1 MRZs in clear (dg1Mrz) with digests, 0600, on open', async () => {
    const dir = path.join(work, 'legacy');
    await mkdir(dir);
    const file = path.join(dir, 'ledger.jsonl');
    const mrz = 'IDVNM0900000018001090000001<<99001158M3001156VNM<<<<<<<<<<<2NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<';
    await writeFile(file, [
      '{"t":"2025-01-01T00:00:00Z","sim":0,"ev":"loaded","count":2,"lot":"A"}',
      '{"t":"2025-01-01T00:00:00Z","sim":0,"ev":"fed","card":"C1","seq":1,"lot":"A","unit":"feeder"}',
      `{"t":"2025-01-01T00:00:00Z","sim":0,"ev":"stacked","card":"C1","station":"output","position":1,"chipSha256":null,"surfaceSha256":null,"dg1Mrz":"${mrz}"}`,
      `{"t":"2025-01-01T00:00:00Z","sim":0,"ev":"stacked","card":"C9","station":"output","position":2,"dg1Mrz":"${mrz.slice(0, 40)}`,
      '',
    ].join('\n'), { mode: 0o644 });
    // Read-only tools see digests even before a simulator rewrites the file.
    expect((await summarizeLedger(file)).stacker).toStrictEqual([{ cardSerial: 'C1', position: 1, dg1Digest: dg1Digest(mrz) }]);
    expect((await readLedger(file)).filter((e) => e.ev === 'stacked')).toStrictEqual([
      { t: '2025-01-01T00:00:00Z', sim: 0, ev: 'stacked', card: 'C1', station: 'output', position: 1, chipSha256: null, surfaceSha256: null, dg1Digest: dg1Digest(mrz) },
    ]);
    const ledger = Ledger.open(file);
    ledger.close();
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('NGUYEN');
    expect(text).not.toContain('090000001');
    expect(text).not.toContain('dg1Mrz');
    expect(text).toContain(dg1Digest(mrz));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await summarizeLedger(file)).stacker).toStrictEqual([{ cardSerial: 'C1', position: 1, dg1Digest: dg1Digest(mrz) }]);
  });

  it('a missing ledger is an empty one', async () => {
    expect(await summarizeLedger(path.join(work, 'none', 'ledger.jsonl'))).toMatchObject({ stacker: [], rejectBin: [], inMachine: [], fed: 0 });
  });

  it('ignores lines that are JSON but not events', async () => {
    const file = path.join(work, 'c.jsonl');
    await writeFile(file, '[]\n"x"\n{"ev":"loaded","count":3,"lot":"A"}\n');
    expect(await summarizeLedger(file)).toMatchObject({ badLines: 2, blanksLoaded: 3, magazine: 3 });
  });
});

describe('chip helpers', () => {
  it('parses the MRZ out of DG1 (61 { 5F1F <90 characters> }), long-form lengths included', () => {
    const mrz = syntheticMrz(12);
    const dg1 = encodeDg1(mrz);
    expect(dg1.subarray(0, 5)).toStrictEqual(Buffer.from([0x61, 0x5d, 0x5f, 0x1f, 0x5a]));
    expect(parseDg1Mrz(dg1)).toBe(mrz.join(''));
    const longForm = Buffer.concat([Buffer.from([0x61, 0x81, 0x5e, 0x5f, 0x1f, 0x81, 0x5a]), Buffer.from(mrz.join(''), 'latin1')]);
    expect(parseDg1Mrz(longForm)).toBe(mrz.join(''));
  });

  it.each([
    ['nothing', undefined],
    ['a truncated file', Buffer.from([0x61, 0x5d, 0x5f, 0x1f])],
    ['another tag', Buffer.from([0x75, 0x02, 0x00, 0x00])],
    ['a DG1 without 5F1F', Buffer.from([0x61, 0x03, 0x5f, 0x20, 0x00])],
  ])('gives null for %s', (_what, data) => {
    expect(parseDg1Mrz(data)).toBeNull();
  });

  it('hashes chip content independently of file order, null when empty', () => {
    const a = { fid: '0101', data: Buffer.from('a') };
    const b = { fid: '011E', data: Buffer.from('b') };
    expect(chipContentSha256([a, b])).toBe(chipContentSha256([b, a]));
    expect(chipContentSha256([a, b])).not.toBe(chipContentSha256([a, { fid: '011E', data: Buffer.from('c') }]));
    expect(chipContentSha256([])).toBeNull();
  });
});

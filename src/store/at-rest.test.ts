// Personal data must be unreadable in the data directory: every file (database, WAL, shared memory,
// key directory) is searched byte for byte for the clear values of a few distinctive records.
import type { Knex } from 'knex';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchStore } from './batch-store.ts';
import { loadDataKeys } from './keys.ts';
import { openStore } from './open-store.ts';
import { tempDataDir } from '../../test/helpers/store-backends.ts';

// Invented people; values chosen to be unmistakable in a byte search.
const PEOPLE = [
  { pid: '079187654321', fullName: 'TRẦN THỊ XUÂN QUỲNH', dateOfBirth: '1987-06-05', placeOfResidence: 'Phường Bến Nghé, Quận 1' },
  { pid: '001203999888', fullName: 'LÊ VĂN ĐÔNG KHÁNH', dateOfBirth: '2003-11-29', placeOfResidence: 'Xã Tân Lập, Đan Phượng' },
];
// Stored in clear on purpose: if the search cannot find it, the search (not the encryption) is broken.
const CONTROL = 'AT-REST-CONTROL-BATCH-7f3e';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const bytes = Buffer.from(needle, 'utf8');
  const hits: string[] = [];
  for (const file of await filesUnder(dir)) {
    if ((await readFile(file)).includes(bytes)) hits.push(path.relative(dir, file));
  }
  return hits;
}

describe('personal data at rest (SQLite data directory)', () => {
  let dataDir: string;
  let db: Knex | undefined;
  beforeAll(async () => {
    dataDir = await tempDataDir();
    // The key file lives in the data directory too.
    const opened = await openStore({ dataDir, keys: await loadDataKeys(dataDir, {}), keySource: 'the key file', actor: 'operator-1' });
    db = opened.db;
    const store = new BatchStore(db, opened.keys);
    const batch = await store.createBatch({ name: CONTROL, sourceFile: 'in/people.jsonl', actor: 'operator-1' });
    const result = await store.addRecords(
      batch.id,
      PEOPLE.map((p, i) => ({
        seq: i + 1,
        lineNo: i + 1,
        pid: p.pid,
        cardVariant: 'with-portrait',
        personal: { fullName: p.fullName, dateOfBirth: p.dateOfBirth, placeOfResidence: p.placeOfResidence },
        portrait: Buffer.from(`JPEG of ${p.fullName}`, 'utf8'),
      })),
    );
    // A duplicate too, so its reason text goes through the same path as in production.
    const dup = await store.addRecords(batch.id, [
      { seq: 3, lineNo: 3, pid: PEOPLE[0]!.pid, cardVariant: 'with-portrait', personal: {} },
    ]);
    expect(result.accepted).toStrictEqual([1, 2]);
    expect(dup.duplicates).toHaveLength(1);
    await store.finishImport(batch.id, { accepted: 2, quarantined: 1, reportPath: 'reports/r.json', actor: 'operator-1' });
  });
  afterAll(async () => {
    await db?.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  const needles = PEOPLE.flatMap((p) => [p.pid, p.fullName, p.dateOfBirth, p.placeOfResidence, p.fullName.split(' ').at(-1)!]);

  it('has the files it should: database, WAL and key file', async () => {
    const files = (await filesUnder(dataDir)).map((f) => path.relative(dataDir, f)).sort();
    expect(files).toEqual(expect.arrayContaining(['cardline.sqlite', 'cardline.sqlite-wal', path.join('keys', 'data.key')]));
    expect(await filesContaining(dataDir, CONTROL)).not.toStrictEqual([]);
  });

  it('contains no clear PID, name, birth date or address while the database is open', async () => {
    for (const needle of needles) expect(await filesContaining(dataDir, needle), needle).toStrictEqual([]);
  });

  it('contains none after the database is closed and the WAL checkpointed', async () => {
    await db?.destroy();
    db = undefined;
    expect(await filesContaining(dataDir, CONTROL)).toContain('cardline.sqlite');
    for (const needle of needles) expect(await filesContaining(dataDir, needle), needle).toStrictEqual([]);
  });
});

/**
 * Batch imports through the API over real HTTP: a zip of the batch file and its portraits (the
 * portraits end up in the store, the upload's working folder is removed), a bare JSON Lines upload
 * whose refusals are in the quarantine report without personal data, hostile zips and server paths
 * outside the import folders refused. The run and the release are test/api-release.test.ts.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../src/store/audit.ts';
import { writeSample } from '../src/sample/write-sample.ts';
import { call, startApi, type ApiFixture } from './helpers/api.ts';

let api: ApiFixture;
let sampleDir: string;
let files: Record<string, Uint8Array>;
let records: Record<string, string>[];
let tokens: Record<'op-an' | 'qa-binh' | 'qa-cuc' | 'mgr-dao', string>;

beforeAll(async () => {
  api = await startApi({ 'op-an': 'operator', 'qa-binh': 'qa', 'qa-cuc': 'qa', 'mgr-dao': 'manager' });
  sampleDir = path.join(api.dir, 'sample');
  await writeSample({ outDir: sampleDir, count: 4, seed: 'api-upload' });
  files = {};
  for (const entry of await readdir(sampleDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[path.relative(sampleDir, path.join(entry.parentPath, entry.name))] = await readFile(path.join(entry.parentPath, entry.name));
  }
  records = Buffer.from(files['batch.jsonl']!).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
  tokens = { 'op-an': await api.token('op-an'), 'qa-binh': await api.token('qa-binh'), 'qa-cuc': await api.token('qa-cuc'), 'mgr-dao': await api.token('mgr-dao') };
}, 60_000);

afterAll(async () => {
  await api?.close();
});

function personalValues(): string[] {
  return records.flatMap((r) => [r.pid!, r.fullName!]);
}

describe('import by upload', () => {
  let batchId: string;

  it('imports a zip of the batch file and its portraits; the portraits are in the store', async () => {
    expect(Object.keys(files).some((f) => f.startsWith('portraits/'))).toBe(true);
    const up = await call(api.base, 'POST', '/api/v1/batches/uploads?name=api-zip&fileName=sample.zip', { token: tokens['op-an'], raw: { type: 'application/zip', data: zipSync(files) } });
    expect(up.status, JSON.stringify(up.json)).toBe(201);
    expect(up.json).toStrictEqual({ batchId: expect.stringMatching(/^\d{8}-[0-9a-f]{6}$/), format: 'jsonl', accepted: 4, quarantined: 0, namesShortened: expect.any(Number) });
    batchId = String(up.json.batchId);
    for (const [i, r] of records.entries()) {
      const stored = await api.ctx.batches.recordPortrait(batchId, i + 1);
      expect({ seq: i + 1, portrait: stored && Buffer.from(stored).equals(Buffer.from(files[r.portrait!] ?? [])) }).toStrictEqual({ seq: i + 1, portrait: r.portrait ? true : undefined });
    }
    const shown = await call(api.base, 'GET', `/api/v1/batches/${batchId}`, { token: tokens['qa-binh'] });
    expect(shown.json).toMatchObject({ id: batchId, name: 'api-zip', status: 'imported', records: { total: 4, produced: 0, pending: 4 }, cards: { blanksConsumed: 0 } });
    const listed = await call(api.base, 'GET', '/api/v1/batches', { token: tokens['qa-binh'] });
    expect(listed.body).toContainEqual(expect.objectContaining({ id: batchId, accepted: 4, quarantined: 0, quarantineOnly: false }));
    const audit = await listAudit(api.ctx.db, { subjectId: batchId });
    expect(audit.map((a) => a.actor)).toContain('op-an');
    expect(audit.every((a) => a.actor === 'op-an')).toBe(true);
    // The upload's working folder is gone: the portraits live encrypted in the store only.
    expect(await readdir(path.join(api.dataDir, 'uploads'))).toStrictEqual([]);
  });

  it('a bare JSON Lines upload: the duplicates and missing portraits go to the quarantine report, without personal data', async () => {
    const up = await call(api.base, 'POST', '/api/v1/batches/uploads', { token: tokens['op-an'], raw: { type: 'application/x-ndjson', data: files['batch.jsonl']! } });
    expect(up.json).toMatchObject({ accepted: 0, quarantined: 4 });
    const report = await call(api.base, 'GET', `/api/v1/batches/${String(up.json.batchId)}/quarantine-report`, { token: tokens['qa-binh'] });
    expect(report.status).toBe(200);
    expect((report.json.entries as unknown[]).length).toBe(4);
    const text = JSON.stringify(report.json);
    for (const secret of personalValues()) expect(text).not.toContain(secret);
  });

  it('refuses zips that reach outside the upload, that are not zips, or hold no batch file (422 naming the body)', async () => {
    for (const [zip, detail] of [
      [zipSync({ '../escape.jsonl': files['batch.jsonl']! }), /outside the upload/],
      [Buffer.from('not a zip at all'), /not a readable zip/],
      [zipSync({ 'notes.txt': Buffer.from('hello') }), /no batch file/],
    ] as const) {
      const r = await call(api.base, 'POST', '/api/v1/batches/uploads', { token: tokens['op-an'], raw: { type: 'application/zip', data: zip } });
      expect(r.json).toMatchObject({ status: 422, type: 'urn:cardline:problem:unprocessable', detail: expect.stringMatching(detail), errors: [{ field: 'body' }] });
    }
    const path_ = await call(api.base, 'POST', '/api/v1/batches/imports', { token: tokens['op-an'], body: { path: '../../etc/passwd' } });
    expect(path_.json).toMatchObject({ status: 422, detail: expect.stringMatching(/inbox, samples/) });
  });
});

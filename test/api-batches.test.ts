/**
 * Batches through the API over real HTTP: an import uploaded as a zip of the batch file and its
 * portraits (the portraits end up in the store), a bare JSON Lines upload whose refusals are in the
 * quarantine report without personal data, hostile zips refused; then, after the batch ran on a
 * small simulated line (`cardline run`, a manager), QA sees the cards with the controller's verdict
 * and a rendered preview, an operator closes the batch, and the release follows the two-person rule:
 * asked for by one QA user, refused to the asker, to the manager who ran it and to an operator's
 * role, approved by a second QA user. Every step audited with the authenticated user.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../src/store/audit.ts';
import { writeSample } from '../src/sample/write-sample.ts';
import { call, startApi, type ApiFixture } from './helpers/api.ts';
import { cardline, writeCliLine } from './helpers/cli.ts';

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

  it('after a run: QA sees the verdicts and a preview, an operator closes, two people release', async () => {
    const lineFile = path.join(api.dir, 'line.yaml');
    await writeCliLine(lineFile, { id: 'api-line', timeScale: 20, seed: 9, initialBlanks: 40, serialPrefix: 'A', cycleMs: 200 });
    const ran = await cardline(['run', batchId, '--line', lineFile], { env: api.env('mgr-dao') });
    expect(ran.code, ran.stderr + ran.stdout).toBe(0);

    const awaiting = await call(api.base, 'GET', `/api/v1/batches/${batchId}/cards?awaiting=true`, { token: tokens['qa-binh'] });
    const cards = awaiting.body as { cardSerial: string; status: string; position: number | null }[];
    expect(cards.length).toBe(4);
    expect(cards.every((c) => c.status === 'good' && c.position !== null)).toBe(true);

    const png = await call(api.base, 'GET', `/api/v1/cards/${cards[0]!.cardSerial}/preview?side=front&format=png&dpi=72`, { token: tokens['qa-binh'] });
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect((png.body as Buffer).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect((await listAudit(api.ctx.db, { subjectId: cards[0]!.cardSerial })).map((a) => [a.actor, a.action])).toContainEqual(['qa-binh', 'card.previewed']);

    const closed = await call(api.base, 'POST', `/api/v1/batches/${batchId}/close`, { token: tokens['op-an'] });
    expect(closed.status, JSON.stringify(closed.json)).toBe(200);
    // `cardline run` reconciles a batch that balances as it ends; the close answers that it is closed.
    expect(closed.json.closed).toBe(true);
    expect(closed.json.blanksConsumed).toBe(Number(closed.json.good) + Number(closed.json.spoiled));

    // The operator's role may not ask; the manager who ran it may not either (role); a QA user asks.
    expect((await call(api.base, 'POST', `/api/v1/batches/${batchId}/release-requests`, { token: tokens['op-an'] })).status).toBe(403);
    const asked = await call(api.base, 'POST', `/api/v1/batches/${batchId}/release-requests`, { token: tokens['qa-binh'] });
    expect(asked.status).toBe(201);
    expect(asked.json).toMatchObject({ kind: 'release', batchId, requestedBy: 'qa-binh', status: 'pending' });
    const requestId = String(asked.json.id);
    expect((await call(api.base, 'GET', '/api/v1/approvals', { token: tokens['qa-cuc'] })).body).toStrictEqual([expect.objectContaining({ id: requestId })]);

    const own = await call(api.base, 'POST', `/api/v1/approvals/${requestId}/approve`, { token: tokens['qa-binh'] });
    expect(own.json).toMatchObject({ status: 403, type: 'urn:cardline:problem:two-person-rule', detail: expect.stringMatching(/qa-binh asked for/) });
    const operated = await call(api.base, 'POST', `/api/v1/approvals/${requestId}/approve`, { token: tokens['mgr-dao'] });
    expect(operated.json).toMatchObject({ status: 403, type: 'urn:cardline:problem:two-person-rule', detail: expect.stringMatching(/mgr-dao operated batch/) });
    expect((await call(api.base, 'POST', `/api/v1/approvals/${requestId}/approve`, { token: tokens['op-an'] })).json).toMatchObject({ status: 403, type: 'urn:cardline:problem:forbidden' });

    const approved = await call(api.base, 'POST', `/api/v1/approvals/${requestId}/approve`, { token: tokens['qa-cuc'] });
    expect(approved.status).toBe(200);
    expect(approved.json).toMatchObject({ kind: 'release', request: { id: requestId, status: 'approved', approvedBy: 'qa-cuc' }, purgeDueAt: expect.any(String) });
    expect((await call(api.base, 'GET', `/api/v1/batches/${batchId}`, { token: tokens['op-an'] })).json).toMatchObject({ status: 'released' });
    // Approved once: a second approval is a conflict.
    expect((await call(api.base, 'POST', `/api/v1/approvals/${requestId}/approve`, { token: tokens['mgr-dao'] })).status).toBe(409);

    const trail = (await listAudit(api.ctx.db, { subjectId: batchId })).map((a) => [a.actor, a.action]);
    expect(trail).toContainEqual(['mgr-dao', 'batch.reconciled']);
    expect(trail.slice(-3)).toStrictEqual([['qa-binh', 'approval.requested'], ['qa-cuc', 'approval.approved'], ['qa-cuc', 'batch.released']]);
    const verify = await call(api.base, 'GET', '/api/v1/audit/verify', { token: tokens['op-an'] });
    expect(verify.json).toMatchObject({ ok: true });
    const page = await call(api.base, 'GET', `/api/v1/audit?subjectId=${batchId}&action=approval.&limit=1`, { token: tokens['op-an'] });
    expect(page.json).toMatchObject({ entries: [{ actor: 'qa-cuc', action: 'approval.approved' }], nextBefore: expect.any(Number) });
    const next = await call(api.base, 'GET', `/api/v1/audit?subjectId=${batchId}&action=approval.&limit=1&before=${String(page.json.nextBefore)}`, { token: tokens['op-an'] });
    expect(next.json).toMatchObject({ entries: [{ actor: 'qa-binh', action: 'approval.requested' }], nextBefore: null });
  }, 120_000);
});

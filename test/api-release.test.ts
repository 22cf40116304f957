/**
 * QA and the two-person release through the API over real HTTP: a batch uploaded through the API ran
 * on a small simulated line (`cardline run`, a manager); QA sees the cards with the controller's
 * verdict and a rendered preview (audited); the close answers that the batch balances; the release
 * is asked for by one QA user and refused to the asker, to the manager who ran it and to an
 * operator's role, then approved by a second QA user. Every step audited with the authenticated user.
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
let batchId: string;
let tokens: Record<'op-an' | 'qa-binh' | 'qa-cuc' | 'mgr-dao', string>;

beforeAll(async () => {
  api = await startApi({ 'op-an': 'operator', 'qa-binh': 'qa', 'qa-cuc': 'qa', 'mgr-dao': 'manager' });
  const sampleDir = path.join(api.dir, 'sample');
  await writeSample({ outDir: sampleDir, count: 4, seed: 'api-release' });
  const files: Record<string, Uint8Array> = {};
  for (const entry of await readdir(sampleDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[path.relative(sampleDir, path.join(entry.parentPath, entry.name))] = await readFile(path.join(entry.parentPath, entry.name));
  }
  tokens = { 'op-an': await api.token('op-an'), 'qa-binh': await api.token('qa-binh'), 'qa-cuc': await api.token('qa-cuc'), 'mgr-dao': await api.token('mgr-dao') };
  const up = await call(api.base, 'POST', '/api/v1/batches/uploads', { token: tokens['op-an'], raw: { type: 'application/zip', data: zipSync(files) } });
  expect(up.json).toMatchObject({ accepted: 4 });
  batchId = String(up.json.batchId);
}, 60_000);

afterAll(async () => {
  await api?.close();
});

describe('QA and the two-person release', () => {
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

/**
 * An inspector's reject through the API over real HTTP: after a run (`cardline run`, a manager), a
 * QA user rejects a stacked card with a reason; the card goes to the spoil log, its record back to
 * re-make, the batch's accounting says so, the reject is audited with the inspector, and the batch
 * no longer closes. A released or unknown card, a bad reason code and an operator are refused with
 * problem details.
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
let qa: string;
let operator: string;

beforeAll(async () => {
  api = await startApi({ 'op-an': 'operator', 'qa-binh': 'qa', 'mgr-dao': 'manager' });
  const sampleDir = path.join(api.dir, 'sample');
  await writeSample({ outDir: sampleDir, count: 3, seed: 'api-qa-reject' });
  const files: Record<string, Uint8Array> = {};
  for (const entry of await readdir(sampleDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[path.relative(sampleDir, path.join(entry.parentPath, entry.name))] = await readFile(path.join(entry.parentPath, entry.name));
  }
  operator = await api.token('op-an');
  qa = await api.token('qa-binh');
  const up = await call(api.base, 'POST', '/api/v1/batches/uploads', { token: operator, raw: { type: 'application/zip', data: zipSync(files) } });
  expect(up.json).toMatchObject({ accepted: 3 });
  batchId = String(up.json.batchId);
  const lineFile = path.join(api.dir, 'line.yaml');
  await writeCliLine(lineFile, { id: 'reject-line', timeScale: 20, seed: 5, initialBlanks: 20, serialPrefix: 'Q', cycleMs: 200 });
  const ran = await cardline(['run', batchId, '--line', lineFile], { env: api.env('mgr-dao') });
  expect(ran.code, ran.stderr + ran.stdout).toBe(0);
}, 180_000);

afterAll(async () => {
  await api?.close();
});

describe('an inspector rejects a card through the API', () => {
  it('spoils the card, re-queues its record, audits the inspector, and the batch no longer closes', async () => {
    const before = await call(api.base, 'GET', `/api/v1/batches/${batchId}`, { token: qa });
    expect(before.json).toMatchObject({ records: { total: 3, produced: 3, pending: 0 } });
    const cards = (await call(api.base, 'GET', `/api/v1/batches/${batchId}/cards?status=good`, { token: qa })).body as { cardSerial: string; seq: number }[];
    const card = cards[0]!;

    expect((await call(api.base, 'POST', `/api/v1/cards/${card.cardSerial}/reject`, { token: operator, body: { reason: 'INSPECTOR_REJECT' } })).status).toBe(403);
    const badReason = await call(api.base, 'POST', `/api/v1/cards/${card.cardSerial}/reject`, { token: qa, body: { reason: 'not a code' } });
    expect(badReason.json).toMatchObject({ status: 400, errors: [{ field: 'body.reason' }] });
    const unknown = await call(api.base, 'POST', '/api/v1/cards/NO-SUCH-CARD/reject', { token: qa, body: { reason: 'INSPECTOR_REJECT' } });
    expect(unknown.json).toMatchObject({ status: 404, errors: [{ field: 'params.cardSerial' }] });

    const rejected = await call(api.base, 'POST', `/api/v1/cards/${card.cardSerial}/reject`, { token: qa, body: { reason: 'INSPECTOR_REJECT', note: 'laser mark smudged' } });
    expect(rejected.status, JSON.stringify(rejected.json)).toBe(200);
    expect(rejected.json).toStrictEqual({ batchId, seq: card.seq, record: 'queued for re-make', proofRemoved: false });

    const shown = await call(api.base, 'GET', `/api/v1/cards/${card.cardSerial}`, { token: qa });
    expect(shown.json).toMatchObject({ status: 'spoiled', reason: 'INSPECTOR_REJECT' });
    const after = await call(api.base, 'GET', `/api/v1/batches/${batchId}`, { token: qa });
    expect(after.json).toMatchObject({ records: { total: 3, produced: 2, pending: 1 }, spoiledByReason: { INSPECTOR_REJECT: 1 } });
    expect((await listAudit(api.ctx.db, { subjectId: card.cardSerial })).map((a) => [a.actor, a.action, a.details?.reason])).toContainEqual(['qa-binh', 'qa.reject', 'INSPECTOR_REJECT']);

    // A second reject of the same card: it is spoiled already.
    expect((await call(api.base, 'POST', `/api/v1/cards/${card.cardSerial}/reject`, { token: qa, body: { reason: 'INSPECTOR_REJECT' } })).json).toMatchObject({ status: 409, detail: expect.stringMatching(/is spoiled: only a card in the stacker/) });
    // Its record waits for a re-make: the batch does not close.
    const close = await call(api.base, 'POST', `/api/v1/batches/${batchId}/close`, { token: operator });
    expect(close.json).toMatchObject({ status: 409, type: 'urn:cardline:problem:conflict', detail: expect.stringMatching(/only a completed or aborted batch can be closed/) });
  });
});

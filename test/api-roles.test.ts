/**
 * Issue 16's acceptance for the API's roles, over real HTTP: the OpenAPI document the server serves
 * validates as OpenAPI 3.1; every operation in it declares the permission the role matrix gives it
 * (src/auth/roles.ts, docs/security.md); and every operation is called without credentials (401,
 * except the public ones) and with each role (403 exactly where the role lacks the permission, never
 * where it holds it). docs/api.md's route table is the document's.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validate, compileErrors } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mayDo, PERMISSIONS, ROLES, type Permission, type Role } from '../src/auth/roles.ts';
import { routeTable } from '../src/http/openapi.ts';
import { alarmRoutes } from '../src/http/routes/alarms.ts';
import { engineeringRoutes } from '../src/http/routes/engineering.ts';
import { eventRoutes } from '../src/http/routes/events.ts';
import { kpiRoutes } from '../src/http/routes/kpi.ts';
import { lineRoutes } from '../src/http/routes/lines.ts';
import { reportRoutes } from '../src/http/routes/reports.ts';
import type { Site } from '../src/site/site.ts';
import { call, startApi, type ApiFixture } from './helpers/api.ts';
import { siteFixture, type SiteFixture } from './helpers/site.ts';

const USERS = Object.fromEntries(ROLES.map((r) => [`u-${r}`, r])) as Record<string, Role>;

/** The permission each operation must declare: a new route, or one declaring another permission, fails here. */
const EXPECTED: Record<string, Permission | 'public' | 'authenticated'> = {
  'GET /healthz': 'public',
  'GET /api/v1/openapi.json': 'public',
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/password': 'public',
  'POST /api/v1/auth/logout': 'authenticated',
  'GET /api/v1/auth/me': 'authenticated',
  'PUT /api/v1/auth/me/locale': 'authenticated',
  'GET /api/v1/batches': 'batch.read',
  'POST /api/v1/batches/uploads': 'import',
  'POST /api/v1/batches/imports': 'import',
  'GET /api/v1/batches/{batchId}': 'batch.read',
  'GET /api/v1/batches/{batchId}/quarantine-report': 'batch.read',
  'POST /api/v1/batches/{batchId}/close': 'batch.close',
  'GET /api/v1/lines/{lineId}/stock': 'batch.read',
  'POST /api/v1/lines/{lineId}/stock': 'stock.load',
  'GET /api/v1/batches/{batchId}/cards': 'batch.read',
  'GET /api/v1/cards/{cardSerial}/preview': 'batch.export',
  'POST /api/v1/cards/{cardSerial}/reject': 'qa.reject',
  'POST /api/v1/cards/{cardSerial}/recall': 'qa.recall',
  'POST /api/v1/batches/{batchId}/release-requests': 'qa.release',
  'POST /api/v1/batches/{batchId}/purge-requests': 'purge.request',
  'GET /api/v1/approvals': 'approve',
  'POST /api/v1/approvals/{requestId}/approve': 'approve',
  'GET /api/v1/batches/{batchId}/qa-queue': 'batch.read',
  'GET /api/v1/cards/{cardSerial}/inspection': 'batch.read',
  'GET /api/v1/cards/{cardSerial}': 'batch.read',
  'POST /api/v1/cards/{cardSerial}/write-off': 'card.write-off',
  'GET /api/v1/audit': 'audit.verify',
  'GET /api/v1/audit/verify': 'audit.verify',
  'GET /api/v1/users': 'user.list',
  'POST /api/v1/users': 'user.manage',
  'POST /api/v1/users/{name}/disable': 'user.manage',
  'POST /api/v1/users/{name}/password-reset': 'user.manage',
  'GET /api/v1/lines': 'batch.read',
  'GET /api/v1/lines/{lineId}': 'batch.read',
  'GET /api/v1/lines/{lineId}/queue': 'batch.read',
  'POST /api/v1/lines/{lineId}/queue': 'run',
  'PUT /api/v1/lines/{lineId}/queue': 'run',
  'DELETE /api/v1/lines/{lineId}/queue/{batchId}': 'run',
  'POST /api/v1/lines/{lineId}/start': 'run',
  'POST /api/v1/lines/{lineId}/pause': 'run',
  'POST /api/v1/lines/{lineId}/resume': 'run',
  'POST /api/v1/lines/{lineId}/abort': 'run',
  'GET /api/v1/events': 'batch.read',
  'GET /api/v1/alarms': 'batch.read',
  'POST /api/v1/alarms/{alarmId}/acknowledge': 'alarm.acknowledge',
  'GET /api/v1/kpi/shifts': 'batch.read',
  'GET /api/v1/kpi/batches/{batchId}': 'batch.read',
  'GET /api/v1/kpi/lines/{lineId}': 'batch.read',
  'GET /api/v1/kpi/shifts/{date}/{name}': 'batch.read',
  'GET /api/v1/reports/batches/{batchId}': 'batch.read',
  'GET /api/v1/reports/shifts/{date}/{name}': 'batch.read',
  'GET /api/v1/lines/{lineId}/config': 'line.engineer',
  'GET /api/v1/lines/{lineId}/links': 'line.engineer',
  'GET /api/v1/lines/{lineId}/simulator': 'line.engineer',
  'POST /api/v1/lines/{lineId}/simulator/faults': 'line.engineer',
};

/** Path values that name nothing: the call reaches the handler only when the guard lets it. */
const SAMPLE: Record<string, string> = { batchId: '20000101-000000', cardSerial: 'NOCARD1', lineId: 'no-line', requestId: 'R-00000000', name: 'nobody-here', alarmId: 'A-none', date: '2026-12-07' };

interface Operation {
  readonly key: string;
  readonly method: string;
  readonly url: string;
  readonly permission: string;
  readonly roles: readonly string[];
  readonly body: 'json' | 'upload' | undefined;
}

let api: ApiFixture;
let fixture: SiteFixture;
let site: Site;
let doc: { paths: Record<string, Record<string, { 'x-permission': string; 'x-roles': string[]; requestBody?: { content: Record<string, unknown> } }>> };
let operations: Operation[];

beforeAll(async () => {
  // The whole server: the data routes, and a running site (one simulated line, its events, its alarms) with its routes.
  fixture = await siteFixture('roles');
  site = fixture.site().site;
  await site.open();
  api = await startApi(USERS, { site, siteRoutes: [lineRoutes, eventRoutes, alarmRoutes, engineeringRoutes], extraRoutes: [kpiRoutes, reportRoutes] }, { ctx: fixture.ctx, dir: fixture.dir });
  const answer = await call(api.base, 'GET', '/api/v1/openapi.json');
  expect(answer.status).toBe(200);
  doc = answer.json as typeof doc;
  operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      key: `${method.toUpperCase()} ${p}`,
      method: method.toUpperCase(),
      url: p.replace(/\{(\w+)\}/g, (_m, name: string) => SAMPLE[name] ?? 'x'),
      permission: op['x-permission'],
      roles: op['x-roles'],
      body: op.requestBody ? ('application/json' in op.requestBody.content ? 'json' : 'upload') : undefined,
    })),
  );
}, 60_000);

afterAll(async () => {
  await api?.close();
  await site?.stop();
  await fixture?.cleanup();
});

function send(op: Operation, token?: string) {
  return call(api.base, op.method, op.url, {
    ...(token ? { token } : {}),
    ...(op.body === 'json' ? { body: {} } : op.body === 'upload' ? { raw: { type: 'application/zip', data: new Uint8Array() } } : {}),
  });
}

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.1', async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect((doc as unknown as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('gives every operation the permission of the role matrix, and the roles holding it', () => {
    expect(Object.fromEntries(operations.map((o) => [o.key, o.permission]))).toStrictEqual(EXPECTED);
    for (const o of operations) {
      const roles = o.permission === 'public' ? [] : o.permission === 'authenticated' ? [...ROLES] : [...PERMISSIONS[o.permission as Permission]];
      expect({ op: o.key, roles: o.roles }).toStrictEqual({ op: o.key, roles });
    }
  });

  it("is docs/api.md's route table", async () => {
    const file = path.join(import.meta.dirname, '..', 'docs', 'api.md');
    const docs = await readFile(file, 'utf8');
    const table = routeTable(doc);
    // CARDLINE_UPDATE_DOCS=1 writes the document's table into docs/api.md (after adding a route).
    if (process.env.CARDLINE_UPDATE_DOCS === '1' && !docs.includes(table)) {
      const start = docs.indexOf('| Method | Path |');
      const end = docs.indexOf('\n\n', start);
      await writeFile(file, docs.slice(0, start) + table.trimEnd() + docs.slice(end));
      return;
    }
    expect(docs).toContain(table);
  });
});

describe('every operation', () => {
  it('answers 401 without credentials, except the public ones', async () => {
    const seen: Record<string, number> = {};
    for (const op of operations) seen[op.key] = (await send(op)).status;
    const expected = Object.fromEntries(operations.map((o) => [o.key, o.permission === 'public' ? 'answers' : 401]));
    expect(Object.fromEntries(Object.entries(seen).map(([k, s]) => [k, s === 401 ? 401 : 'answers']))).toStrictEqual(expected);
    // A public route answers without credentials: the health, the document and a login refused for its body.
    expect(seen['GET /healthz']).toBe(200);
    expect(seen['POST /api/v1/auth/login']).toBe(400);
  });

  it.each(ROLES)('with role %s: 403 exactly where the role lacks the permission', async (role) => {
    const seen: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const op of operations) {
      const answer = await send(op, await api.token(`u-${role}`));
      // An allowed call with an empty body and ids that name nothing is refused, never a crash.
      seen[op.key] = answer.status === 403 ? 'forbidden' : answer.status === 401 ? 'unauthenticated' : answer.status >= 500 ? `failed ${answer.status}` : 'allowed';
      const allowed = op.permission === 'public' || op.permission === 'authenticated' || mayDo(role, op.permission as Permission);
      expected[op.key] = allowed ? 'allowed' : 'forbidden';
      if (answer.status === 403 && !allowed) {
        // The refusal is a problem details object naming the permission.
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.json).toMatchObject({ status: 403, type: 'urn:cardline:problem:forbidden', permission: op.permission });
      }
    }
    expect(seen).toStrictEqual(expected);
  }, 30_000);
});

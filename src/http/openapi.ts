/**
 * The OpenAPI 3.1 document of the API, generated from the route declarations (route-spec.ts): the
 * zod schemas become JSON Schema 2020-12 (z.toJSONSchema), each operation says its permission and
 * the roles holding it (`x-permission`, `x-roles`: src/auth/roles.ts), and every error is a problem
 * details object (problem.ts). docs/api.md's route table is this document's (routeTable; a test checks).
 */
import { z } from 'zod';
import { PERMISSIONS, ROLES } from '../auth/roles.ts';
import { PROBLEM_MEDIA_TYPE, problemSchema } from './problem.ts';
import type { RouteSpec } from './route-spec.ts';
import { SESSION_COOKIE } from './auth/api-session.ts';

export const API_PREFIX = '/api/v1';

/** A route as served: its full path (the API's under API_PREFIX, /healthz at the root). */
export interface MountedRoute {
  readonly path: string;
  readonly spec: RouteSpec;
}

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** Roles that may call a route. */
export function rolesFor(spec: RouteSpec): readonly string[] {
  if (spec.permission === 'public') return [];
  if (spec.permission === 'authenticated') return ROLES;
  return PERMISSIONS[spec.permission];
}

/** `/batches/:batchId/close` → `/batches/{batchId}/close`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** A stable operation id: the method and the path's words, e.g. `postBatchesByBatchIdClose`. */
export function operationId(method: string, path: string): string {
  const words = path
    .replace(API_PREFIX, '')
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function objectShape(schema: z.ZodType | undefined): Record<string, z.ZodType> {
  if (!schema) return {};
  if (!(schema instanceof z.ZodObject)) throw new Error('route params and query must be declared as z.object(...)');
  return schema.shape;
}

function parameters(spec: RouteSpec): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [name, s] of Object.entries(objectShape(spec.params))) {
    out.push({ name, in: 'path', required: true, schema: jsonSchema(s, 'input'), ...(s.description ? { description: s.description } : {}) });
  }
  for (const [name, s] of Object.entries(objectShape(spec.query))) {
    out.push({ name, in: 'query', required: !s.isOptional(), schema: jsonSchema(s, 'input'), ...(s.description ? { description: s.description } : {}) });
  }
  return out;
}

const problemRef = { $ref: '#/components/schemas/Problem' };

function problemResponse(description: string): JsonSchema {
  return { description, content: { [PROBLEM_MEDIA_TYPE]: { schema: problemRef } } };
}

function operation(method: string, path: string, spec: RouteSpec): JsonSchema {
  const status = String(spec.status ?? 200);
  const success: JsonSchema =
    spec.status === 204
      ? { description: 'done' }
      : spec.produces
        ? { description: spec.summary, content: Object.fromEntries(spec.produces.map((t) => [t, { schema: { type: 'string', contentMediaType: t } }])) }
        : { description: spec.summary, content: { 'application/json': { schema: spec.response ? jsonSchema(spec.response, 'output') : {} } } };
  const responses: JsonSchema = { [status]: success };
  const hasInput = spec.params || spec.query || spec.body || spec.upload;
  if (hasInput) responses['400'] = problemResponse('a field of the request is not valid: `errors` names it');
  if (spec.permission !== 'public') {
    responses['401'] = problemResponse('no valid session cookie or bearer token');
    responses['403'] = problemResponse('the role does not hold the permission, or a cookie request lacks its X-CSRF-Token');
  }
  if (spec.params) responses['404'] = problemResponse('what the path names does not exist');
  if (method !== 'GET') responses['409'] = problemResponse('the request conflicts with the current state');
  if (spec.upload) {
    responses['413'] = problemResponse('the upload is larger than allowed');
    responses['415'] = problemResponse('the upload is of another media type');
    responses['422'] = problemResponse('the upload cannot be read as a batch');
  }
  if (spec.rateLimit) responses['429'] = problemResponse('too many attempts: wait as Retry-After says');
  responses['500'] = problemResponse('the server failed; its log has the details');
  const op: JsonSchema = {
    operationId: operationId(method, path),
    summary: spec.summary,
    tags: [...spec.tags],
    'x-permission': spec.permission,
    'x-roles': [...rolesFor(spec)],
    security: spec.permission === 'public' ? [] : [{ sessionCookie: [] }, { bearerToken: [] }],
    responses,
  };
  const params = parameters(spec);
  if (params.length > 0) op.parameters = params;
  if (spec.upload) {
    op.requestBody = {
      required: true,
      description: spec.upload.description,
      content: Object.fromEntries(spec.upload.mediaTypes.map((t) => [t, { schema: { type: 'string', contentMediaType: t } }])),
    };
  } else if (spec.body) {
    op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } };
  }
  return op;
}

export function openApiDocument(routes: readonly MountedRoute[], info: { readonly title: string; readonly version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { path, spec } of routes) {
    const p = openApiPath(path);
    paths[p] ??= {};
    paths[p][spec.method.toLowerCase()] = operation(spec.method, path, spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description: 'The API of `cardline serve`: docs/api.md says how to authenticate and what the problem details mean.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
      securitySchemes: {
        sessionCookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'set by POST /api/v1/auth/login; state-changing requests also send X-CSRF-Token' },
        bearerToken: { type: 'http', scheme: 'bearer', description: 'the token POST /api/v1/auth/login returns, for scripts' },
      },
    },
  };
}

interface DocOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly 'x-permission': string;
  readonly 'x-roles': readonly string[];
}

/** The Markdown table of docs/api.md: every operation with its permission and roles. */
export function routeTable(doc: JsonSchema): string {
  const rows = ['| Method | Path | Permission | Roles | What |', '|---|---|---|---|---|'];
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, DocOperation>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const roles = op['x-permission'] === 'public' ? 'anyone' : op['x-roles'].join(', ');
      rows.push(`| ${method.toUpperCase()} | \`${path}\` | ${op['x-permission']} | ${roles} | ${op.summary} |`);
    }
  }
  return rows.join('\n');
}

/**
 * RFC 9457 problem details: every error the API answers is `application/problem+json`
 * `{type,title,status,detail,instance,errors?:[{field,message}]}`. The field names where the request
 * was wrong (`body.count`, `query.limit`, `params.batchId`, `header.X-CSRF-Token`). Details come from
 * the domain's own messages, which never carry personal data; anything unexpected is a 500 whose
 * detail says only where to look (the server log), never the error's text.
 */
import { z } from 'zod';
import { ImportFileError } from '../import/importer.ts';
import { ApprovalError, TwoPersonError } from '../auth/two-person.ts';
import { AuthError } from '../auth/session.ts';
import { BatchActionError } from '../line/batch-actions.ts';
import { RetentionError } from '../retention/purge.ts';
import { SiteRequestError } from '../site/runtime.ts';
import { StockError } from '../store/line-store.ts';
import { UserStoreError } from '../store/user-store.ts';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export const problemSchema = z
  .object({
    type: z.string().describe('a URN naming the kind of problem (docs/api.md lists them)'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().describe('the request path'),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .catchall(z.unknown());

/** The kinds of problem, by status: the `type` URN and the title. */
const KINDS: Record<number, { slug: string; title: string }> = {
  400: { slug: 'invalid-request', title: 'The request is not valid' },
  401: { slug: 'unauthenticated', title: 'Authentication required' },
  403: { slug: 'forbidden', title: 'Not allowed' },
  404: { slug: 'not-found', title: 'Not found' },
  405: { slug: 'method-not-allowed', title: 'Method not allowed' },
  409: { slug: 'conflict', title: 'Conflicts with the current state' },
  413: { slug: 'payload-too-large', title: 'The request body is too large' },
  415: { slug: 'unsupported-media-type', title: 'Unsupported media type' },
  422: { slug: 'unprocessable', title: 'The request cannot be processed' },
  429: { slug: 'too-many-requests', title: 'Too many requests' },
  500: { slug: 'internal', title: 'Internal server error' },
  503: { slug: 'unavailable', title: 'Service unavailable' },
};

export function problemType(slug: string): string {
  return `urn:cardline:problem:${slug}`;
}

/** An error a route throws to answer with a given status (and field, extensions). */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  constructor(
    readonly status: number,
    message: string,
    readonly options: { readonly field?: string; readonly errors?: readonly FieldError[]; readonly slug?: string; readonly title?: string; readonly extensions?: Record<string, unknown> } = {},
  ) {
    super(message);
  }
}

/** A request part that failed its zod schema: every issue, each naming its field. */
export class RequestValidationError extends Error {
  override name = 'RequestValidationError';
  constructor(readonly errors: readonly FieldError[]) {
    super(`${errors.length} field(s) of the request are not valid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
  }
}

/** The issues of a failed zod parse, named `<part>.<path>`; the values themselves are never quoted. */
export function fieldErrors(part: 'params' | 'query' | 'body', error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ field: [part, ...issue.path.map(String)].join('.'), message: issue.message }));
}

function build(status: number, detail: string, instance: string, extra: { field?: string | undefined; errors?: readonly FieldError[] | undefined; slug?: string | undefined; title?: string | undefined; extensions?: Record<string, unknown> | undefined } = {}): ProblemDetails {
  const kind = KINDS[status] ?? KINDS[status >= 500 ? 500 : 400]!;
  const errors = extra.errors ?? (extra.field !== undefined ? [{ field: extra.field, message: detail }] : undefined);
  return {
    ...(extra.extensions ?? {}),
    type: problemType(extra.slug ?? kind.slug),
    title: extra.title ?? kind.title,
    status,
    detail,
    instance,
    ...(errors ? { errors } : {}),
  };
}

/** Fastify's own request errors, by code: said in our words (a JSON parser's message may quote the body). */
const FASTIFY_CODES: Record<string, { status: number; detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, detail: 'the body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, detail: 'the body is empty but its content-type says JSON' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, detail: 'the body is larger than this route accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, detail: 'this content-type is not accepted here' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, detail: 'the content-length does not match the body' },
};

/**
 * The problem details for an error thrown while answering `instance`; `internal` is true when the
 * error was unexpected (the caller logs it; its text stays out of the answer).
 */
export function problemFrom(error: unknown, instance: string): { problem: ProblemDetails; internal: boolean } {
  const ok = (problem: ProblemDetails) => ({ problem, internal: false });
  if (error instanceof HttpProblem) return ok(build(error.status, error.message, instance, error.options));
  if (error instanceof RequestValidationError) return ok(build(400, error.message, instance, { errors: error.errors, slug: 'validation' }));
  if (error instanceof SiteRequestError) return ok(build(error.status, error.message, instance, { field: error.field }));
  if (error instanceof TwoPersonError) return ok(build(403, error.message, instance, { slug: 'two-person-rule', title: 'The two-person rule forbids it' }));
  if (error instanceof AuthError) return ok(build(403, error.message, instance));
  if (error instanceof ApprovalError || error instanceof BatchActionError || error instanceof StockError || error instanceof UserStoreError || error instanceof RetentionError) {
    return ok(build(409, error.message, instance));
  }
  if (error instanceof ImportFileError) return ok(build(422, error.message, instance, { field: 'body' }));
  if (error instanceof z.ZodError) return ok(build(400, 'the request is not valid', instance, { errors: fieldErrors('body', error), slug: 'validation' }));
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && FASTIFY_CODES[e.code]) {
    const known = FASTIFY_CODES[e.code]!;
    return ok(build(known.status, known.detail, instance, { field: known.status === 415 ? 'header.Content-Type' : 'body' }));
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && typeof e.code === 'string' && e.code.startsWith('FST_')) {
    return ok(build(e.statusCode, typeof e.message === 'string' ? e.message : 'the request was refused', instance));
  }
  return { problem: build(500, 'the server could not answer this request; its log has the details', instance), internal: true };
}

export function notFound(what: string, field: string): HttpProblem {
  return new HttpProblem(404, what, { field });
}

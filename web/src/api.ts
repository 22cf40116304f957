/**
 * The screens' one way to the server: JSON over fetch to /api/v1 with the session cookie, the CSRF
 * token on every state-changing request, and RFC 9457 problem details turned into ApiError (its
 * `field` names what was wrong, for the form that sent it).
 */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status: number;
  readonly detail?: string;
  readonly field?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
  readonly [extension: string]: unknown;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
  get status(): number {
    return this.problem.status;
  }
  /** The problem type's last part: 'conflict', 'two-person-rule', 'login-failed'… */
  get slug(): string {
    return (this.problem.type ?? '').split(':').pop() ?? '';
  }
}

let csrfToken = '';
/** Called with the session's token at login and at /auth/me. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when any answer says the session has ended (401): the shell shows the login again. */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

export const API = '/api/v1';

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const response = await fetch(API + path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  if (!response.ok) {
    const problem = (parsed ?? { status: response.status }) as Problem;
    if (response.status === 401 && !path.startsWith('/auth/')) onUnauthenticated();
    throw new ApiError({ ...problem, status: response.status });
  }
  return parsed as T;
}

export const get = <T>(path: string): Promise<T> => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown): Promise<T> => api<T>('POST', path, body ?? {});
export const put = <T>(path: string, body?: unknown): Promise<T> => api<T>('PUT', path, body ?? {});
export const del = <T>(path: string): Promise<T> => api<T>('DELETE', path);

/** `encodeURIComponent` for a path segment. */
export const seg = (value: string): string => encodeURIComponent(value);

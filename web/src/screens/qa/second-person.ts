/**
 * The two-person rule's second sign-in on the QA desk: the second person logs in with a request of
 * its own that neither sends nor keeps cookies (credentials: 'omit'), so the signed-in user's
 * session cookie stays as it is; the bearer token of that login approves the one request and is
 * closed at once. The server decides whether this person may approve (not the one who asked, not
 * one who operated the batch, role qa or manager); the screen only says what it answered.
 */
import { API, ApiError, type Problem } from '../../api.ts';
import type { Approved } from './types.ts';

async function call<T>(path: string, body: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(API + path, { method: 'POST', headers, credentials: 'omit', body: JSON.stringify(body) });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  if (!response.ok) throw new ApiError({ ...((parsed ?? {}) as Problem), status: response.status });
  return parsed as T;
}

/** Signs the second person in, approves `requestId` as them, and closes their session. */
export async function approveAsSecondPerson(requestId: string, name: string, password: string): Promise<Approved> {
  const login = await call<{ token: string }>('/auth/login', { user: name, password });
  try {
    return await call<Approved>(`/approvals/${encodeURIComponent(requestId)}/approve`, {}, login.token);
  } finally {
    await call('/auth/logout', {}, login.token).catch(() => undefined);
  }
}

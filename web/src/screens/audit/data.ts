/** The audit log's query (GET /api/v1/audit) and the chain's verification (GET /api/v1/audit/verify). */
import { get } from '../../api.ts';
import { timeZone } from '../../i18n/i18n.ts';
import { parseSiteTime } from '../../../../src/kpi/site-time.ts';

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string | null;
  readonly details: Record<string, unknown> | null;
}

export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  readonly nextBefore: number | null;
}

export interface Verdict {
  readonly ok: boolean;
  readonly rows: number;
  readonly head?: { readonly id: number; readonly hash: string } | null;
  readonly rowId?: number | null;
  readonly problem?: string;
}

export interface AuditFilter {
  readonly actor: string;
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string;
  /** Local date and time in the site's zone, as a datetime-local input gives it ('' for none). */
  readonly from: string;
  readonly to: string;
}

export const NO_FILTER: AuditFilter = { actor: '', action: '', subjectType: '', subjectId: '', from: '', to: '' };

/** Entries a page. */
export const PAGE_SIZE = 50;

/** The query string of a filter and page; a site-local time becomes the UTC instant the API takes. */
export function auditQuery(filter: AuditFilter, before: number | null): string {
  const q = new URLSearchParams();
  for (const key of ['actor', 'action', 'subjectType', 'subjectId'] as const) if (filter[key].trim()) q.set(key, filter[key].trim());
  for (const key of ['from', 'to'] as const) {
    const at = filter[key] ? parseSiteTime(filter[key], timeZone.value) : undefined;
    if (at) q.set(key, at.toISOString());
  }
  if (before !== null) q.set('before', String(before));
  q.set('limit', String(PAGE_SIZE));
  return `/audit?${q.toString()}`;
}

export const loadAudit = (filter: AuditFilter, before: number | null): Promise<AuditPage> => get<AuditPage>(auditQuery(filter, before));
export const verifyChain = (): Promise<Verdict> => get<Verdict>('/audit/verify');

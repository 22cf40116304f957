/**
 * The audit log: a filtered, paged query (newest first) and the chain's verification (cardline audit
 * verify). The log carries no personal data; anybody may check the evidence (permission audit.verify).
 */
import { z } from 'zod';
import { queryAudit, verifyAuditChain } from '../../store/audit.ts';
import { route, type RouteFactory } from '../route-spec.ts';

const entry = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  subjectType: z.string(),
  subjectId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});

export const auditRoutes: RouteFactory = (deps) => [
  route({
    method: 'GET',
    url: '/audit',
    permission: 'audit.verify',
    summary: 'Audit entries, newest first, filtered and paged (before = the previous page’s nextBefore)',
    tags: ['audit'],
    query: z.object({
      actor: z.string().max(64).optional(),
      action: z.string().max(64).optional().describe('an action, or a prefix ending in "." (batch. for every batch action)'),
      subjectType: z.string().max(32).optional(),
      subjectId: z.string().max(128).optional(),
      from: z.iso.datetime({ offset: true }).optional().describe('at or after this time'),
      to: z.iso.datetime({ offset: true }).optional().describe('before this time'),
      before: z.coerce.number().int().min(1).optional().describe('entries with a smaller id'),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    response: z.object({ entries: z.array(entry), nextBefore: z.number().int().nullable() }),
    handler: async ({ query }) => {
      const page = await queryAudit(
        deps.db,
        { actor: query.actor, action: query.action, subjectType: query.subjectType, subjectId: query.subjectId, from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined },
        { before: query.before, limit: query.limit },
      );
      return { entries: page.entries.map((e) => ({ ...e, at: e.at.toISOString(), details: e.details ?? null })), nextBefore: page.nextBefore ?? null };
    },
  }),
  route({
    method: 'GET',
    url: '/audit/verify',
    permission: 'audit.verify',
    summary: 'Walk the audit chain: ok, or the first broken row (cardline audit verify --json)',
    tags: ['audit'],
    query: z.object({ anchor: z.string().regex(/^[0-9a-fA-F]{64}$/, 'a head hash of 64 hex characters as a batch report prints it').optional() }),
    response: z.object({
      ok: z.boolean(),
      rows: z.number().int(),
      legacyRows: z.number().int().optional(),
      head: z.object({ id: z.number().int(), hash: z.string() }).nullable().optional(),
      anchorRow: z.number().int().optional(),
      rowId: z.number().int().nullable().optional(),
      problem: z.string().optional(),
    }),
    handler: async ({ query }) => {
      const verdict = await verifyAuditChain(deps.db, deps.keys, query.anchor === undefined ? {} : { anchor: query.anchor });
      return verdict.ok ? { ...verdict, head: verdict.head ?? null } : { ...verdict, rowId: verdict.rowId ?? null };
    },
  }),
];

// The audit log: who did what to which subject, and when. Append-only (the database refuses UPDATE
// and DELETE, see the initial migration). Details are JSON and must never carry personal data: the
// log outlives the batch's retention period and is read by people who may not see citizens' data.
import type { Knex } from 'knex';
import { toDate } from './sql.ts';

export interface AuditInput {
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string | null;
  details: Record<string, unknown> | undefined;
}

interface AuditRow {
  id: number | string;
  at: Date | string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string | null;
  details: string | null;
}

/** Appends one entry. Pass the transaction of the change being audited, so both commit or neither. */
export async function appendAudit(db: Knex | Knex.Transaction, entry: AuditInput): Promise<void> {
  if (entry.actor.trim() === '') throw new Error(`audit ${entry.action}: the actor is empty; every action needs a who`);
  await db('audit_log').insert({
    at: new Date().toISOString(),
    actor: entry.actor,
    action: entry.action,
    subject_type: entry.subjectType,
    subject_id: entry.subjectId,
    details: entry.details === undefined ? null : JSON.stringify(entry.details),
  });
}

/** Entries oldest first, optionally only those about one subject. */
export async function listAudit(
  db: Knex | Knex.Transaction,
  filter: { subjectId?: string } = {},
): Promise<AuditEntry[]> {
  const all = db<AuditRow>('audit_log').select('*').orderBy('id', 'asc');
  const rows: AuditRow[] = await (filter.subjectId === undefined ? all : all.where('subject_id', filter.subjectId));
  return rows.map((row) => ({
    id: Number(row.id),
    at: toDate(row.at, `audit_log ${row.id}`),
    actor: row.actor,
    action: row.action,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    details: row.details === null ? undefined : (JSON.parse(row.details) as Record<string, unknown>),
  }));
}

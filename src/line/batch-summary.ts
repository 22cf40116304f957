/**
 * What a batch looks like to a person or a script: its listing entry and its accounting (records
 * produced/failed/cancelled/pending; blanks consumed = good + spoiled + in the line; spoils by
 * reason; the audit chain's head). One definition for `cardline batch list|show --json` and the API.
 * No personal data: ids, counts and reason codes.
 */
import type { Knex } from 'knex';
import type { AuditHead } from '../store/audit.ts';
import { auditHead } from '../store/audit.ts';
import type { Batch } from '../store/batch.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { LineStore, type BatchAccounting } from '../store/line-store.ts';
import { shownStatus as liveStatus } from './batch-actions.ts';

/** A failed import that accepted no record holds only its quarantine report: said so in listings. */
export function quarantineOnly(b: Pick<Batch, 'status' | 'acceptedCount' | 'failureReason'>): boolean {
  return b.status === 'failed' && b.acceptedCount === 0 && b.failureReason === 'no record was accepted';
}

/** The status a person reads: "quarantine only" for such an import, "interrupted" for a run whose controller is gone. */
export async function shownStatus(db: Knex, b: Batch): Promise<string> {
  return quarantineOnly(b) ? 'quarantine only' : liveStatus(db, b);
}

export interface BatchListEntry {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly quarantineOnly: boolean;
  readonly accepted: number;
  readonly quarantined: number;
  readonly createdAt: string;
}

export async function batchListEntry(db: Knex, b: Batch): Promise<BatchListEntry> {
  return {
    id: b.id,
    name: b.name,
    status: await liveStatus(db, b),
    quarantineOnly: quarantineOnly(b),
    accepted: b.acceptedCount,
    quarantined: b.quarantinedCount,
    createdAt: b.createdAt.toISOString(),
  };
}

export interface BatchSummary extends BatchAccounting {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly spoiledByReason: Record<string, number>;
  readonly auditHead: AuditHead | null;
}

/** The accounting of `batch show --json`; undefined for an unknown batch. */
export async function batchSummary(db: Knex, batches: BatchStore, id: string): Promise<BatchSummary | undefined> {
  const batch = await batches.getBatch(id);
  if (!batch) return undefined;
  const lines = new LineStore(db, '');
  const accounting = await lines.accounting(id);
  const byReason: Record<string, number> = {};
  for (const s of await lines.spoilLog(id)) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
  // The audit chain's head: written down or printed, it anchors the log (cardline audit verify --anchor).
  const head = await auditHead(db);
  return { id: batch.id, name: batch.name, status: await shownStatus(db, batch), ...accounting, spoiledByReason: byReason, auditHead: head ?? null };
}

// The batch and record shapes the store speaks in. No knex here, so machines and the domain can use
// these types without depending on the database.

/**
 * Batch lifecycle: the import (importing → imported, or failed), then the line (machines/batch.machine.ts):
 * ready, running, paused, completed, reconciled, released, aborted. A status read from the database
 * that is not listed here is an error (newer schema).
 */
export const BATCH_STATUSES = ['importing', 'imported', 'failed', 'ready', 'running', 'paused', 'completed', 'reconciled', 'released', 'aborted'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export interface Batch {
  /** `YYYYMMDD-xxxxxx`: UTC creation date and 6 random hex digits. */
  readonly id: string;
  readonly name: string;
  /** The source file path as the operator gave it. */
  readonly sourceFile: string;
  readonly status: BatchStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly acceptedCount: number;
  readonly quarantinedCount: number;
  readonly reportPath: string | undefined;
  /** Undefined: the site's default retention period applies. */
  readonly retentionDays: number | undefined;
  /** Set when the import failed. */
  readonly failureReason: string | undefined;
  /** When the second person approved the release. */
  readonly releasedAt?: Date | undefined;
  /** When its personal data falls due for `purge --due`: fixed by the release's approval. */
  readonly purgeDueAt?: Date | undefined;
  /** When its personal data was purged; its accounting and audit stay. */
  readonly purgedAt?: Date | undefined;
  /** The retention period of the line file its last run started on, when that file sets one. */
  readonly lineRetention?: { readonly lineId: string; readonly days: number } | undefined;
}

export interface NewRecord {
  /**
   * Candidate sequence number, assigned by the importer in source order before duplicate detection.
   * The store renumbers nothing, so accepted seqs may have gaps (see BatchStore.addRecords).
   */
  seq: number;
  /** Line of the source file, for reports. */
  lineNo: number;
  /** Personal ID number, already normalized by the importer; stored only hashed and encrypted. */
  pid: string;
  cardVariant: string;
  personal: Record<string, unknown>;
  /**
   * Where the card is delivered (src/domain/delivery-office.ts), resolved by the importer; not personal
   * data, stored in clear for the packer. Absent: the record has none (`UNSORTED` on the line).
   */
  deliveryOffice?: string;
  /** JPEG bytes. */
  portrait?: Buffer;
}

export interface DuplicateRecord {
  seq: number;
  lineNo: number;
  /** For the quarantine report; names the other batch or the earlier line, never the PID. */
  reason: string;
}

export interface AddResult {
  /** Seqs stored, in input order. */
  accepted: number[];
  duplicates: DuplicateRecord[];
}

/** Status every record has right after import. */
export const RECORD_STATUS_QUEUED = 'queued';

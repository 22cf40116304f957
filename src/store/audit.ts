// The audit log: who did what to which subject, and when. Append-only (the database refuses UPDATE
// and DELETE, see the initial migration). Details are JSON and must never carry personal data: the
// log outlives the batch's retention period and is read by people who may not see citizens' data.
//
// The log is evidence, also against someone holding the database file who can drop the triggers: each
// row carries the previous row's hash, and its own hash is an HMAC (key: the store's audit key, sealed
// under the data key, never in the database in clear) over a canonical encoding of the row and that
// previous hash. audit_head keeps the last row's id and hash under a MAC of its own. Rewriting,
// deleting or inserting a row then breaks the chain where it happened (verifyAuditChain), and a head
// hash printed on paper (batch reports) anchors the log against a rollback of the whole file.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { DataKeys } from './keys.ts';
import { dialectOf, toDate } from './sql.ts';

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
  prev_hash: string | null;
  hash: string | null;
}

interface HeadRow {
  id: number;
  last_id: number | string;
  hash: string;
  mac: string;
}

/** The newest row of the chain: its id and hash. Print it where a copy outlives the database. */
export interface AuditHead {
  readonly id: number;
  readonly hash: string;
}

const AUDIT_KEYS = 'cardlineAuditKeys';
// Any constant: the key of the PostgreSQL advisory lock that makes appends from several servers
// take turns ('card' in ASCII).
const PG_AUDIT_LOCK = 0x63617264;

/**
 * Gives `db` (and every transaction started from it) the key of the store's audit chain. The store
 * opener does this (open-store.ts); tests that open a database themselves do it with their keys.
 * knex's userParams is the documented place for such per-instance context and is inherited by
 * transactions, so repositories keep passing plain Knex objects.
 */
export function bindAuditKeys(db: Knex, keys: DataKeys): void {
  db.userParams = { ...db.userParams, [AUDIT_KEYS]: keys };
}

function boundKeys(db: Knex | Knex.Transaction): DataKeys {
  const keys = (db.userParams as Record<string, unknown> | undefined)?.[AUDIT_KEYS] as DataKeys | undefined;
  if (!keys) {
    throw new Error('appendAudit: this database handle has no audit key; open the store with openStore (or call bindAuditKeys) first');
  }
  return keys;
}

/**
 * Appends one entry to the chain. Pass the transaction of the change being audited, so both commit or
 * neither; appends take turns (the SQLite write lock; a PostgreSQL advisory lock across servers).
 * `actor` is who did it, as the caller establishes it (a user name).
 */
export async function appendAudit(db: Knex | Knex.Transaction, entry: AuditInput): Promise<void> {
  if (entry.actor.trim() === '') throw new Error(`audit ${entry.action}: the actor is empty; every action needs a who`);
  const keys = boundKeys(db);
  if ('isTransaction' in db && db.isTransaction) {
    await appendInTransaction(db as Knex.Transaction, keys, entry);
    return;
  }
  await db.transaction((trx) => appendInTransaction(trx, keys, entry));
}

async function appendInTransaction(trx: Knex.Transaction, keys: DataKeys, entry: AuditInput): Promise<void> {
  if (dialectOf(trx) === 'postgres') {
    await trx.raw('select pg_advisory_xact_lock(?)', [PG_AUDIT_LOCK]);
  } else {
    // Take SQLite's write lock before reading the head: a read first would make the later write fail
    // at once (SQLITE_BUSY) if another process appended in between, instead of waiting its turn.
    await trx('audit_head').where({ id: 1 }).update({ id: 1 });
  }
  const head = await trx<HeadRow>('audit_head').where({ id: 1 }).first();
  let id: number;
  let prevHash: string;
  if (head) {
    id = Number(head.last_id) + 1;
    prevHash = head.hash;
  } else {
    const chained = await trx('audit_log').whereNotNull('hash').count({ n: '*' }).first();
    if (Number(chained?.n ?? 0) > 0) {
      throw new Error('the audit chain head (audit_head) is missing while chained rows exist: the audit log was tampered with; run `cardline audit verify`');
    }
    // The first chained row: its prev_hash covers every row written before the chain existed.
    const legacy = await legacyDigest(trx);
    id = legacy.lastId + 1;
    prevHash = keys.auditMac(genesisEncoding(legacy));
  }
  const row = {
    id,
    at: new Date().toISOString(),
    actor: entry.actor,
    action: entry.action,
    subject_type: entry.subjectType,
    subject_id: entry.subjectId,
    details: entry.details === undefined ? null : JSON.stringify(entry.details),
    prev_hash: prevHash,
  };
  const hash = keys.auditMac(rowEncoding(row));
  await trx('audit_log').insert({ ...row, hash });
  const newHead = { id: 1, last_id: id, hash, mac: keys.auditMac(headEncoding(id, hash)) };
  if (head) await trx('audit_head').where({ id: 1 }).update(newHead);
  else await trx('audit_head').insert(newHead);
}

/** The canonical encoding a row's hash covers: a JSON array of its fields in a fixed order. */
function rowEncoding(row: Omit<AuditRow, 'hash'>): string {
  return JSON.stringify([
    'cardline-audit-row-v1',
    Number(row.id),
    toDate(row.at, `audit_log ${row.id}`).toISOString(),
    row.actor,
    row.action,
    row.subject_type,
    row.subject_id,
    row.details,
    row.prev_hash,
  ]);
}

function headEncoding(id: number, hash: string): string {
  return JSON.stringify(['cardline-audit-head-v1', id, hash]);
}

function genesisEncoding(legacy: { count: number; lastId: number; digest: string }): string {
  return JSON.stringify(['cardline-audit-genesis-v1', legacy.count, legacy.lastId, legacy.digest]);
}

/** SHA-256 over the canonical encodings of the rows written before the chain (hash null), in id order. */
async function legacyDigest(db: Knex | Knex.Transaction): Promise<{ count: number; lastId: number; digest: string }> {
  const sha = createHash('sha256');
  let count = 0;
  let lastId = 0;
  for await (const row of rowsInOrder(db, 'legacy')) {
    sha.update(rowEncoding(row)).update('\n');
    count++;
    lastId = Number(row.id);
  }
  return { count, lastId, digest: sha.digest('hex') };
}

async function* rowsInOrder(db: Knex | Knex.Transaction, which: 'legacy' | 'chained', pageSize = 1000): AsyncGenerator<AuditRow> {
  let after = 0;
  for (;;) {
    const query = db<AuditRow>('audit_log').select('*').where('id', '>', after).orderBy('id', 'asc').limit(pageSize);
    const page: AuditRow[] = await (which === 'legacy' ? query.whereNull('hash') : query.whereNotNull('hash'));
    for (const row of page) yield row;
    if (page.length < pageSize) return;
    after = Number(page.at(-1)!.id);
  }
}

/** The current head of the chain, or undefined before the first chained row. */
export async function auditHead(db: Knex | Knex.Transaction): Promise<AuditHead | undefined> {
  const head = await db<HeadRow>('audit_head').where({ id: 1 }).first();
  return head ? { id: Number(head.last_id), hash: head.hash } : undefined;
}

export type AuditVerdict =
  | { readonly ok: true; readonly rows: number; readonly legacyRows: number; readonly head: AuditHead | undefined; readonly anchorRow?: number }
  | { readonly ok: false; readonly rows: number; readonly rowId: number | undefined; readonly problem: string };

/**
 * Walks the whole chain and reports the first place it breaks: a row whose content no longer matches
 * its MAC (altered or forged), a missing id (deleted), a prev_hash that does not link, a head that
 * does not match the last row (newest rows deleted), or an `anchor` (a head hash printed earlier)
 * that no row has (the log was rewritten or rolled back since).
 */
export async function verifyAuditChain(db: Knex, keys: DataKeys, options: { anchor?: string } = {}): Promise<AuditVerdict> {
  const anchor = options.anchor?.trim().toLowerCase();
  const legacy = await legacyDigest(db);
  let rows = 0;
  let prev: { id: number; hash: string } | undefined;
  let anchorRow: number | undefined;
  const broken = (rowId: number | undefined, problem: string): AuditVerdict => ({ ok: false, rows, rowId, problem });
  for await (const row of rowsInOrder(db, 'chained')) {
    rows++;
    const id = Number(row.id);
    if (id <= legacy.lastId) {
      return broken(id, `row ${id} is chained but comes before unchained row ${legacy.lastId}: rows were inserted or renumbered`);
    }
    const expectedId = prev ? prev.id + 1 : legacy.lastId + 1;
    if (id !== expectedId) {
      return broken(expectedId, `row ${expectedId} is missing (deleted): ${prev ? `row ${id} follows row ${prev.id}` : `the chain starts at row ${id}`}`);
    }
    const expectedPrev = prev ? prev.hash : keys.auditMac(genesisEncoding(legacy));
    if (row.prev_hash !== expectedPrev) {
      return broken(
        id,
        prev
          ? `row ${id} does not link to row ${prev.id}: its prev_hash is not that row's hash (a row was replaced)`
          : `row ${id}, the first chained row, does not match the ${legacy.count} rows written before the chain: they were altered`,
      );
    }
    if (row.hash !== keys.auditMac(rowEncoding(row))) {
      return broken(id, `row ${id} was altered or forged: its content does not match its MAC`);
    }
    if (anchor !== undefined && row.hash === anchor) anchorRow = id;
    prev = { id, hash: row.hash };
  }
  const head = await db<HeadRow>('audit_head').where({ id: 1 }).first();
  if (!head) {
    if (prev) return broken(undefined, `the chain head (audit_head) is missing while the log has ${rows} chained rows`);
  } else {
    const headId = Number(head.last_id);
    if (head.mac !== keys.auditMac(headEncoding(headId, head.hash))) {
      return broken(headId, 'the chain head (audit_head) was altered: its content does not match its MAC');
    }
    if (!prev || headId > prev.id) {
      const missing = prev ? prev.id + 1 : headId;
      return broken(missing, `row ${missing} is missing (deleted): the chain head names row ${headId} but the log ends at ${prev ? `row ${prev.id}` : 'no chained row'}`);
    }
    if (headId !== prev.id || head.hash !== prev.hash) {
      return broken(prev.id, `row ${prev.id} is not the chain head (row ${headId}): rows were added or replaced after the last append`);
    }
  }
  if (anchor !== undefined && anchorRow === undefined) {
    return broken(undefined, `no row has the anchor hash ${anchor}: the log was rewritten or rolled back since that head was printed`);
  }
  const verdict = { ok: true as const, rows, legacyRows: legacy.count, head: prev && { id: prev.id, hash: prev.hash } };
  return anchorRow === undefined ? verdict : { ...verdict, anchorRow };
}

/** Entries oldest first, optionally only those about one subject. */
export async function listAudit(
  db: Knex | Knex.Transaction,
  filter: { subjectId?: string } = {},
): Promise<AuditEntry[]> {
  const all = db<AuditRow>('audit_log').select('*').orderBy('id', 'asc');
  const rows: AuditRow[] = await (filter.subjectId === undefined ? all : all.where('subject_id', filter.subjectId));
  return rows.map(rowToEntry);
}

export interface AuditFilter {
  readonly actor?: string | undefined;
  /** An action, or a prefix ending in `.` (`batch.` for every batch action). */
  readonly action?: string | undefined;
  readonly subjectType?: string | undefined;
  readonly subjectId?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
}

/**
 * One page of entries matching `filter`, newest first: those with an id below `before` (the
 * previous page's `nextBefore`), at most `limit`. `nextBefore` is undefined on the last page.
 */
export async function queryAudit(
  db: Knex,
  filter: AuditFilter,
  page: { readonly before?: number | undefined; readonly limit: number },
): Promise<{ entries: AuditEntry[]; nextBefore: number | undefined }> {
  let query = db<AuditRow>('audit_log').select('*').orderBy('id', 'desc').limit(page.limit + 1);
  if (page.before !== undefined) query = query.where('id', '<', page.before);
  if (filter.actor !== undefined) query = query.where('actor', filter.actor);
  if (filter.action !== undefined) {
    query = filter.action.endsWith('.') ? query.whereRaw('substr(action, 1, ?) = ?', [filter.action.length, filter.action]) : query.where('action', filter.action);
  }
  if (filter.subjectType !== undefined) query = query.where('subject_type', filter.subjectType);
  if (filter.subjectId !== undefined) query = query.where('subject_id', filter.subjectId);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from.toISOString());
  if (filter.to !== undefined) query = query.where('at', '<', filter.to.toISOString());
  const rows: AuditRow[] = await query;
  const more = rows.length > page.limit;
  const entries = rows.slice(0, page.limit).map(rowToEntry);
  return { entries, nextBefore: more ? entries.at(-1)!.id : undefined };
}

function rowToEntry(row: AuditRow): AuditEntry {
  return {
    id: Number(row.id),
    at: toDate(row.at, `audit_log ${row.id}`),
    actor: row.actor,
    action: row.action,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    details: row.details === null ? undefined : (JSON.parse(row.details) as Record<string, unknown>),
  };
}

// Portable SQL helpers for the two clients the store runs on (SQLite through node-sqlite3, PostgreSQL
// through pg). Kept small: anything client-specific in the repositories goes through here.
import type { Knex } from 'knex';

export type Dialect = 'sqlite' | 'postgres';

export function dialectOf(db: Knex): Dialect {
  const dialect = (db.client as Knex.Client).dialect;
  if (dialect === 'sqlite3') return 'sqlite';
  if (dialect === 'postgresql') return 'postgres';
  throw new Error(`the cardline store supports SQLite and PostgreSQL, not the knex dialect "${dialect}"`);
}

/**
 * Bound parameters one statement may carry. SQLite's limit is 32766 since 3.32 (node-sqlite3 6 bundles
 * 3.5x); PostgreSQL's wire protocol counts parameters in 16 bits.
 */
const MAX_PARAMS: Record<Dialect, number> = { sqlite: 32_766, postgres: 65_535 };

/**
 * Multi-row INSERT as plain `VALUES (...), (...)`, sliced to the parameter limit. Not knex's insert
 * builder: on SQLite it compiles many rows to `SELECT ... UNION ALL SELECT ...`, which stops at 500 rows
 * (SQLITE_MAX_COMPOUND_SELECT) and costs far more per row on the import hot path.
 */
export async function insertRows(
  db: Knex,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  if (rows.length === 0) return;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS[dialectOf(db)] / columns.length));
  const head = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let start = 0; start < rows.length; start += perStatement) {
    const slice = rows.slice(start, start + perStatement);
    const bindings: Knex.Value[] = [];
    for (const row of slice) {
      if (row.length !== columns.length) {
        throw new Error(`insert into ${table}: a row has ${row.length} values for ${columns.length} columns`);
      }
      for (const value of row) bindings.push(value as Knex.Value);
    }
    await db.raw(head + new Array<string>(slice.length).fill(tuple).join(', '), bindings);
  }
}

/** Splits a list of lookup values so each `where in (...)` stays under the parameter limit. */
export function inSlices<T>(db: Knex, values: readonly T[], reserved = 0): T[][] {
  const size = MAX_PARAMS[dialectOf(db)] - reserved;
  const slices: T[][] = [];
  for (let start = 0; start < values.length; start += size) slices.push(values.slice(start, start + size));
  return slices;
}

/** True when `err` is a unique/primary-key violation on `table` (either client). */
export function isUniqueViolation(err: unknown, table: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; constraint?: unknown; table?: unknown; message?: unknown };
  if (e.code === '23505') return e.table === table;
  // node-sqlite3 reports only a message: "SQLITE_CONSTRAINT: UNIQUE constraint failed: open_pids.pid_hash"
  return (
    e.code === 'SQLITE_CONSTRAINT' &&
    typeof e.message === 'string' &&
    e.message.includes(`constraint failed: ${table}.`)
  );
}

/**
 * PostgreSQL gave up on this transaction because of a concurrent one (deadlock or serialization
 * failure); running it again is the documented remedy.
 */
export function isTransientConflict(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === '40P01' || code === '40001';
}

/** SQLite hands back what was stored (ISO text here); PostgreSQL returns timestamptz as a Date. */
export function toDate(value: unknown, where: string): Date {
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new Error(`${where}: stored timestamp ${String(value)} is not a date`);
  return date;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

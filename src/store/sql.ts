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

/**
 * A value as an SQL literal of `dialect`, for scripts sent without bound parameters (the journal's
 * one-round-trip commits). Strings are single-quoted with quotes doubled; on PostgreSQL a string
 * holding a backslash becomes an E'' string with backslashes doubled, so it reads the same whatever
 * standard_conforming_strings says; a `?` makes one too, written `\x3f`, since knex would take a bare `?`
 * for a parameter (runStatements). A NUL cannot be stored as text on PostgreSQL and would cut a
 * SQLite script short: it is refused, as are numbers that are not finite (NaN, Infinity) and values
 * of any other type (undefined, objects: JSON goes in as its JSON.stringify text).
 */
export function sqlLiteral(value: unknown, dialect: Dialect): string {
  switch (typeof value) {
    case 'string': {
      if (value.includes('\0')) throw new Error(`an SQL string literal cannot hold a NUL character (${JSON.stringify(value.slice(0, 40))})`);
      const quoted = `'${value.includes("'") ? value.replaceAll("'", "''") : value}'`;
      if (dialect !== 'postgres' || !(value.includes('\\') || value.includes('?'))) return quoted;
      return `E${quoted.replaceAll('\\', '\\\\').replaceAll('?', '\\x3f')}`;
    }
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`an SQL numeric literal must be finite, not ${value}`);
      // String(-0) is "0"; large and tiny numbers come out as 1e+21 / 1e-7, which both dialects read.
      return String(value);
    case 'bigint':
      return String(value);
    case 'boolean':
      return dialect === 'postgres' ? (value ? 'TRUE' : 'FALSE') : value ? '1' : '0';
    case 'object':
      if (value === null) return 'NULL';
      break;
  }
  throw new Error(`no SQL literal for a value of type ${value === null ? 'null' : typeof value}: pass strings (JSON.stringify objects), finite numbers, booleans or null`);
}

/** `insert into <table> (<columns>) values (...), (...)` with the rows as literals; `suffix` follows (e.g. `on conflict ... do nothing`). */
export function insertSql(dialect: Dialect, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], suffix = ''): string {
  let sql = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values `;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length !== columns.length) throw new Error(`insert into ${table}: a row has ${row.length} values for ${columns.length} columns`);
    sql += r === 0 ? '(' : ', (';
    for (let c = 0; c < row.length; c++) sql += (c === 0 ? '' : ', ') + sqlLiteral(row[c], dialect);
    sql += ')';
  }
  return suffix ? `${sql} ${suffix}` : sql;
}

/** `update <table> set <column> = <literal>, ... where <column> = <literal> and ...`. */
export function updateSql(dialect: Dialect, table: string, set: readonly (readonly [string, unknown])[], where: readonly (readonly [string, unknown])[]): string {
  const assign = set.map(([column, value]) => `${quote(column)} = ${sqlLiteral(value, dialect)}`).join(', ');
  const match = where.map(([column, value]) => `${quote(column)} = ${sqlLiteral(value, dialect)}`).join(' and ');
  return `update ${quote(table)} set ${assign} where ${match}`;
}

/**
 * Runs parameterless statements (built with sqlLiteral) through knex's public `raw`, on `db` or on a
 * transaction. PostgreSQL gets them as one query string in one round trip: a query without bindings
 * goes out on pg's simple protocol, which runs every statement of the string, and as one implicit
 * transaction when no transaction is open — a failing statement undoes the others and leaves the
 * connection clean. node-sqlite3 runs one statement a call, so on SQLite they go one by one (in
 * process, no round trip: what a commit costs there is its sync). Statements after a failing one do
 * not run. knex turns every `?` of a PostgreSQL query into a parameter, even inside a string literal:
 * sqlLiteral writes none (it escapes `?` as `\x3f`), and a statement holding one is refused here.
 */
export async function runStatements(db: Knex | Knex.Transaction, dialect: Dialect, statements: readonly string[]): Promise<void> {
  if (statements.length === 0) return;
  if (dialect === 'postgres') {
    const script = statements.join(';\n');
    if (script.includes('?')) throw new Error('runStatements: a PostgreSQL statement holds a "?", which knex would turn into a parameter: write values with sqlLiteral');
    await db.raw(script);
    return;
  }
  for (const statement of statements) await db.raw(statement);
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

// The baseline: the rows the import stored (already encrypted) inserted again into copies of the
// tables in the same SQLite file by the plainest code — node-sqlite3, one prepared statement run
// per row, a transaction per 1,000 records. Only the inserts are timed, not reading the rows back.
import sqlite3 from 'sqlite3';

const file = process.argv[2]!;
const db = new sqlite3.Database(file);
const run = (sql: string, params: unknown[] = []): Promise<void> =>
  new Promise((resolve, reject) => db.run(sql, params, (e) => (e ? reject(e) : resolve())));
const all = <T>(sql: string, params: unknown[]): Promise<T[]> =>
  new Promise((resolve, reject) => db.all(sql, params, (e, rows) => (e ? reject(e) : resolve(rows as T[]))));
const runStatement = (statement: sqlite3.Statement, params: unknown[]): Promise<void> =>
  new Promise((resolve, reject) => statement.run(params, (e: Error | null) => (e ? reject(e) : resolve())));

await run('pragma journal_mode = wal');
await run('pragma synchronous = full'); // as the store's connections (db.ts)
await run('create table raw_records as select * from records where 0');
await run('create table raw_portraits as select * from record_portraits where 0');
// The columns an import writes (the line's progress columns stay at their defaults).
const columns = 'batch_id, seq, line_no, pid_hash, payload, has_portrait, card_variant, status, created_at';
const insertRecord = db.prepare(`insert into raw_records (${columns}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
const insertPortrait = db.prepare('insert into raw_portraits values (?, ?, ?)');

type Row = Record<string, unknown> & { seq: number; data: Buffer | null };
let records = 0;
let ms = 0;
for (let after = 0; ; ) {
  const rows = await all<Row>(
    `select ${columns.split(', ').map((c) => `r.${c}`).join(', ')}, p.data from records r ` +
      'left join record_portraits p on p.batch_id = r.batch_id and p.seq = r.seq where r.seq > ? order by r.seq limit 1000',
    [after],
  );
  if (rows.length === 0) break;
  after = rows.at(-1)!.seq;
  const t0 = performance.now();
  await run('begin');
  const pending: Promise<void>[] = [];
  for (const row of rows) {
    pending.push(runStatement(insertRecord, columns.split(', ').map((c) => row[c])));
    if (row.data) pending.push(runStatement(insertPortrait, [row.batch_id, row.seq, row.data]));
  }
  await Promise.all(pending);
  await run('commit');
  ms += performance.now() - t0;
  records += rows.length;
}
const finalize = (statement: sqlite3.Statement): Promise<void> => new Promise((resolve) => statement.finalize(() => resolve()));
await finalize(insertRecord);
await finalize(insertPortrait);
await new Promise<void>((resolve, reject) => db.close((e) => (e ? reject(e) : resolve())));
console.log(JSON.stringify({ records, ms }));

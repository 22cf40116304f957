/**
 * What a durable commit costs: the line journal's commit of one station result (the Done's event,
 * the card's move and its record's progress), as the controller awaits it before each DoneAck, on
 * SQLite in a fresh data directory with the store's settings (WAL, synchronous=FULL: the WAL is
 * synced at every commit). `durable_commit_ms_p50` / `_p99` time append → resolved, six units
 * appending at once, so the group commit is in the figure as on a line. For the cost of durability,
 * the same run with synchronous=NORMAL (no sync at commit) is printed beside it; with
 * BENCH_PG_URL=postgres://… the PostgreSQL figures (synchronous_commit=on) are printed too.
 * BENCH_COMMITS sets the number of rounds (default 1,000).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { openDatabase } from '../src/store/db.ts';
import { LineStore, type JournalOp } from '../src/store/line-store.ts';
import { bench, info } from './report.ts';

const ROUNDS = Number(process.env.BENCH_COMMITS ?? 1000);
const UNITS = ['encoder.1', 'encoder.2', 'encoder.3', 'encoder.4', 'encoder.5', 'encoder.6'];

function resultOps(unit: string, n: number): JournalOp[] {
  const cardSerial = `C${n.toString().padStart(8, '0')}`;
  return [
    { op: 'event', event: 'encoder.done', batchId: 'bench', seq: n, attempt: 1, cardSerial, unit, reason: null, detail: { jobId: n, result: 0 } },
    { op: 'card.unit', cardSerial, unit },
    { op: 'record', batchId: 'bench', seq: n, status: 'in-line', attempts: 1, reasons: [] },
  ];
}

/** Times ROUNDS rounds of six units' results appended at once; each append's latency, in ms, sorted. */
async function measure(db: Knex): Promise<number[]> {
  const store = new LineStore(db, 'bench-commit');
  const latencies: number[] = [];
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(
      UNITS.map(async (unit) => {
        const started = performance.now();
        await store.journal.append(...resultOps(unit, ++n));
        latencies.push(performance.now() - started);
      }),
    );
  }
  return latencies.sort((a, b) => a - b);
}

const at = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;

const dir = await mkdtemp(path.join(tmpdir(), 'cardline-bench-commit-'));
try {
  const durable = await openDatabase({ dataDir: path.join(dir, 'full') });
  let full: number[];
  try {
    await measure(durable); // warm-up: the files grow, the page cache fills
    full = await measure(durable);
  } finally {
    await durable.destroy();
  }
  const relaxed = await openDatabase({ dataDir: path.join(dir, 'normal') });
  let normal: number[];
  try {
    await relaxed.raw('PRAGMA synchronous = NORMAL'); // the pool's one connection
    await measure(relaxed);
    normal = await measure(relaxed);
  } finally {
    await relaxed.destroy();
  }
  info(`SQLite, ${ROUNDS} rounds of ${UNITS.length} units' results appended together: FULL p50 ${at(full, 0.5).toFixed(2)} ms p99 ${at(full, 0.99).toFixed(2)} ms; NORMAL (no sync at commit) p50 ${at(normal, 0.5).toFixed(2)} ms p99 ${at(normal, 0.99).toFixed(2)} ms`);
  const pgUrl = process.env.BENCH_PG_URL?.trim();
  if (pgUrl) {
    const pg = await openDatabase({ dataDir: path.join(dir, 'pg'), url: pgUrl });
    try {
      await measure(pg);
      const latencies = await measure(pg);
      info(`PostgreSQL (synchronous_commit=on): p50 ${at(latencies, 0.5).toFixed(2)} ms p99 ${at(latencies, 0.99).toFixed(2)} ms`);
    } finally {
      await pg.destroy();
    }
  }
  bench('durable_commit_ms_p50', at(full, 0.5), 'ms');
  bench('durable_commit_ms_p99', at(full, 0.99), 'ms');
} finally {
  await rm(dir, { recursive: true, force: true });
}

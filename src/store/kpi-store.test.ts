// The journal read back as KPI events on both store backends: the states before the period (the
// last of each kind per unit only), the run boundaries, a unit's Done, a blank fed, a card ended,
// in time order; and a batch's span of runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';
import { BatchStore } from './batch-store.ts';
import { KpiStore } from './kpi-store.ts';
import { LineStore, type JournalOp } from './line-store.ts';

const LINE = 'L1';
const HOUR = 3_600_000;

describe.each(BACKENDS)('KpiStore on $name', (backend) => {
  let fx: StoreFixture;
  let batchId: string;
  let t0: number;
  let end: number;

  beforeAll(async () => {
    fx = await backend.setup();
    const batches = new BatchStore(fx.db, fx.keys);
    const batch = await batches.createBatch({ name: 'kpi', sourceFile: 'in/k.jsonl', actor: 'op' });
    await batches.addRecords(batch.id, [{ seq: 1, lineNo: 1, pid: '079010001234', cardVariant: 'without-portrait', personal: { fullName: 'Số 1' } }]);
    await batches.finishImport(batch.id, { accepted: 1, quarantined: 0, reportPath: 'r.json', actor: 'op' });
    batchId = batch.id;
    const journal = new LineStore(fx.db, LINE).journal;
    t0 = Date.now();
    const at = (ms: number): string => new Date(ms).toISOString();
    const station = (unit: string, event: string, detail: Record<string, unknown>, ms: number): JournalOp => ({ op: 'station', unit, event, detail, at: at(ms) });
    await journal.append(
      station('laser', 'link.down', { reason: 'x' }, t0 - 3 * HOUR),
      station('feeder', 'state', { state: 2, stopReason: 0 }, t0 - 2 * HOUR),
      station('laser', 'link.up', { state: 6, stopReason: 0 }, t0 - 2 * HOUR),
      station('feeder', 'state', { state: 6, stopReason: 0 }, t0 - HOUR),
    );
    await journal.append({ op: 'batch.status', batchId, status: 'running', actor: 'op' });
    await journal.append(
      { op: 'card.fed', cardSerial: 'K1', batchId, seq: 1, attempt: 1, unit: 'feeder' },
      { op: 'event', event: 'feeder.done', batchId, seq: 1, attempt: 1, cardSerial: 'K1', unit: 'feeder', reason: null, detail: { jobId: 7, result: 0 } },
    );
    await journal.append(
      { op: 'event', event: 'laser.done', batchId, seq: 1, attempt: 1, cardSerial: 'K1', unit: 'laser', reason: 'LASER_FAULT', detail: { jobId: 8, result: 20 } },
      { op: 'card.ended', cardSerial: 'K1', status: 'spoiled', unit: 'laser', reason: 'LASER_FAULT', batchId },
    );
    await journal.append(station('laser', 'state', { state: 11, stopReason: 1 }, Date.now()));
    // The run ends a few milliseconds later: in the same millisecond the reader's order of a state and a run end is its rank, not their times.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await journal.append({ op: 'batch.status', batchId, status: 'completed', actor: 'op' });
    end = Date.now() + 1;
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('reads the period’s events in time order, after the states each unit was in when it began', async () => {
    const events = await new KpiStore(fx.db).events(new Date(t0 - HOUR / 2), new Date(end), { lines: [LINE] });
    const n = expect.any(Number) as unknown as number;
    expect(events).toStrictEqual([
      { type: 'link', at: t0 - 3 * HOUR, line: LINE, unit: 'laser', up: false },
      { type: 'link', at: t0 - 2 * HOUR, line: LINE, unit: 'laser', up: true },
      { type: 'state', at: t0 - 2 * HOUR, line: LINE, unit: 'laser', state: 6, stopReason: 0 },
      // The feeder's Stopped at −2 h is followed by Execute at −1 h: only the last is read.
      { type: 'state', at: t0 - HOUR, line: LINE, unit: 'feeder', state: 6, stopReason: 0 },
      { type: 'run', at: n, line: LINE, batchId, status: 'running' },
      { type: 'fed', at: n, line: LINE, batchId, seq: 1, card: 'K1' },
      { type: 'done', at: n, line: LINE, unit: 'feeder', kind: 'feeder', batchId, seq: 1, card: 'K1', result: 0 },
      { type: 'done', at: n, line: LINE, unit: 'laser', kind: 'laser', batchId, seq: 1, card: 'K1', result: 20 },
      { type: 'ended', at: n, line: LINE, unit: 'laser', batchId, seq: 1, attempt: 1, card: 'K1', good: false, reason: 'LASER_FAULT' },
      { type: 'state', at: n, line: LINE, unit: 'laser', state: 11, stopReason: 1 },
      { type: 'run', at: n, line: LINE, batchId, status: 'completed' },
    ]);
    for (let i = 1; i < events.length; i += 1) expect(events[i]!.at).toBeGreaterThanOrEqual(events[i - 1]!.at);
    // Another line's period holds nothing of this one.
    expect(await new KpiStore(fx.db).events(new Date(t0 - HOUR / 2), new Date(end), { lines: ['L2'] })).toStrictEqual([]);
  });

  it('knows a batch’s runs: its lines, from its first start to its last end', async () => {
    const events = await new KpiStore(fx.db).events(new Date(t0 - HOUR / 2), new Date(end), { lines: [LINE] });
    const runs = events.filter((e) => e.type === 'run');
    expect(await new KpiStore(fx.db).batchSpan(batchId)).toStrictEqual({ lines: [LINE], from: new Date(runs[0]!.at), to: new Date(runs[1]!.at), running: false });
    expect(await new KpiStore(fx.db).batchSpan('no-such-batch')).toBeUndefined();
  });
});

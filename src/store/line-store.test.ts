// The line's journal (group commit) on both store backends: what a group of ops leaves in the
// tables, a feeder result reported twice, failing groups, and which appends share a commit.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from './audit.ts';
import { BatchStore } from './batch-store.ts';
import { LineStore, type JournalOp } from './line-store.ts';
import { toDate } from './sql.ts';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';

const LINE = 'L1';

describe.each(BACKENDS)('Journal on $name', (backend) => {
  let fx: StoreFixture;
  let store: LineStore;
  let batchId: string;
  let serials = 0;
  /** A card serial no other test uses. */
  const serial = (): string => `C${String(++serials).padStart(5, '0')}`;

  beforeAll(async () => {
    fx = await backend.setup();
    const batches = new BatchStore(fx.db, fx.keys);
    const batch = await batches.createBatch({ name: 'journal', sourceFile: 'in/j.jsonl', actor: 'op' });
    await batches.addRecords(
      batch.id,
      [1, 2, 3, 4].map((seq) => ({ seq, lineNo: seq, pid: `0790${seq}0001234`, cardVariant: 'without-portrait', personal: { fullName: `Số ${seq}` } })),
    );
    await batches.finishImport(batch.id, { accepted: 4, quarantined: 0, reportPath: 'r.json', actor: 'op' });
    batchId = batch.id;
    store = new LineStore(fx.db, LINE);
  });
  afterEach(() => {
    store.journal.beforeCommit = undefined;
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  const iso = (value: unknown): string | null => (value === null ? null : toDate(value, 'test').toISOString());

  async function cardRow(cardSerial: string): Promise<Record<string, unknown> | undefined> {
    const row: Record<string, unknown> | undefined = await fx.db('cards').where({ card_serial: cardSerial }).first();
    if (!row) return undefined;
    return {
      ...row,
      seq: Number(row.seq),
      attempt: Number(row.attempt),
      suspect: Boolean(row.suspect),
      position: row.position === null ? null : Number(row.position),
      fed_at: iso(row.fed_at),
      ended_at: iso(row.ended_at),
    };
  }

  async function eventsOf(cardSerial: string): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = await fx.db('card_events').where({ card_serial: cardSerial }).orderBy('id');
    return rows.map(({ id: _, ...r }) => ({ ...r, at: iso(r.at), seq: r.seq === null ? null : Number(r.seq), attempt: r.attempt === null ? null : Number(r.attempt) }));
  }

  /** Scripts and transactions the journal sends, from knex's query events. */
  /** Counts the journal's commits (on PostgreSQL a plain one sends no BEGIN: one implicit transaction). */
  function countCommits(): { readonly count: number; off(): void } {
    let count = 0;
    store.journal.onCommitted = () => {
      count += 1;
    };
    return {
      get count() {
        return count;
      },
      off: () => {
        store.journal.onCommitted = undefined;
      },
    };
  }

  it('lands a group of fed, unit, suspect, ended, event, station and record ops as specified', async () => {
    const [c1, c2] = [serial(), serial()];
    const before = Date.now();
    const detail = { note: "it's Nguyễn \\ ? $1 ;--", jobId: 12 };
    await store.journal.append(
      { op: 'card.fed', cardSerial: c1, batchId, seq: 1, attempt: 1, unit: 'feeder' },
      { op: 'card.fed', cardSerial: c2, batchId, seq: 2, attempt: 1, unit: 'feeder' },
      { op: 'card.unit', cardSerial: c1, unit: 'encoder.1' },
      { op: 'card.unit', cardSerial: c2, unit: 'encoder.2' },
      { op: 'card.unit', cardSerial: c1, unit: 'laser' },
      { op: 'card.suspect', cardSerial: c1 },
      { op: 'card.ended', cardSerial: c2, status: 'spoiled', unit: 'encoder.2', reason: 'CHIP_FAIL', batchId },
      // After its end, a card's position no longer changes.
      { op: 'card.unit', cardSerial: c2, unit: 'laser' },
      { op: 'event', event: 'qa.verdict', batchId, seq: 1, attempt: 1, cardSerial: c1, reason: 'PRINT_GRADE', detail },
      { op: 'station', unit: 'qa', event: 'state', detail: { state: 6 } },
      { op: 'station', unit: 'laser', event: 'fault' },
      { op: 'record', batchId, seq: 1, status: 'in-line', attempts: 1, reasons: [] },
      { op: 'record', batchId, seq: 2, status: 'queued', attempts: 1, reasons: [{ attempt: 1, cardSerial: c2, code: 'CHIP_FAIL' }], cardSerial: null, position: null, machine: { v: 1, s: "queued's" } },
    );
    const after = Date.now();

    const c1Row = await cardRow(c1);
    const at = c1Row!.fed_at as string;
    expect(Date.parse(at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(at)).toBeLessThanOrEqual(after);
    expect(c1Row).toStrictEqual({ card_serial: c1, line_id: LINE, batch_id: batchId, seq: 1, attempt: 1, status: 'in-line', unit: 'laser', suspect: true, position: null, reason: null, fed_at: at, ended_at: null });
    expect(await cardRow(c2)).toStrictEqual({ card_serial: c2, line_id: LINE, batch_id: batchId, seq: 2, attempt: 1, status: 'spoiled', unit: 'encoder.2', suspect: false, position: null, reason: 'CHIP_FAIL', fed_at: at, ended_at: at });
    // Through the store's own readers too.
    expect(await store.card(c2)).toStrictEqual({ cardSerial: c2, lineId: LINE, batchId, seq: 2, attempt: 1, status: 'spoiled', unit: 'encoder.2', suspect: false, position: null, reason: 'CHIP_FAIL' });

    expect(await eventsOf(c1)).toStrictEqual([
      { at, line_id: LINE, batch_id: batchId, seq: 1, attempt: 1, card_serial: c1, unit: 'feeder', event: 'card.fed', reason: null, detail: null },
      { at, line_id: LINE, batch_id: batchId, seq: 1, attempt: 1, card_serial: c1, unit: null, event: 'qa.verdict', reason: 'PRINT_GRADE', detail: JSON.stringify(detail) },
    ]);
    expect(await eventsOf(c2)).toStrictEqual([{ at, line_id: LINE, batch_id: batchId, seq: 2, attempt: 1, card_serial: c2, unit: 'feeder', event: 'card.fed', reason: null, detail: null }]);

    const stations: Record<string, unknown>[] = await fx.db('station_events').orderBy('id').select('at', 'line_id', 'unit', 'event', 'detail');
    expect(stations.map((s) => ({ ...s, at: iso(s.at) }))).toStrictEqual([
      { at, line_id: LINE, unit: 'qa', event: 'state', detail: '{"state":6}' },
      { at, line_id: LINE, unit: 'laser', event: 'fault', detail: null },
    ]);
    expect(await store.spoilLog(batchId)).toStrictEqual([{ cardSerial: c2, reason: 'CHIP_FAIL', unit: 'encoder.2', at }]);

    const records = await store.records(batchId);
    expect(records[0]).toStrictEqual({ seq: 1, status: 'in-line', attempts: 1, reasons: [], cardSerial: null, position: null, machine: null });
    expect(records[1]).toStrictEqual({ seq: 2, status: 'queued', attempts: 1, reasons: [{ attempt: 1, cardSerial: c2, code: 'CHIP_FAIL' }], cardSerial: null, position: null, machine: { v: 1, s: "queued's" } });
    const ended: { seq: number; ended_at: unknown }[] = await fx.db('records').where({ batch_id: batchId }).whereIn('seq', [1, 2]).orderBy('seq').select('seq', 'ended_at');
    expect(ended.map((r) => r.ended_at)).toStrictEqual([null, null]);
  });

  it('a produced record keeps its card, position and machine, and gets its end time; a good card its stacker position', async () => {
    const c = serial();
    await store.journal.append({ op: 'card.fed', cardSerial: c, batchId, seq: 3, attempt: 1, unit: 'feeder' });
    await store.journal.append(
      { op: 'card.ended', cardSerial: c, status: 'good', unit: 'output', position: 41, batchId },
      { op: 'record', batchId, seq: 3, status: 'produced', attempts: 1, reasons: [], cardSerial: c, position: 41, machine: { version: 1 } },
    );
    const row = await cardRow(c);
    expect(row).toMatchObject({ status: 'good', unit: 'output', position: 41, reason: null, suspect: false });
    expect(Date.parse(row!.ended_at as string)).toBeGreaterThanOrEqual(Date.parse(row!.fed_at as string));
    expect((await store.records(batchId))[2]).toStrictEqual({ seq: 3, status: 'produced', attempts: 1, reasons: [], cardSerial: c, position: 41, machine: { version: 1 } });
    const rec: { ended_at: unknown } = await fx.db('records').where({ batch_id: batchId, seq: 3 }).first('ended_at');
    expect(iso(rec.ended_at)).toBe(row!.ended_at);
    // Only the fields an op names change: a later record op without card or machine leaves them.
    await store.journal.append({ op: 'record', batchId, seq: 3, status: 'produced', attempts: 2, reasons: [] });
    expect((await store.records(batchId))[2]).toMatchObject({ attempts: 2, cardSerial: c, position: 41, machine: { version: 1 } });
    expect(await store.spoilLog(batchId)).not.toContainEqual(expect.objectContaining({ cardSerial: c }));
  });

  it('stores a fed card reported again, in a later group or the same one, once and unchanged', async () => {
    const c = serial();
    await store.journal.append({ op: 'card.fed', cardSerial: c, batchId, seq: 4, attempt: 1, unit: 'feeder' });
    await store.journal.append({ op: 'card.unit', cardSerial: c, unit: 'laser' });
    const first = await cardRow(c);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // After a crash the PLC reports the feeder's result again.
    await store.journal.append({ op: 'card.fed', cardSerial: c, batchId, seq: 4, attempt: 1, unit: 'feeder' });
    expect(await cardRow(c)).toStrictEqual(first);
    expect((await eventsOf(c)).filter((e) => e.event === 'card.fed')).toHaveLength(2);

    const d = serial();
    await Promise.all([
      store.journal.append({ op: 'card.fed', cardSerial: d, batchId, seq: 4, attempt: 2, unit: 'feeder' }, { op: 'card.fed', cardSerial: d, batchId, seq: 4, attempt: 2, unit: 'feeder' }),
      store.journal.append({ op: 'card.fed', cardSerial: d, batchId, seq: 4, attempt: 2, unit: 'feeder' }),
    ]);
    const rows: unknown[] = await fx.db('cards').where({ card_serial: d });
    expect(rows).toHaveLength(1);
  });

  it('rolls a failing group back entirely and rejects all its callers; the next group commits', async () => {
    const [ok, bad] = [serial(), serial()];
    // Same turn, same group: the second caller's card names no batch (foreign key).
    const results = await Promise.allSettled([
      store.journal.append({ op: 'card.fed', cardSerial: ok, batchId, seq: 1, attempt: 2, unit: 'feeder' }, { op: 'event', event: 'x.before', cardSerial: ok }),
      store.journal.append({ op: 'card.fed', cardSerial: bad, batchId: '29991231-ffffff', seq: 1, attempt: 1, unit: 'feeder' }),
      store.journal.append({ op: 'record', batchId, seq: 1, status: 'failed', attempts: 3, reasons: ['x'] }),
    ]);
    expect(results.map((r) => r.status)).toStrictEqual(['rejected', 'rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY|foreign key/);
    expect(await cardRow(ok)).toBeUndefined();
    expect(await cardRow(bad)).toBeUndefined();
    expect(await eventsOf(ok)).toStrictEqual([]);
    expect((await store.records(batchId))[0]).toMatchObject({ status: 'in-line', attempts: 1 });

    await store.journal.append({ op: 'card.fed', cardSerial: ok, batchId, seq: 1, attempt: 2, unit: 'feeder' });
    expect(await cardRow(ok)).toMatchObject({ status: 'in-line', attempt: 2 });
  });

  it('refuses a value it cannot write as a literal, rejecting its group only', async () => {
    const c = serial();
    await expect(store.journal.append({ op: 'event', event: 'bad', cardSerial: c, reason: 'NUL\0here' })).rejects.toThrow(/NUL/);
    await expect(store.journal.append({ op: 'record', batchId, seq: 4, status: 'in-line', attempts: Number.NaN, reasons: [] })).rejects.toThrow(/finite/);
    await store.journal.append({ op: 'event', event: 'good', cardSerial: c });
    expect((await eventsOf(c)).map((e) => e.event)).toStrictEqual(['good']);
  });

  it('calls beforeCommit with the changes written but not committed: a throw there commits nothing', async () => {
    const c = serial();
    let calls = 0;
    store.journal.beforeCommit = () => {
      calls += 1;
      if (calls === 1) throw new Error('killed before commit');
    };
    await expect(store.journal.append({ op: 'card.fed', cardSerial: c, batchId, seq: 2, attempt: 2, unit: 'feeder' })).rejects.toThrow('killed before commit');
    expect(await cardRow(c)).toBeUndefined();
    await store.journal.append({ op: 'card.fed', cardSerial: c, batchId, seq: 2, attempt: 2, unit: 'feeder' });
    expect(calls).toBe(2);
    expect(await cardRow(c)).toMatchObject({ status: 'in-line' });
  });

  it('commits the appends of one turn together, and those made during a commit in the next one', async () => {
    const commits = countCommits();
    try {
      const cs = [serial(), serial(), serial(), serial(), serial()];
      await Promise.all(cs.slice(0, 3).map((c) => store.journal.append({ op: 'event', event: 'turn', cardSerial: c })));
      expect(commits.count).toBe(1);

      const late: Promise<void>[] = [];
      store.journal.beforeCommit = () => {
        store.journal.beforeCommit = undefined;
        late.push(store.journal.append({ op: 'event', event: 'late', cardSerial: cs[3]! }), store.journal.append({ op: 'event', event: 'late', cardSerial: cs[4]! }));
      };
      await store.journal.append({ op: 'event', event: 'first', cardSerial: cs[0]! });
      await Promise.all(late);
      expect(commits.count).toBe(3);
      const first: { at: unknown }[] = await fx.db('card_events').whereIn('card_serial', cs.slice(0, 3)).where({ event: 'turn' }).select('at');
      expect(new Set(first.map((r) => iso(r.at))).size).toBe(1);
      await store.journal.settled();
    } finally {
      commits.off();
    }
  });

  it('changes a batch status with its audit entry in the same commit, or neither', async () => {
    const c = serial();
    await store.journal.append({ op: 'batch.status', batchId, status: 'running', actor: 'op-7', detail: { line: LINE } }, { op: 'event', event: 'batch.running', cardSerial: c });
    const batch: { status: string } = await fx.db('batches').where({ id: batchId }).first('status');
    expect(batch.status).toBe('running');
    const audit = await listAudit(fx.db, { subjectId: batchId });
    expect(audit.at(-1)).toMatchObject({ actor: 'op-7', action: 'batch.running', subjectType: 'batch', subjectId: batchId, details: { line: LINE } });
    expect((await eventsOf(c)).map((e) => e.event)).toStrictEqual(['batch.running']);

    const d = serial();
    // appendAudit refuses an empty actor: the status change and the group's other ops roll back.
    await expect(store.journal.append({ op: 'batch.status', batchId, status: 'paused', actor: ' ' }, { op: 'event', event: 'batch.paused', cardSerial: d })).rejects.toThrow(/actor is empty/);
    const unchanged: { status: string } = await fx.db('batches').where({ id: batchId }).first('status');
    expect(unchanged.status).toBe('running');
    expect(await eventsOf(d)).toStrictEqual([]);
    expect(await listAudit(fx.db, { subjectId: batchId })).toHaveLength(audit.length);
  });

  it('waits for a knex transaction that holds the connection (SQLite has one)', async () => {
    const c = serial();
    let committed = false;
    let journalDone = false;
    let append: Promise<void> | undefined;
    await fx.db.transaction(async (trx) => {
      await trx('station_events').insert({ at: new Date().toISOString(), line_id: LINE, unit: 'x', event: 'held', detail: null });
      append = store.journal.append({ op: 'event', event: 'after.trx', cardSerial: c }).then(() => {
        journalDone = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 30));
      if (backend.name === 'sqlite') expect(journalDone).toBe(false);
      committed = true;
    });
    await append;
    expect(committed).toBe(true);
    expect((await eventsOf(c)).map((e) => e.event)).toStrictEqual(['after.trx']);
  });

  it('commits an empty append', async () => {
    const ops: JournalOp[] = [];
    await expect(store.journal.append(...ops)).resolves.toBeUndefined();
  });
});

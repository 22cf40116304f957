/**
 * The line's durable state: the physical cards, their events, the spoil log, blank stock, job ids
 * and machine snapshots, and each record's progress. Writes go through a journal that commits what
 * arrives together in one transaction (group commit): a caller awaiting `journal.append()` knows its
 * changes are durable — the controller acknowledges the PLC only then.
 */
import type { Knex } from 'knex';
import { appendAudit, type AuditInput } from './audit.ts';
import type { PackChange } from '../packing/pack.ts';
import { packChangeStatements, PackStore, writePackChanges } from './pack-store.ts';
import { dialectOf, insertSql, runStatements, updateSql, type Dialect } from './sql.ts';

export type CardStatus = 'in-line' | 'good' | 'spoiled';
export type RecordLineStatus = 'queued' | 'in-line' | 'produced' | 'failed' | 'cancelled';

export type JournalOp =
  | { readonly op: 'card.fed'; readonly cardSerial: string; readonly batchId: string; readonly seq: number; readonly attempt: number; readonly unit: string }
  | { readonly op: 'card.unit'; readonly cardSerial: string; readonly unit: string }
  | { readonly op: 'card.suspect'; readonly cardSerial: string }
  | {
      readonly op: 'card.ended';
      readonly cardSerial: string;
      readonly status: 'good' | 'spoiled';
      readonly unit: string;
      readonly reason?: string;
      readonly position?: number;
      readonly batchId: string | null;
    }
  | {
      readonly op: 'event';
      readonly event: string;
      readonly batchId?: string | null;
      readonly seq?: number | null;
      readonly attempt?: number | null;
      readonly cardSerial?: string | null;
      readonly unit?: string | null;
      readonly reason?: string | null;
      readonly detail?: Record<string, unknown>;
    }
  /**
   * A station unit's event (PackML state, link down/up). `at`, when given, is when the controller
   * saw it (ISO time), so the KPIs' time model does not depend on the commit's delay.
   */
  | { readonly op: 'station'; readonly unit: string; readonly event: string; readonly detail?: Record<string, unknown>; readonly at?: string }
  | {
      readonly op: 'record';
      readonly batchId: string;
      readonly seq: number;
      readonly status: RecordLineStatus;
      readonly attempts: number;
      readonly reasons: readonly unknown[];
      readonly cardSerial?: string | null;
      readonly position?: number | null;
      /** The card machine's persisted snapshot, at stable states. */
      readonly machine?: unknown;
    }
  | { readonly op: 'batch.status'; readonly batchId: string; readonly status: string; readonly actor: string; readonly detail?: Record<string, unknown> }
  /** A packer's plan changed (src/packing/planner.ts): packs opened, cards packed, packs closed. */
  | { readonly op: 'packs'; readonly batchId: string; readonly changes: readonly PackChange[] }
  /** An audit entry written in the same transaction as the ops beside it (an inspector's reject during a run). */
  | { readonly op: 'audit'; readonly entry: AuditInput };

export interface RecordProgress {
  readonly seq: number;
  readonly status: RecordLineStatus;
  readonly attempts: number;
  readonly reasons: readonly unknown[];
  readonly cardSerial: string | null;
  readonly position: number | null;
  readonly machine: unknown;
}

export interface CardRow {
  readonly cardSerial: string;
  readonly lineId: string;
  readonly batchId: string;
  readonly seq: number;
  readonly attempt: number;
  readonly status: CardStatus;
  readonly unit: string | null;
  readonly suspect: boolean;
  readonly position: number | null;
  readonly reason: string | null;
}

/** A stock load the store refuses (the lot was loaded already, with another count). */
export class StockError extends Error {
  override name = 'StockError';
}

interface StockLoadRow {
  id: number;
  line_id: string;
  lot: string;
  count: number | string;
  at: string | Date;
  actor: string;
}

export interface BatchAccounting {
  readonly records: { readonly total: number; readonly produced: number; readonly failed: number; readonly cancelled: number; readonly pending: number };
  readonly cards: { readonly blanksConsumed: number; readonly good: number; readonly spoiled: number; readonly inLine: number };
}

interface Pending {
  readonly ops: readonly JournalOp[];
  resolve(): void;
  reject(error: unknown): void;
}

/** Columns of a card as the feeder's Done inserts it. */
const CARD_COLUMNS = ['card_serial', 'line_id', 'batch_id', 'seq', 'attempt', 'status', 'unit', 'suspect', 'fed_at'] as const;
const EVENT_COLUMNS = ['at', 'line_id', 'batch_id', 'seq', 'attempt', 'card_serial', 'unit', 'event', 'reason', 'detail'] as const;
const STATION_COLUMNS = ['at', 'line_id', 'unit', 'event', 'detail'] as const;
const SPOIL_COLUMNS = ['at', 'line_id', 'batch_id', 'card_serial', 'reason', 'unit'] as const;

/** How a group commit went, for the listeners (the commit-latency histogram of /metrics). */
export interface JournalCommit {
  /** False when the group changed nothing, so nothing was written or synced. */
  readonly synced: boolean;
  /** From the start of the group's write (a wait for the pooled connection included) to the database reporting it synced, by the monotonic clock; 0 when not synced. */
  readonly seconds: number;
}

/** Hears each committed group of operations, with how its commit went. */
export type CommitListener = (ops: readonly JournalOp[], commit: JournalCommit) => void;

/** A commit's changes: the data statements, and the audit entries they carry. */
interface CommitPlan {
  /** Parameterless statements (values as literals); empty when the group changes nothing. */
  readonly statements: readonly string[];
  readonly audits: readonly AuditInput[];
}

/**
 * Group commit: everything appended while a commit is running goes into the next one, so the units
 * of a line share each commit and its sync. The database syncs every commit before it reports it
 * done (db.ts: SQLite synchronous=FULL in WAL mode, PostgreSQL synchronous_commit=on), so a caller
 * whose append() resolved may tell the PLC its result is safe: it survives a power cut.
 * On PostgreSQL a plain commit is one query string in one round trip (runStatements: an implicit
 * transaction); on SQLite it is a knex transaction with its statements one by one. Both go through
 * knex's pool, so on SQLite (one pooled connection) the commit waits for a knex transaction that
 * holds the connection.
 */
export class Journal {
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  /** Called inside the transaction, after its changes are written and before it commits (crash-test kill point). */
  beforeCommit: (() => void) | undefined;
  /**
   * Called when a commit is done (synced), with its operations, before the appenders it holds
   * learn it: a trace of what was durable when (the durability test orders acknowledgements by it),
   * the site's event stream and its alarms. A listener that throws affects neither the commit nor
   * the other listeners; its error goes to `onListenerError`.
   */
  private readonly commitListeners = new Set<CommitListener>();
  private legacyListener: ((ops: readonly JournalOp[]) => void) | undefined;
  /** Where a commit listener's error goes (default: a process warning naming the line). */
  onListenerError: (error: unknown) => void = (error) => {
    process.emitWarning(`journal of line ${this.lineId}: a commit listener failed: ${error instanceof Error ? error.message : String(error)}`);
  };
  private readonly dialect: Dialect;
  /**
   * Adds to a card event's detail as it is appended (src/qa/figures-notes.ts: a QA verdict takes
   * what the QA station measured), so the addition commits with the event.
   */
  annotate: ((op: Extract<JournalOp, { op: 'event' }>) => Record<string, unknown> | undefined) | undefined;

  constructor(
    private readonly db: Knex,
    private readonly lineId: string,
  ) {
    this.dialect = dialectOf(db);
  }

  /** Registers a listener for every committed group of operations; returns its removal. */
  addCommitListener(listener: CommitListener): () => void {
    // A wrapper, so the same function registered twice is called twice and removed once each.
    const entry: CommitListener = (ops, commit) => listener(ops, commit);
    this.commitListeners.add(entry);
    return () => {
      this.commitListeners.delete(entry);
    };
  }

  /** The single-listener form of addCommitListener (the durability tests' trace): setting it replaces the previous one. */
  get onCommitted(): ((ops: readonly JournalOp[]) => void) | undefined {
    return this.legacyListener;
  }

  set onCommitted(listener: ((ops: readonly JournalOp[]) => void) | undefined) {
    if (this.legacyListener) this.commitListeners.delete(this.legacyListener);
    this.legacyListener = listener;
    if (listener) this.commitListeners.add(listener);
  }

  append(...given: JournalOp[]): Promise<void> {
    const annotate = this.annotate;
    const ops = annotate
      ? given.map((o) => {
          if (o.op !== 'event') return o;
          const more = annotate(o);
          return more ? { ...o, detail: { ...o.detail, ...more } } : o;
        })
      : given;
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /** Resolves when everything appended so far is committed. */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    // Let the callers of this turn of the event loop join the same commit.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      try {
        await this.commit(group.length === 1 ? group[0]!.ops : group.flatMap((p) => p.ops));
        for (const p of group) p.resolve();
      } catch (error) {
        for (const p of group) p.reject(error);
      }
    }
    this.flushing = undefined;
  }

  private async commit(ops: readonly JournalOp[]): Promise<void> {
    const plan = this.plan(ops, new Date().toISOString());
    const started = performance.now();
    let synced = true;
    if (plan.statements.length === 0 && plan.audits.length === 0 && !this.beforeCommit) {
      // Nothing to write, nothing to sync.
      synced = false;
    } else if (this.dialect === 'postgres' && plan.audits.length === 0 && !this.beforeCommit) {
      await runStatements(this.db, this.dialect, plan.statements);
    } else {
      // A batch's status change is audited by appendAudit, which writes through the transaction.
      await this.db.transaction(async (trx) => {
        await runStatements(trx, this.dialect, plan.statements);
        for (const entry of plan.audits) await appendAudit(trx, entry);
        this.beforeCommit?.();
      });
    }
    const commit: JournalCommit = { synced, seconds: synced ? (performance.now() - started) / 1000 : 0 };
    for (const listener of [...this.commitListeners]) {
      try {
        listener(ops, commit);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  /** The group's changes as SQL statements, in the order the knex version of this journal ran them. */
  private plan(ops: readonly JournalOp[], at: string): CommitPlan {
    const d = this.dialect;
    const line = this.lineId;
    const statements: string[] = [];
    const add = (statement: string): void => {
      statements.push(statement);
    };
    const events: unknown[][] = [];
    const stations: unknown[][] = [];
    const spoils: unknown[][] = [];
    const audits: AuditInput[] = [];
    // New cards first: a card fed and rejected by its gate in one group is inserted, then ended.
    // A feeder result the PLC kept for a process that died after persisting it is reported again on
    // reconnection: the card is already known, and stays as it is.
    const fed = ops.flatMap((o) => (o.op === 'card.fed' ? [[o.cardSerial, line, o.batchId, o.seq, o.attempt, 'in-line', o.unit, false, at]] : []));
    if (fed.length > 0) add(insertSql(d, 'cards', CARD_COLUMNS, fed, 'on conflict (card_serial) do nothing'));
    // Within one commit only a card's last position matters, and none once it has ended.
    const lastUnitOp = new Map<string, number>();
    const endedHere = new Set<string>();
    ops.forEach((o, i) => {
      if (o.op === 'card.unit') lastUnitOp.set(o.cardSerial, i);
      else if (o.op === 'card.ended') endedHere.add(o.cardSerial);
    });
    for (const [i, o] of ops.entries()) {
      switch (o.op) {
        case 'card.fed':
          events.push([at, line, o.batchId, o.seq, o.attempt, o.cardSerial, o.unit, 'card.fed', null, null]);
          break;
        case 'card.unit':
          if (lastUnitOp.get(o.cardSerial) === i && !endedHere.has(o.cardSerial)) add(updateSql(d, 'cards', [['unit', o.unit]], [['card_serial', o.cardSerial]]));
          break;
        case 'card.suspect':
          add(updateSql(d, 'cards', [['suspect', true]], [['card_serial', o.cardSerial]]));
          break;
        case 'card.ended':
          add(
            updateSql(
              d,
              'cards',
              [['status', o.status], ['unit', o.unit], ['reason', o.reason ?? null], ['position', o.position ?? null], ['ended_at', at]],
              [['card_serial', o.cardSerial]],
            ),
          );
          if (o.status === 'spoiled') spoils.push([at, line, o.batchId, o.cardSerial, o.reason ?? 'unknown', o.unit]);
          break;
        case 'event':
          events.push([at, line, o.batchId ?? null, o.seq ?? null, o.attempt ?? null, o.cardSerial ?? null, o.unit ?? null, o.event, o.reason ?? null, o.detail ? JSON.stringify(o.detail) : null]);
          break;
        case 'station':
          stations.push([o.at ?? at, line, o.unit, o.event, o.detail ? JSON.stringify(o.detail) : null]);
          break;
        case 'record': {
          const set: [string, unknown][] = [['status', o.status], ['attempts', o.attempts], ['reasons', JSON.stringify(o.reasons)]];
          if (o.cardSerial !== undefined) set.push(['card_serial', o.cardSerial]);
          if (o.position !== undefined) set.push(['position', o.position]);
          if (o.machine !== undefined) set.push(['machine', JSON.stringify(o.machine)]);
          set.push(['ended_at', o.status === 'produced' || o.status === 'failed' || o.status === 'cancelled' ? at : null]);
          add(updateSql(d, 'records', set, [['batch_id', o.batchId], ['seq', o.seq]]));
          break;
        }
        case 'packs':
          for (const statement of packChangeStatements(d, line, o.batchId, o.changes, at)) add(statement);
          break;
        case 'batch.status':
          add(updateSql(d, 'batches', [['status', o.status], ['updated_at', at]], [['id', o.batchId]]));
          audits.push({ actor: o.actor, action: `batch.${o.status}`, subjectType: 'batch', subjectId: o.batchId, details: o.detail ?? {} });
          // The run's boundaries on the line's timeline (src/kpi: planned busy time is the time a run is under way).
          events.push([at, line, o.batchId, null, null, null, null, `batch.${o.status}`, null, null]);
          break;
        case 'audit':
          audits.push(o.entry);
          break;
      }
    }
    if (events.length > 0) add(insertSql(d, 'card_events', EVENT_COLUMNS, events));
    if (stations.length > 0) add(insertSql(d, 'station_events', STATION_COLUMNS, stations));
    if (spoils.length > 0) add(insertSql(d, 'spoil_log', SPOIL_COLUMNS, spoils));
    return { statements, audits };
  }
}

/** A record's new state after a card of it was rejected or written off outside a run. */
export interface RecordOutcome {
  readonly status: 'queued' | 'failed';
  readonly attempts?: number;
  readonly reasons: readonly unknown[];
  /** The card machine's `{ version, snapshot }`. */
  readonly machine: unknown;
}

function recordColumns(r: RecordOutcome): Record<string, unknown> {
  return { status: r.status, ...(r.attempts !== undefined ? { attempts: r.attempts } : {}), card_serial: null, position: null, reasons: JSON.stringify(r.reasons), machine: JSON.stringify(r.machine) };
}

/** A write-off found the card gone from the line (a run ended it meanwhile). */
export class CardLeftTheLine extends Error {
  override name = 'CardLeftTheLine';
}

export class LineStore {
  readonly journal: Journal;
  /** The delivery packs a packer of this line makes. */
  readonly packs: PackStore;

  constructor(
    readonly db: Knex,
    readonly lineId: string,
  ) {
    this.journal = new Journal(db, lineId);
    this.packs = new PackStore(db, lineId);
  }

  /**
   * Reserves `count` job ids, never given out before on this line. With `batchId`, the block is
   * recorded as that batch's: job files are named by job id only, and `purge` finds the files a
   * crash left behind through it.
   */
  async allocateJobIds(count: number, batchId?: string): Promise<number> {
    return this.db.transaction(async (trx) => {
      const row = await trx<LineStateRow>('line_state').where({ line_id: this.lineId }).first();
      const start = row ? Number(row.next_job_id) : 1;
      const now = new Date().toISOString();
      if (row) await trx('line_state').where({ line_id: this.lineId }).update({ next_job_id: start + count, updated_at: now });
      else await trx('line_state').insert({ line_id: this.lineId, next_job_id: start + count, batch_id: null, updated_at: now });
      if (batchId) await trx('job_id_blocks').insert({ line_id: this.lineId, first_id: start, count, batch_id: batchId, allocated_at: now });
      return start;
    });
  }

  /** Remembers the Modbus job folders (a unit's, holding jobs/ and outbox/) this line writes to, so `purge` looks there. */
  async rememberJobFolders(dirs: readonly string[]): Promise<void> {
    if (dirs.length === 0) return;
    const now = new Date().toISOString();
    await this.db('job_folders')
      .insert(dirs.map((dir) => ({ dir, line_id: this.lineId, last_used_at: now })))
      .onConflict('dir')
      .merge(['line_id', 'last_used_at']);
  }

  async records(batchId: string): Promise<RecordProgress[]> {
    const rows = await this.db<RecordLineRow>('records')
      .where({ batch_id: batchId })
      .select('seq', 'status', 'attempts', 'reasons', 'card_serial', 'position', 'machine')
      .orderBy('seq');
    return rows.map((r) => ({
      seq: Number(r.seq),
      status: (r.status === 'queued' || r.status === 'in-line' || r.status === 'produced' || r.status === 'failed' || r.status === 'cancelled' ? r.status : 'queued'),
      attempts: Number(r.attempts),
      reasons: r.reasons ? (JSON.parse(r.reasons) as unknown[]) : [],
      cardSerial: r.card_serial,
      position: r.position === null ? null : Number(r.position),
      machine: r.machine ? (JSON.parse(r.machine) as unknown) : null,
    }));
  }

  async card(cardSerial: string): Promise<CardRow | undefined> {
    const row = await this.db<CardDbRow>('cards').where({ card_serial: cardSerial }).first();
    return row ? toCard(row) : undefined;
  }

  /** A batch's stored status (undefined for a batch that does not exist). */
  async batchStatus(batchId: string): Promise<string | undefined> {
    const row: { status: string } | undefined = await this.db('batches').where({ id: batchId }).first('status');
    return row?.status;
  }

  /** Cards of this line still in the machine (after a crash: suspect). */
  async cardsInLine(): Promise<CardRow[]> {
    const rows = await this.db<CardDbRow>('cards').where({ line_id: this.lineId, status: 'in-line' });
    return rows.map(toCard);
  }

  async accounting(batchId: string): Promise<BatchAccounting> {
    const records: { status: string; n: number | string }[] = await this.db('records').where({ batch_id: batchId }).select('status').count({ n: '*' }).groupBy('status');
    const cards: { status: string; n: number | string }[] = await this.db('cards').where({ batch_id: batchId }).select('status').count({ n: '*' }).groupBy('status');
    const r = (s: string): number => Number(records.find((x) => x.status === s)?.n ?? 0);
    const c = (s: string): number => Number(cards.find((x) => x.status === s)?.n ?? 0);
    const total = records.reduce((sum, x) => sum + Number(x.n), 0);
    return {
      records: { total, produced: r('produced'), failed: r('failed'), cancelled: r('cancelled'), pending: total - r('produced') - r('failed') - r('cancelled') },
      cards: { blanksConsumed: cards.reduce((sum, x) => sum + Number(x.n), 0), good: c('good'), spoiled: c('spoiled'), inLine: c('in-line') },
    };
  }

  /**
   * Each unit's last recorded PackML state and last link change (the journal's `station`
   * operations): how a server that does not drive the line shows its stations.
   */
  async lastStationEvents(): Promise<{ unit: string; event: 'state' | 'link.up' | 'link.down'; at: string; detail: Record<string, unknown> }[]> {
    const latest = this.db('station_events').where({ line_id: this.lineId }).whereIn('event', ['state', 'link.up', 'link.down']).groupBy('unit', 'event').max({ id: 'id' });
    const rows: { unit: string; event: 'state' | 'link.up' | 'link.down'; at: string | Date; detail: string | null }[] = await this.db('station_events').whereIn('id', latest).orderBy('id').select('unit', 'event', 'at', 'detail');
    return rows.map((r) => ({ unit: r.unit, event: r.event, at: new Date(r.at).toISOString(), detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : {} }));
  }

  /** Every card of a batch: good ones by stacker position, then spoiled ones, then any still in the line. */
  async batchCards(batchId: string): Promise<CardRow[]> {
    const rows = await this.db<CardDbRow>('cards').where({ batch_id: batchId }).orderBy([{ column: 'status' }, { column: 'position' }, { column: 'card_serial' }]);
    return rows.map(toCard);
  }

  /** What happened to a card, oldest first: units, events, reason codes and non-personal details. */
  async cardEvents(cardSerial: string): Promise<{ at: string; unit: string | null; event: string; reason: string | null; detail: string | null }[]> {
    const rows: { at: string | Date; unit: string | null; event: string; reason: string | null; detail: string | null }[] = await this.db('card_events')
      .where({ card_serial: cardSerial })
      .orderBy('id')
      .select('at', 'unit', 'event', 'reason', 'detail');
    return rows.map((r) => ({ at: new Date(r.at).toISOString(), unit: r.unit, event: r.event, reason: r.reason, detail: r.detail }));
  }

  /** Whether the controller's QA verdict passed this card (a card event on record). */
  async cardPassedQa(cardSerial: string): Promise<boolean> {
    return (await this.db('card_events').where({ card_serial: cardSerial, event: 'qa.passed' }).first('id')) !== undefined;
  }

  async unaccountedCards(batchId: string): Promise<string[]> {
    const rows = await this.db<CardDbRow>('cards').where({ batch_id: batchId, status: 'in-line' }).select('card_serial').orderBy('card_serial');
    return rows.map((r) => r.card_serial);
  }

  async spoilLog(batchId: string): Promise<{ cardSerial: string; reason: string; unit: string | null; at: string }[]> {
    const rows = await this.db<SpoilRow>('spoil_log').where({ batch_id: batchId }).orderBy('id');
    return rows.map((r) => ({ cardSerial: r.card_serial, reason: r.reason, unit: r.unit, at: new Date(r.at).toISOString() }));
  }

  /**
   * Records a lot of blanks loaded into this line's feeder. A lot is loaded once: the same lot again
   * with the same count changes nothing ('already-loaded'), with another count it is refused
   * (StockError), so a load repeated after an error is never counted twice.
   */
  async loadStock(count: number, lot: string, actor: string): Promise<'loaded' | 'already-loaded'> {
    return this.db.transaction(async (trx) => {
      const earlier = await trx<StockLoadRow>('stock_loads').where({ line_id: this.lineId, lot }).first();
      if (earlier) {
        if (Number(earlier.count) === count) return 'already-loaded';
        throw new StockError(
          `lot ${lot} was loaded on line ${this.lineId} already, with ${earlier.count} blanks (${new Date(earlier.at).toISOString()}): a lot is loaded once; ` +
            `blanks of another load need their own --lot`,
        );
      }
      await trx('stock_loads').insert({ at: new Date().toISOString(), line_id: this.lineId, lot, count, actor });
      await appendAudit(trx, { actor, action: 'stock.loaded', subjectType: 'line', subjectId: this.lineId, details: { count, lot } });
      return 'loaded';
    });
  }

  /** The lots recorded on this line, oldest first. */
  async stockLoads(): Promise<{ lot: string; count: number; at: string; actor: string }[]> {
    const rows = await this.db<StockLoadRow>('stock_loads').where({ line_id: this.lineId }).orderBy('id');
    return rows.map((r) => ({ lot: r.lot, count: Number(r.count), at: new Date(r.at).toISOString(), actor: r.actor }));
  }

  /**
   * Compares the blanks the store holds available with the blanks the line reports in its
   * magazine. A difference is audited (stock.mismatch) and returned for the caller to warn about;
   * undefined when they agree.
   */
  async reconcileStock(lineReports: number, actor: string, when: string): Promise<{ store: number; line: number; difference: number } | undefined> {
    const { available } = await this.stock();
    if (available === lineReports) return undefined;
    const mismatch = { store: available, line: lineReports, difference: lineReports - available };
    await appendAudit(this.db, { actor, action: 'stock.mismatch', subjectType: 'line', subjectId: this.lineId, details: { ...mismatch, when } });
    return mismatch;
  }

  /** Blanks loaded on this line minus blanks that entered it. */
  async stock(): Promise<{ loaded: number; consumed: number; available: number }> {
    const loaded = await this.db('stock_loads').where({ line_id: this.lineId }).sum({ n: 'count' }).first();
    const consumed = await this.db('cards').where({ line_id: this.lineId }).count({ n: '*' }).first();
    const l = Number(loaded?.n ?? 0);
    const c = Number(consumed?.n ?? 0);
    return { loaded: l, consumed: c, available: l - c };
  }

  async putSnapshot(key: string, version: number, state: unknown, during?: () => void): Promise<void> {
    await this.db.transaction(async (trx) => {
      const at = new Date().toISOString();
      const text = JSON.stringify(state);
      const updated = await trx('snapshots').where({ key }).update({ version, state: text, at });
      if (updated === 0) await trx('snapshots').insert({ key, version, state: text, at });
      during?.();
    });
  }

  /**
   * An inspector's reject of a stacked card, in one transaction: the card spoiled, the spoil log,
   * its record back to re-make (or failed), the batch reopened when it is at one of `reopenFrom`
   * (compare-and-set), the audit entry. Returns whether the batch was reopened.
   */
  async rejectStackedCard(input: { card: CardRow; reason: string; record: RecordOutcome; reopenFrom: readonly string[]; audit: AuditInput; packChanges?: readonly PackChange[] }): Promise<boolean> {
    const { card } = input;
    return this.db.transaction(async (trx) => {
      const at = new Date().toISOString();
      // A packed card comes out of its pack, which reopens (its manifest is reissued when it closes again).
      if (input.packChanges) await writePackChanges(trx, card.lineId, card.batchId, input.packChanges);
      await trx('cards').where({ card_serial: card.cardSerial }).update({ status: 'spoiled', reason: input.reason, ended_at: at });
      await trx('spoil_log').insert({ at, line_id: card.lineId, batch_id: card.batchId, card_serial: card.cardSerial, reason: input.reason, unit: 'inspector' });
      await trx('records').where({ batch_id: card.batchId, seq: card.seq }).update(recordColumns(input.record));
      const reopened = await trx('batches').where({ id: card.batchId }).whereIn('status', [...input.reopenFrom]).update({ status: 'ready', updated_at: at });
      await appendAudit(trx, input.audit);
      return reopened === 1;
    });
  }

  /**
   * A supervisor's write-off of a card the records hold in the line, in one transaction, only while
   * the card is still in the line (a run that ended it meanwhile wins: CardLeftTheLine): the card
   * spoiled, the spoil log, a card event, its record (when it was the record's current card) back to
   * re-make or failed, the batch reopened when it is at one of `reopenFrom`, the audit entry.
   */
  async writeOffCard(input: { card: CardRow; reason: string; record: RecordOutcome | undefined; reopenFrom: readonly string[]; audit: AuditInput }): Promise<boolean> {
    const { card } = input;
    return this.db.transaction(async (trx) => {
      const at = new Date().toISOString();
      const changed = await trx('cards').where({ card_serial: card.cardSerial, status: 'in-line' }).update({ status: 'spoiled', reason: input.reason, ended_at: at });
      if (changed !== 1) throw new CardLeftTheLine(`card ${card.cardSerial} left the line meanwhile; nothing was changed`);
      await trx('spoil_log').insert({ at, line_id: card.lineId, batch_id: card.batchId, card_serial: card.cardSerial, reason: input.reason, unit: card.unit });
      await trx('card_events').insert({ at, line_id: card.lineId, batch_id: card.batchId, seq: card.seq, attempt: card.attempt, card_serial: card.cardSerial, unit: card.unit, event: 'card.written-off', reason: input.reason, detail: null });
      let reopened = 0;
      if (input.record) {
        await trx('records').where({ batch_id: card.batchId, seq: card.seq, status: 'in-line', attempts: card.attempt }).update({ ...recordColumns(input.record), ended_at: input.record.status === 'failed' ? at : null });
        if (input.record.status === 'queued') reopened = await trx('batches').where({ id: card.batchId }).whereIn('status', [...input.reopenFrom]).update({ status: 'ready', updated_at: at });
      }
      await appendAudit(trx, input.audit);
      return reopened === 1;
    });
  }

  async getSnapshot(key: string): Promise<{ version: number; state: unknown } | undefined> {
    const row = await this.db<SnapshotRow>('snapshots').where({ key }).first();
    return row ? { version: Number(row.version), state: JSON.parse(row.state) as unknown } : undefined;
  }
}

interface LineStateRow {
  line_id: string;
  next_job_id: number | string;
  batch_id: string | null;
  updated_at: string;
}

interface RecordLineRow {
  batch_id: string;
  seq: number;
  status: string;
  attempts: number;
  reasons: string | null;
  card_serial: string | null;
  position: number | null;
  machine: string | null;
}

interface CardDbRow {
  card_serial: string;
  line_id: string;
  batch_id: string;
  seq: number;
  attempt: number;
  status: string;
  unit: string | null;
  suspect: boolean | number;
  position: number | null;
  reason: string | null;
}

interface SpoilRow {
  id: number;
  batch_id: string | null;
  card_serial: string;
  reason: string;
  unit: string | null;
  at: string | Date;
}

interface SnapshotRow {
  key: string;
  version: number;
  state: string;
}

function toCard(row: CardDbRow): CardRow {
  return {
    cardSerial: row.card_serial,
    lineId: row.line_id,
    batchId: row.batch_id,
    seq: Number(row.seq),
    attempt: Number(row.attempt),
    status: row.status as CardStatus,
    unit: row.unit ?? null,
    suspect: Boolean(row.suspect),
    position: row.position === null ? null : Number(row.position),
    reason: row.reason ?? null,
  };
}

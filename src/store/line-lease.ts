/**
 * One controller per line. Two controllers driving the same PLCs would answer the same cards twice
 * and journal contradicting outcomes, so `cardline run` holds a lease on its line in the database
 * (shared by every controller of a PostgreSQL site) for as long as it runs, renewed every few
 * seconds. A lease is free again when its holder releases it, when its process is gone (same host:
 * a controller killed by a crash, so `run --resume` need not wait; the process is known by its pid
 * and its start time, so a pid since given to another process does not count), or when it has not been renewed
 * for `ttlMs` (another host). Operator actions that must not race a run (writing off a card) ask
 * whether the line is held.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import { toDate } from './sql.ts';

/** A lease not renewed for this long is free (its holder's host is down or cut off). */
export const LEASE_TTL_MS = 15_000;

export class LineBusyError extends Error {
  override name = 'LineBusyError';
}

export interface LeaseHolder {
  readonly lineId: string;
  readonly host: string;
  readonly pid: number;
  /** When the holder's process started (see processStart); null where that cannot be read. */
  readonly pidStarted: string | null;
  readonly batchId: string | null;
  readonly acquiredAt: Date;
  readonly renewedAt: Date;
}

/** Who this process is, and its clock: tests stand in for other processes and hosts. */
export interface LeaseIdentity {
  readonly host: string;
  readonly pid: number;
  /** When this process started (processStart). */
  readonly started: string | null;
  readonly now: () => number;
  /** Whether the process of this host with this pid, started then (when known), is still alive. */
  readonly alive: (pid: number, started: string | null) => boolean;
}

export const THIS_PROCESS: LeaseIdentity = { host: hostname(), pid: process.pid, started: processStart(process.pid), now: () => Date.now(), alive: processAlive };

interface LeaseRow {
  line_id: string;
  token: string;
  host: string;
  pid: number | string;
  pid_started: string | null;
  batch_id: string | null;
  acquired_at: unknown;
  renewed_at: unknown;
}

export class LineLease {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(
    private readonly db: Knex,
    readonly lineId: string,
    private readonly token: string,
    private readonly me: LeaseIdentity,
  ) {}

  /**
   * Takes the line's lease, or throws LineBusyError naming the run that holds it. `onLost` is called
   * when a renewal finds the lease taken by another controller (this one was thought dead): the
   * caller must stop driving the line.
   */
  static async acquire(
    db: Knex,
    lineId: string,
    options: { batchId?: string; ttlMs?: number; renewMs?: number; identity?: LeaseIdentity; onLost?: (holder: LeaseHolder | undefined) => void; onError?: (error: Error) => void } = {},
  ): Promise<LineLease> {
    const me = options.identity ?? THIS_PROCESS;
    const ttlMs = options.ttlMs ?? LEASE_TTL_MS;
    const token = randomUUID();
    const at = new Date(me.now()).toISOString();
    const row = { line_id: lineId, token, host: me.host, pid: me.pid, pid_started: me.started, batch_id: options.batchId ?? null, acquired_at: at, renewed_at: at };
    await db('line_leases').insert(row).onConflict('line_id').ignore();
    let current = await db<LeaseRow>('line_leases').where({ line_id: lineId }).first();
    if (current && current.token !== token) {
      const holder = toHolder(current);
      if (!isStale(holder, me, ttlMs)) {
        throw new LineBusyError(`line ${lineId} is being run by ${describeHolder(holder, me)}: only one controller may drive a line`);
      }
      // Taken over only if nobody else took it over meanwhile.
      const changed = await db('line_leases').where({ line_id: lineId, token: current.token }).update(row);
      current = changed === 1 ? await db<LeaseRow>('line_leases').where({ line_id: lineId }).first() : current;
      if (current?.token !== token) throw new LineBusyError(`line ${lineId} was taken over by another controller at the same moment: only one controller may drive a line`);
    }
    const lease = new LineLease(db, lineId, token, me);
    lease.timer = setInterval(() => {
      lease.renew().then(
        (held) => {
          if (held || lease.released) return;
          lease.stopRenewing();
          void LineLease.holder(db, lineId).then((h) => options.onLost?.(h), () => options.onLost?.(undefined));
        },
        (error: unknown) => options.onError?.(error instanceof Error ? error : new Error(String(error))),
      );
    }, options.renewMs ?? Math.floor(ttlMs / 3));
    lease.timer.unref();
    return lease;
  }

  /** The line's lease holder if the line is held now (a stale lease is no holder). */
  static async holder(db: Knex, lineId: string, options: { ttlMs?: number; identity?: LeaseIdentity } = {}): Promise<LeaseHolder | undefined> {
    const row = await db<LeaseRow>('line_leases').where({ line_id: lineId }).first();
    if (!row) return undefined;
    const holder = toHolder(row);
    return isStale(holder, options.identity ?? THIS_PROCESS, options.ttlMs ?? LEASE_TTL_MS) ? undefined : holder;
  }

  /** The holder of a lease taken for this batch, if one holds it now (the batch's run is alive). */
  static async holderOfBatch(db: Knex, batchId: string, options: { ttlMs?: number; identity?: LeaseIdentity } = {}): Promise<LeaseHolder | undefined> {
    const rows = await db<LeaseRow>('line_leases').where({ batch_id: batchId });
    const me = options.identity ?? THIS_PROCESS;
    return rows.map(toHolder).find((h) => !isStale(h, me, options.ttlMs ?? LEASE_TTL_MS));
  }

  /** Renews the lease; false when it is no longer ours. */
  async renew(): Promise<boolean> {
    if (this.released) return false;
    const changed = await this.db('line_leases').where({ line_id: this.lineId, token: this.token }).update({ renewed_at: new Date(this.me.now()).toISOString() });
    return changed === 1;
  }

  /**
   * Names the batch this lease's holder runs now, or none (a server that holds its line between
   * batches): `batch show` tells a live run from an interrupted one by it. False when the lease is
   * no longer ours.
   */
  async setBatch(batchId: string | null): Promise<boolean> {
    if (this.released) return false;
    const changed = await this.db('line_leases').where({ line_id: this.lineId, token: this.token }).update({ batch_id: batchId, renewed_at: new Date(this.me.now()).toISOString() });
    return changed === 1;
  }

  /** Frees the line (only this lease: a lease taken over by another controller stays). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.stopRenewing();
    await this.db('line_leases').where({ line_id: this.lineId, token: this.token }).delete();
  }

  private stopRenewing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** How a holder is named in messages: host, pid, batch and the age of its last renewal. */
export function describeHolder(holder: LeaseHolder, me: LeaseIdentity = THIS_PROCESS): string {
  const ago = Math.max(0, Math.round((me.now() - holder.renewedAt.getTime()) / 1000));
  return `process ${holder.pid} on ${holder.host}${holder.batchId ? ` (batch ${holder.batchId})` : ''}, running since ${holder.acquiredAt.toISOString()}, last sign of life ${ago} s ago`;
}

function toHolder(row: LeaseRow): LeaseHolder {
  return {
    lineId: row.line_id,
    host: row.host,
    pid: Number(row.pid),
    pidStarted: row.pid_started ?? null,
    batchId: row.batch_id,
    acquiredAt: toDate(row.acquired_at, `line_leases ${row.line_id}`),
    renewedAt: toDate(row.renewed_at, `line_leases ${row.line_id}`),
  };
}

function isStale(holder: LeaseHolder, me: LeaseIdentity, ttlMs: number): boolean {
  if (holder.host === me.host && !me.alive(holder.pid, holder.pidStarted)) return true;
  return me.now() - holder.renewedAt.getTime() > ttlMs;
}

function processAlive(pid: number, started: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, it is someone else's.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A process with this pid exists; it is the holder only if it started when the holder did.
  const now = started === null ? null : processStart(pid);
  return now === null || now === started;
}

/**
 * When a process started, as `<boot id>:<start time in clock ticks since boot>` (Linux /proc; the
 * boot id tells a pid of an earlier boot apart). Null where /proc cannot tell (another system, or
 * the process is gone): the pid alone then decides.
 */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Field 22 (starttime) is the 20th after the command name.
    const ticks = fields[19];
    if (!ticks || !/^\d+$/.test(ticks)) return null;
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${boot}:${ticks}`;
  } catch {
    return null;
  }
}

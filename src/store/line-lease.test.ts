// The one-controller-per-line lease on both store backends: taken, refused while its holder lives,
// taken over from a dead process (or one whose pid is now another process's) or a silent host,
// renewed, lost, released.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';
import { LEASE_TTL_MS, LineBusyError, LineLease, THIS_PROCESS, processStart, type LeaseHolder, type LeaseIdentity } from './line-lease.ts';

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe.each(BACKENDS)('LineLease on $name', (backend) => {
  let fx: StoreFixture;
  let lines = 0;
  /** A line no other test uses. */
  const line = (): string => `LL${++lines}`;

  beforeAll(async () => {
    fx = await backend.setup();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  /** Another controller: same host, another (living) process, or another host. */
  const other = (over: Partial<LeaseIdentity> = {}): LeaseIdentity => ({ ...THIS_PROCESS, pid: process.ppid, started: processStart(process.ppid), ...over });

  it('is taken by one controller; a second is refused with who holds it; released, it can be taken again', async () => {
    const id = line();
    const first = await LineLease.acquire(fx.db, id, { batchId: 'B1' });
    expect(await LineLease.holder(fx.db, id)).toMatchObject({ lineId: id, pid: process.pid, batchId: 'B1' });
    const second = LineLease.acquire(fx.db, id, { identity: other() });
    await expect(second).rejects.toBeInstanceOf(LineBusyError);
    await expect(second).rejects.toThrow(new RegExp(`line ${id} is being run by process ${process.pid} on .* \\(batch B1\\), running since .*, last sign of life \\d+ s ago: only one controller may drive a line`));
    await first.release();
    expect(await LineLease.holder(fx.db, id)).toBeUndefined();
    const again = await LineLease.acquire(fx.db, id, { identity: other() });
    expect(await LineLease.holder(fx.db, id)).toMatchObject({ pid: process.ppid });
    await again.release();
  });

  it('is taken over at once from a dead process of the same host (a controller killed by a crash)', async () => {
    const id = line();
    await LineLease.acquire(fx.db, id, { identity: other({ pid: deadPid() }), renewMs: 3_600_000 });
    expect(await LineLease.holder(fx.db, id)).toBeUndefined();
    const mine = await LineLease.acquire(fx.db, id);
    expect(await LineLease.holder(fx.db, id)).toMatchObject({ pid: process.pid });
    await mine.release();
  });

  it('is taken over at once when its pid now belongs to another process of the same host (pid reuse)', async () => {
    const id = line();
    // The holder's pid is alive (it is ours), but that process started at another time: not the holder.
    expect(THIS_PROCESS.started).toMatch(/^[0-9a-f-]+:\d+$/);
    await LineLease.acquire(fx.db, id, { identity: other({ pid: process.pid, started: `${THIS_PROCESS.started!.split(':')[0]}:1` }), renewMs: 3_600_000 });
    expect(await LineLease.holder(fx.db, id)).toBeUndefined();
    const mine = await LineLease.acquire(fx.db, id);
    expect(await LineLease.holder(fx.db, id)).toMatchObject({ pid: process.pid, pidStarted: THIS_PROCESS.started });
    await mine.release();
  });

  it('is taken over from another host only once it has not been renewed for the TTL', async () => {
    const id = line();
    const now = Date.now();
    // Another host's process cannot be checked: its lease counts until it goes silent.
    const elsewhere = await LineLease.acquire(fx.db, id, { identity: other({ host: 'line-pc-7', pid: 4242, now: () => now - LEASE_TTL_MS + 5_000 }), renewMs: 3_600_000 });
    await expect(LineLease.acquire(fx.db, id)).rejects.toThrow(/is being run by process 4242 on line-pc-7/);
    const later = { ...THIS_PROCESS, now: () => Date.now() + 10_000 };
    expect(await LineLease.holder(fx.db, id, { identity: later })).toBeUndefined();
    const mine = await LineLease.acquire(fx.db, id, { identity: later });
    // The silent holder finds its lease gone and does not release ours.
    expect(await elsewhere.renew()).toBe(false);
    await elsewhere.release();
    expect(await LineLease.holder(fx.db, id, { identity: later })).toMatchObject({ pid: process.pid });
    await mine.release();
  });

  it('is renewed while held; a holder whose lease was taken over is told', async () => {
    const id = line();
    let t = Date.now();
    const clock: LeaseIdentity = { ...THIS_PROCESS, host: 'line-pc-8', now: () => t };
    const lost: (LeaseHolder | undefined)[] = [];
    const lease = await LineLease.acquire(fx.db, id, { identity: clock, renewMs: 20, onLost: (h) => lost.push(h) });
    t += LEASE_TTL_MS - 1_000;
    await new Promise((r) => setTimeout(r, 100));
    // Renewed at the new time: still held a whole TTL later than it was taken.
    expect(await LineLease.holder(fx.db, id, { identity: { ...clock, now: () => t + 2_000 } })).toMatchObject({ host: 'line-pc-8' });
    const usurper = await LineLease.acquire(fx.db, id, { identity: { ...THIS_PROCESS, now: () => t + LEASE_TTL_MS + 1_000 } });
    const deadline = Date.now() + 5_000;
    while (lost.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ pid: process.pid, host: THIS_PROCESS.host });
    await lease.release();
    await usurper.release();
  });
});

/**
 * The controller's Clock on the virtual clock: a station link given it judges the PLC heartbeat in
 * simulated time (a link on the system clock would not notice a virtual second), and its timers
 * leave the clock's queue when the link closes.
 */
import { describe, expect, it } from 'vitest';
import { HandshakeLink } from '../../src/plc/handshake-link.ts';
import { MemoryTransport } from '../../src/plc/memory-transport.ts';
import { PACKML_STATES } from '../../src/plc/packml.ts';
import type { StationEvent } from '../../src/plc/station-link.ts';
import { TagStore } from '../../src/plc/tag-store.ts';
import { VirtualClock } from './clock.ts';
import { VIRTUAL_EPOCH_MS, VirtualHostClock } from './host-clock.ts';

describe('VirtualHostClock', () => {
  it('tells simulated time from its epoch and runs timeouts and intervals as clock events', () => {
    const clock = new VirtualClock();
    const host = new VirtualHostClock(clock);
    const seen: string[] = [];
    const timeout = host.setTimeout(() => seen.push(`timeout ${host.now() - VIRTUAL_EPOCH_MS}`), 300);
    const cancelled = host.setTimeout(() => seen.push('cancelled'), 200);
    host.clearTimeout(cancelled);
    const interval = host.setInterval(() => seen.push(`tick ${host.now() - VIRTUAL_EPOCH_MS}`), 250);
    clock.run(600);
    host.clearInterval(interval);
    host.clearTimeout(timeout);
    clock.run(2000);
    expect(seen).toStrictEqual(['tick 250', 'timeout 300', 'tick 500']);
    expect(host.now()).toBe(VIRTUAL_EPOCH_MS + 2000);
  });

  it('makes a station link judge a frozen PLC heartbeat in simulated time', async () => {
    const clock = new VirtualClock();
    const store = new TagStore('laser');
    store.setPlc({ StateCurrent: PACKML_STATES.Execute });
    const link = new HandshakeLink('laser', new MemoryTransport(store), { heartbeatMs: 2000, hostHeartbeatPeriodMs: 1000 }, new VirtualHostClock(clock));
    const events: StationEvent['type'][] = [];
    link.subscribe((e) => events.push(e.type));
    await link.connect();
    expect(link.connected).toBe(true);
    // The heartbeat is watched every 500 simulated ms; it is stale once 2000 have passed without a change.
    clock.run(2000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(link.connected).toBe(true);
    clock.run(2500);
    expect(link.connected).toBe(false);
    expect(events).toContain('plc.link.down');
    await link.close();
    clock.run(10_000);
    expect(clock.pending).toBe(0);
  });
});

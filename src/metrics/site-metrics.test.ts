/**
 * The site's metrics registry fed by a real event bus: ended cards counted by line, station (from
 * the lines' units), result and reason code; card cycle times observed from the fed/ended events;
 * station state gauges 1 for the current PackML state; WIP, feeder, stacker and active alarms read
 * at scrape time; no serial or batch id ever in the exposition.
 */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../events/event-bus.ts';
import type { CardStep } from '../events/site-event.ts';
import type { AlarmView, LineStatusView, ObservedLine, SiteRuntime, UnitStatus } from '../site/runtime.ts';
import type { CommitListener } from '../store/line-store.ts';
import { createSiteMetrics } from './site-metrics.ts';

function unit(id: string, state: string, connected = true): UnitStatus {
  return { id, state, mode: 'Production', connected, heartbeatAgeMs: 250, processed: 0, defective: 0, reconnects: 1 };
}

const line: LineStatusView = {
  id: 'L1',
  name: 'Line 1',
  simulated: true,
  phase: 'running',
  drivenBy: 'this server',
  stations: [
    { id: 'feeder', kind: 'feeder', units: [unit('feeder', 'Execute')] },
    { id: 'encoder', kind: 'encoder', units: [unit('encoder.1', 'Execute'), unit('encoder.2', 'Held', false)] },
    { id: 'output', kind: 'output', units: [unit('output', 'Suspended')] },
  ],
  batch: { batchId: 'B-SECRET-1', status: 'running', records: 10, good: 2, spoiled: 1, pending: 5, inLine: 3, cardsPerHour: 1200, etaSeconds: 30 },
  queue: ['B-SECRET-2'],
  stock: { blanksAvailable: 480, stackerFill: 0.25 },
};

const alarm = (id: string, priority: AlarmView['priority']): AlarmView => ({
  id,
  lineId: 'L1',
  unitId: 'encoder.2',
  condition: 'station.held',
  message: 'held',
  priority,
  state: 'active-unacknowledged',
  raisedAt: '2026-12-07T10:00:00.000Z',
  clearedAt: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
});

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels);
  for (const row of text.split('\n')) {
    if (!row.startsWith(`${name}{`) && !row.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(row);
    if (!m) continue;
    const got = new Map([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (got.size === want.length && want.every(([k, v]) => got.get(k) === v)) return Number(m[2]);
  }
  return undefined;
}

describe('the site metrics registry', () => {
  it('counts the cards the bus reports and reads the lines and alarms at scrape time', async () => {
    const bus = new EventBus();
    const site: Pick<SiteRuntime, 'events' | 'lines' | 'alarms'> = {
      events: bus,
      lines: () => Promise.resolve([line]),
      alarms: { list: (filter) => Promise.resolve(filter?.activeOnly ? [alarm('a1', 'high'), alarm('a2', 'high'), alarm('a3', 'low')] : []), acknowledge: () => Promise.reject(new Error('not here')) },
    };
    const metrics = createSiteMetrics(site);
    const card = (step: CardStep, serial: string, unitId: string | null, at: number, reason?: string): void => {
      bus.publish({ type: 'card', lineId: 'L1', step, cardSerial: serial, batchId: 'B-SECRET-1', seq: 1, attempt: 1, unitId, ...(reason ? { reason } : {}) }, new Date(at));
    };
    const t0 = Date.parse('2026-12-07T10:00:00Z');
    // Card 1: good, 4 s in the line; card 2: rejected by encoder head 2, 1.5 s; card 3 likewise; card 4 still in the line; card 5 marked suspect.
    card('fed', 'T0001', 'feeder', t0);
    card('encoded', 'T0001', 'encoder.1', t0 + 1000);
    card('stacked', 'T0001', 'output', t0 + 4000);
    card('fed', 'T0002', 'feeder', t0 + 500);
    card('rejected', 'T0002', 'encoder.2', t0 + 2000, 'CHIP_WRITE_FAILED');
    card('fed', 'T0003', 'feeder', t0 + 600);
    card('rejected', 'T0003', 'encoder.2', t0 + 2600, 'CHIP_WRITE_FAILED');
    card('fed', 'T0004', 'feeder', t0 + 700);
    card('suspect', 'T0005', null, t0 + 800);
    // Another server's card, relayed to this one: that server counts it, so the site's sum counts it once.
    bus.publish({ type: 'card', lineId: 'L1', step: 'stacked', cardSerial: 'T0009', batchId: 'B-SECRET-1', seq: 9, attempt: 1, unitId: 'output' }, new Date(t0 + 900), 'srv-b:4242');
    // Other events change no card counter.
    bus.publish({ type: 'counters', lineId: 'L1', batchId: 'B-SECRET-1', good: 1, spoiled: 2, pending: 0, inLine: 1, cardsPerHour: null });

    const text = await metrics.text();
    expect(sample(text, 'cardline_cards_total', { line: 'L1', station: 'output', result: 'good', reason: 'none' })).toBe(1);
    expect(sample(text, 'cardline_cards_total', { line: 'L1', station: 'encoder', result: 'spoiled', reason: 'CHIP_WRITE_FAILED' })).toBe(2);
    // A suspect mark is a step: the card has not left the line.
    expect(text).not.toMatch(/station="unknown"|result="suspect"/);
    expect(sample(text, 'cardline_card_steps_total', { line: 'L1', step: 'suspect' })).toBe(1);
    expect(sample(text, 'cardline_card_steps_total', { line: 'L1', step: 'fed' })).toBe(4);
    expect(sample(text, 'cardline_card_steps_total', { line: 'L1', step: 'encoded' })).toBe(1);
    // Cycle times: 4 s good; 1.5 s and 2 s spoiled.
    expect(sample(text, 'cardline_card_cycle_seconds_count', { line: 'L1', result: 'good' })).toBe(1);
    expect(sample(text, 'cardline_card_cycle_seconds_sum', { line: 'L1', result: 'good' })).toBe(4);
    expect(sample(text, 'cardline_card_cycle_seconds_sum', { line: 'L1', result: 'spoiled' })).toBe(3.5);
    expect(sample(text, 'cardline_card_cycle_seconds_bucket', { line: 'L1', result: 'spoiled', le: '2' })).toBe(2);
    expect(sample(text, 'cardline_card_cycle_seconds_bucket', { line: 'L1', result: 'spoiled', le: '1' })).toBe(0);

    expect(sample(text, 'cardline_station_state', { line: 'L1', unit: 'encoder.2', state: 'Held' })).toBe(1);
    expect(sample(text, 'cardline_station_state', { line: 'L1', unit: 'encoder.2', state: 'Execute' })).toBe(0);
    expect(sample(text, 'cardline_station_state', { line: 'L1', unit: 'output', state: 'Suspended' })).toBe(1);
    const ones = text.split('\n').filter((r) => r.startsWith('cardline_station_state{') && r.endsWith(' 1'));
    expect(ones).toHaveLength(4);
    expect(sample(text, 'cardline_station_connected', { line: 'L1', unit: 'encoder.2' })).toBe(0);
    expect(sample(text, 'cardline_station_connected', { line: 'L1', unit: 'encoder.1' })).toBe(1);
    expect(sample(text, 'cardline_station_heartbeat_age_seconds', { line: 'L1', unit: 'feeder' })).toBe(0.25);
    expect(sample(text, 'cardline_wip_cards', { line: 'L1' })).toBe(3);
    expect(sample(text, 'cardline_feeder_blanks', { line: 'L1' })).toBe(480);
    expect(sample(text, 'cardline_stacker_fill_ratio', { line: 'L1' })).toBe(0.25);
    expect(sample(text, 'cardline_queued_batches', { line: 'L1' })).toBe(1);
    expect(sample(text, 'cardline_line_running', { line: 'L1' })).toBe(1);
    expect(sample(text, 'cardline_alarms_active', { line: 'L1', priority: 'high' })).toBe(2);
    expect(sample(text, 'cardline_alarms_active', { line: 'L1', priority: 'low' })).toBe(1);
    expect(sample(text, 'cardline_alarms_active', { line: 'L1', priority: 'urgent' })).toBe(0);
    // No serial, batch id or default process metric.
    expect(text).not.toMatch(/T000\d|B-SECRET|process_cpu|nodejs_/);

    // Counters keep counting after a scrape, with the station known at once.
    card('stacked', 'T0004', 'output', t0 + 9000);
    const again = await metrics.text();
    expect(sample(again, 'cardline_cards_total', { line: 'L1', station: 'output', result: 'good', reason: 'none' })).toBe(2);
    metrics.close();
    card('fed', 'T0006', 'feeder', t0 + 9500);
    expect(sample(await metrics.text(), 'cardline_card_steps_total', { line: 'L1', step: 'fed' })).toBe(4);
  });

  it("observes each durable journal commit of an attached line, not the groups that changed nothing, until detached", async () => {
    const site: Pick<SiteRuntime, 'events' | 'lines' | 'alarms'> = { events: new EventBus(), lines: () => Promise.resolve([line]), alarms: { list: () => Promise.resolve([]), acknowledge: () => Promise.reject(new Error('not here')) } };
    const metrics = createSiteMetrics(site);
    const listeners = new Set<CommitListener>();
    const observed: ObservedLine = {
      lineId: 'L1',
      links: new Map(),
      onCommitted: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      progress: () => null,
    };
    const commit = (synced: boolean, seconds: number): void => {
      for (const l of listeners) l([], { synced, seconds });
    };
    const detach = metrics.observer.attach(observed);
    commit(true, 0.0015);
    commit(true, 0.004);
    commit(true, 0.3);
    commit(false, 0);
    const text = await metrics.text();
    const name = 'cardline_journal_commit_duration_seconds';
    expect(sample(text, `${name}_count`, { line: 'L1' })).toBe(3);
    expect(sample(text, `${name}_sum`, { line: 'L1' })).toBeCloseTo(0.3055, 9);
    expect(sample(text, `${name}_bucket`, { line: 'L1', le: '0.001' })).toBe(0);
    expect(sample(text, `${name}_bucket`, { line: 'L1', le: '0.0025' })).toBe(1);
    expect(sample(text, `${name}_bucket`, { line: 'L1', le: '0.005' })).toBe(2);
    expect(sample(text, `${name}_bucket`, { line: 'L1', le: '0.5' })).toBe(3);
    detach();
    expect(listeners.size).toBe(0);
    metrics.close();
  });
});

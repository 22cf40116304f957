/**
 * The site's Prometheus metrics (docs/metrics.md): a registry of its own (no global default
 * metrics) fed from the site's event bus (cards ended, card cycle times) and, at each scrape, from
 * the lines' status (station states, links, WIP, feeder, stacker) and the alarm board. Labels are
 * bounded sets taken from the site file and the code tables — line, station and unit ids, PackML
 * states, reason codes, alarm priorities — never a card serial, a batch id or anything personal.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SiteEvent } from '../events/site-event.ts';
import { PACKML_STATES } from '../plc/packml.ts';
import type { LineObserver, LineStatusView, SiteRuntime } from '../site/runtime.ts';

/** The result label of a card that left the line: stacked good or spoiled (rejected). A suspect mark is a step, not an exit: the card still ends. */
export type CardResult = 'good' | 'spoiled';

const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
const STATES = [...Object.keys(PACKML_STATES), 'unknown'];
/** Cards whose feed time is remembered for the cycle-time histogram; beyond it the oldest is forgotten. */
const MAX_TRACKED_CARDS = 10_000;

export interface SiteMetrics {
  readonly registry: Registry;
  /** The exposition text after reading the lines' status and the alarm board once. */
  text(): Promise<string>;
  readonly contentType: string;
  /** Times the card handshake of each unit's link and the journal's commits: give it to the Site with the other observers. */
  readonly observer: LineObserver;
  /** Stops listening to the event bus. */
  close(): void;
}

interface CardCount {
  readonly line: string;
  readonly unit: string | null;
  readonly result: CardResult;
  readonly reason: string;
  count: number;
}

export function createSiteMetrics(site: Pick<SiteRuntime, 'events' | 'lines' | 'alarms'>): SiteMetrics {
  const registry = new Registry();
  const cards = new Counter({ name: 'cardline_cards_total', help: 'Cards that left the line, by the station that ended them, result (good or spoiled) and reason code ("none" for good cards).', labelNames: ['line', 'station', 'result', 'reason'], registers: [registry] });
  const steps = new Counter({ name: 'cardline_card_steps_total', help: 'Card steps committed to the journal (fed, encoded, engraved, inspected, stacked, packed, rejected, suspect).', labelNames: ['line', 'step'], registers: [registry] });
  const cycle = new Histogram({
    name: 'cardline_card_cycle_seconds',
    help: 'Time from a card being fed to it leaving the line (stacked or rejected), from the journal events.',
    labelNames: ['line', 'result'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const state = new Gauge({ name: 'cardline_station_state', help: 'PackML state of a station unit: 1 for its current state, 0 for the others ("unknown" before its first report).', labelNames: ['line', 'unit', 'state'], registers: [registry] });
  const mode = new Gauge({ name: 'cardline_station_mode', help: 'PackML unit mode of a station unit: 1 for its current mode.', labelNames: ['line', 'unit', 'mode'], registers: [registry] });
  const connected = new Gauge({ name: 'cardline_station_connected', help: "1 when the station unit's link is up, 0 when down.", labelNames: ['line', 'unit'], registers: [registry] });
  const heartbeat = new Gauge({ name: 'cardline_station_heartbeat_age_seconds', help: 'Seconds since the station unit last reported (absent before its first report).', labelNames: ['line', 'unit'], registers: [registry] });
  const reconnects = new Gauge({ name: 'cardline_station_reconnects', help: "Times the unit's link reconnected since the server drives the line.", labelNames: ['line', 'unit'], registers: [registry] });
  const wip = new Gauge({ name: 'cardline_wip_cards', help: 'Cards inside the line (fed, not yet stacked or rejected).', labelNames: ['line'], registers: [registry] });
  const blanks = new Gauge({ name: 'cardline_feeder_blanks', help: 'Blank cards available to the line (the stock count).', labelNames: ['line'], registers: [registry] });
  const stacker = new Gauge({ name: 'cardline_stacker_fill_ratio', help: 'How full the fullest output stacker is, 0–1 (absent when the line does not report it).', labelNames: ['line'], registers: [registry] });
  const queued = new Gauge({ name: 'cardline_queued_batches', help: 'Batches waiting in the line queue.', labelNames: ['line'], registers: [registry] });
  const running = new Gauge({ name: 'cardline_line_running', help: '1 while the line runs a batch (phase running or pausing), else 0.', labelNames: ['line'], registers: [registry] });
  const alarms = new Gauge({ name: 'cardline_alarms_active', help: 'Alarms active (acknowledged or not), by priority.', labelNames: ['line', 'priority'], registers: [registry] });
  const ack = new Histogram({
    name: 'cardline_job_ack_seconds',
    help: "Card handshake: from the unit reporting a card present to it accepting the card's job (the controller's job write and the PLC's acknowledgement), timed on the link's events.",
    labelNames: ['line', 'unit'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const job = new Histogram({
    name: 'cardline_job_seconds',
    help: "A unit's job: from it accepting the card's job to reporting it done (result good or failed), timed on the link's events.",
    labelNames: ['line', 'unit', 'result'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const commit = new Histogram({
    name: 'cardline_journal_commit_duration_seconds',
    help: "A durable group commit of the line's journal (the card results a PLC waits for before its DoneAck): from the start of its write (a wait for the database connection included) to the database reporting it synced. Groups that change nothing are not counted.",
    labelNames: ['line'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const scrape = new Histogram({ name: 'cardline_metrics_scrape_seconds', help: 'Time to read the lines and alarms for one scrape.', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] });

  const counts = new Map<string, CardCount>();
  const fedAt = new Map<string, number>();
  let unitStation = new Map<string, string>();

  const countCard = (line: string, unit: string | null, result: CardResult, reason: string): void => {
    const key = JSON.stringify([line, unit, result, reason]);
    const entry = counts.get(key) ?? { line, unit, result, reason, count: 0 };
    entry.count++;
    counts.set(key, entry);
    cards.inc({ line, station: stationOf(line, unit), result, reason });
  };
  const stationOf = (line: string, unit: string | null): string => (unit === null ? 'unknown' : (unitStation.get(`${line}\u0000${unit}`) ?? 'unknown'));

  const onEvent = (event: SiteEvent): void => {
    // Another server's card (relayed): that server counts it, so a site's sum counts it once.
    if (event.type !== 'card' || event.relayedFrom !== undefined) return;
    steps.inc({ line: event.lineId, step: event.step });
    const at = Date.parse(event.at);
    const key = `${event.lineId}\u0000${event.cardSerial}`;
    if (event.step === 'fed') {
      fedAt.set(key, at);
      if (fedAt.size > MAX_TRACKED_CARDS) fedAt.delete(fedAt.keys().next().value!);
      return;
    }
    if (event.step !== 'stacked' && event.step !== 'rejected') return;
    const result: CardResult = event.step === 'stacked' ? 'good' : 'spoiled';
    countCard(event.lineId, event.unitId, result, result === 'good' ? 'none' : (event.reason ?? 'none'));
    const fed = fedAt.get(key);
    if (fed !== undefined) {
      fedAt.delete(key);
      cycle.observe({ line: event.lineId, result }, Math.max(0, (at - fed) / 1000));
    }
  };
  const unsubscribe = site.events.subscribe(onEvent);

  /** Re-labels the card counts by station once the units' stations are known (a card may end before the first scrape). */
  const relabelCards = (): void => {
    cards.reset();
    for (const c of counts.values()) cards.inc({ line: c.line, station: stationOf(c.line, c.unit), result: c.result, reason: c.reason }, c.count);
  };

  const fromLines = (lines: readonly LineStatusView[]): void => {
    const map = new Map<string, string>();
    for (const line of lines) for (const station of line.stations) for (const unit of station.units) map.set(`${line.id}\u0000${unit.id}`, station.id);
    const changed = map.size !== unitStation.size || [...map].some(([k, v]) => unitStation.get(k) !== v);
    unitStation = map;
    if (changed) relabelCards();
    for (const g of [state, mode, connected, heartbeat, reconnects, wip, blanks, stacker, queued, running]) g.reset();
    for (const line of lines) {
      for (const station of line.stations) {
        for (const unit of station.units) {
          const labels = { line: line.id, unit: unit.id };
          for (const s of STATES) state.set({ ...labels, state: s }, s === unit.state ? 1 : 0);
          if (!STATES.includes(unit.state)) state.set({ ...labels, state: 'unknown' }, 1);
          mode.set({ ...labels, mode: unit.mode }, 1);
          connected.set(labels, unit.connected ? 1 : 0);
          if (unit.heartbeatAgeMs !== null) heartbeat.set(labels, unit.heartbeatAgeMs / 1000);
          reconnects.set(labels, unit.reconnects);
        }
      }
      wip.set({ line: line.id }, line.batch?.inLine ?? 0);
      blanks.set({ line: line.id }, line.stock.blanksAvailable);
      if (line.stock.stackerFill !== null) stacker.set({ line: line.id }, line.stock.stackerFill);
      queued.set({ line: line.id }, line.queue.length);
      running.set({ line: line.id }, line.phase === 'running' || line.phase === 'pausing' ? 1 : 0);
    }
  };

  const observer: LineObserver = {
    attach(line) {
      const offs: (() => void)[] = [];
      offs.push(
        line.onCommitted((_ops, done) => {
          if (done.synced) commit.observe({ line: line.lineId }, done.seconds);
        }),
      );
      for (const [unitId, link] of line.links) {
        // When each card came and when its job was accepted (monotonic clock), by card serial; never a label.
        const presentAt = new Map<string, number>();
        const acceptedAt = new Map<string, number>();
        const labels = { line: line.lineId, unit: unitId };
        offs.push(
          link.subscribe((event) => {
            const now = performance.now();
            switch (event.type) {
              case 'plc.card.present':
                presentAt.set(event.cardSerial, now);
                if (presentAt.size > 64) presentAt.delete(presentAt.keys().next().value!);
                break;
              case 'plc.job.accepted': {
                const came = presentAt.get(event.cardSerial);
                if (came !== undefined) ack.observe(labels, (now - came) / 1000);
                presentAt.delete(event.cardSerial);
                acceptedAt.set(event.cardSerial, now);
                if (acceptedAt.size > 64) acceptedAt.delete(acceptedAt.keys().next().value!);
                break;
              }
              case 'plc.job.done':
              case 'plc.job.failed': {
                const accepted = acceptedAt.get(event.cardSerial);
                if (accepted !== undefined) job.observe({ ...labels, result: event.type === 'plc.job.done' && event.result === 0 ? 'good' : 'failed' }, (now - accepted) / 1000);
                acceptedAt.delete(event.cardSerial);
                break;
              }
              case 'plc.link.down':
                presentAt.clear();
                acceptedAt.clear();
                break;
              default:
                break;
            }
          }),
        );
      }
      return () => {
        for (const off of offs.splice(0)) off();
      };
    },
  };

  return {
    registry,
    observer,
    contentType: registry.contentType,
    async text() {
      const end = scrape.startTimer();
      const [lines, active] = await Promise.all([site.lines(), site.alarms.list({ activeOnly: true, limit: 10_000 })]);
      fromLines(lines);
      alarms.reset();
      for (const line of lines) for (const priority of PRIORITIES) alarms.set({ line: line.id, priority }, 0);
      for (const alarm of active) alarms.inc({ line: alarm.lineId, priority: alarm.priority });
      end();
      return registry.metrics();
    },
    close() {
      unsubscribe();
    },
  };
}

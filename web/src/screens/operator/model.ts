/**
 * What the operator panel knows of one line, and how each live event changes it: pure functions
 * from (model, event) to the next model, so the panel redraws from the stream alone after its one
 * initial load (GET /lines/{id}, /alarms, /batches).
 */
import type { AlarmView, BatchProgressView, LineStatusView, UnitStatus } from '../../../../src/site/views.ts';
import type { EventOf } from '../../live.ts';

export type { AlarmView, BatchProgressView, LineStatusView, UnitStatus };

export interface BatchEntry {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly quarantineOnly: boolean;
  readonly accepted: number;
}

export interface LineModel {
  readonly line: LineStatusView;
  /** The line's open alarms (active or unacknowledged), newest first. */
  readonly alarms: readonly AlarmView[];
  /** The batch shown in the progress panel: the running one, or the last one that ran here. */
  readonly batch: BatchProgressView | null;
  /** The last card each unit handled (from `card` events), when the line view has none. */
  readonly cards: Readonly<Record<string, { readonly serial: string; readonly attempt: number | null }>>;
  /** Cards in the fullest stacker, when its capacity is known. */
  readonly stackerCards: number | null;
  /** The ISO time of the last `station.state` applied to each unit (the ui_event_to_paint bench reads it). */
  readonly stateAt: Readonly<Record<string, string>>;
}

export function initialModel(line: LineStatusView, alarms: readonly AlarmView[]): LineModel {
  const cards: Record<string, { serial: string; attempt: number | null }> = {};
  for (const station of line.stations) for (const unit of station.units) if (unit.card) cards[unit.id] = { serial: unit.card.serial, attempt: unit.card.attempt > 0 ? unit.card.attempt : null };
  const capacity = line.stock.stackerCapacity ?? null;
  return {
    line,
    alarms: alarms.filter((a) => a.lineId === line.id),
    batch: line.batch,
    cards,
    stackerCards: capacity !== null && line.stock.stackerFill !== null ? Math.round(line.stock.stackerFill * capacity) : null,
    stateAt: {},
  };
}

function mapUnits(line: LineStatusView, unitId: string, change: (unit: UnitStatus) => UnitStatus): LineStatusView {
  return { ...line, stations: line.stations.map((s) => (s.units.some((u) => u.id === unitId) ? { ...s, units: s.units.map((u) => (u.id === unitId ? change(u) : u)) } : s)) };
}

export function onStationState(model: LineModel, e: EventOf<'station.state'>): LineModel {
  if (e.lineId !== model.line.id) return model;
  return {
    ...model,
    line: mapUnits(model.line, e.unitId, (u) => ({ ...u, state: e.state, mode: e.mode, connected: e.connected })),
    stateAt: { ...model.stateAt, [e.unitId]: e.at },
  };
}

export function onCard(model: LineModel, e: EventOf<'card'>): LineModel {
  if (e.lineId !== model.line.id) return model;
  let next = model;
  if (e.unitId) next = { ...next, cards: { ...next.cards, [e.unitId]: { serial: e.cardSerial, attempt: e.attempt } } };
  // A fed card took a blank out of the magazine; a stacked one lies in the stacker.
  if (e.step === 'fed') next = { ...next, line: { ...next.line, stock: { ...next.line.stock, blanksAvailable: Math.max(0, next.line.stock.blanksAvailable - 1) } } };
  if (e.step === 'stacked' && next.stackerCards !== null) next = { ...next, stackerCards: next.stackerCards + 1 };
  return next;
}

/** The estimated seconds to the end at the current rate: the records still to make over cards an hour. */
export function etaSeconds(b: Pick<BatchProgressView, 'pending' | 'inLine' | 'cardsPerHour'>): number | null {
  if (b.cardsPerHour === null || b.cardsPerHour <= 0) return null;
  return Math.round(((b.pending + b.inLine) / b.cardsPerHour) * 3600);
}

export function onCounters(model: LineModel, e: EventOf<'counters'>): LineModel {
  // A null batch: the batch left the line; the panel keeps its last figures until the next one.
  if (e.lineId !== model.line.id || e.batchId === null) return model;
  const base = model.batch?.batchId === e.batchId ? model.batch : { batchId: e.batchId, status: 'running', records: e.good + e.pending + e.inLine, etaSeconds: null };
  const figures = { good: e.good, spoiled: e.spoiled, pending: e.pending, inLine: e.inLine, cardsPerHour: e.cardsPerHour };
  return { ...model, batch: { ...base, ...figures, etaSeconds: etaSeconds(figures) } };
}

/** A batch event that concerns this line's shown batch changes its status. */
export function onBatch(model: LineModel, e: EventOf<'batch'>): LineModel {
  if (model.batch?.batchId !== e.batchId) return model;
  return { ...model, batch: { ...model.batch, status: e.status } };
}

export function onQueue(model: LineModel, e: EventOf<'queue'>): LineModel {
  if (e.lineId !== model.line.id) return model;
  return { ...model, line: { ...model.line, queue: e.batchIds } };
}

const OPEN: ReadonlySet<string> = new Set(['active-unacknowledged', 'active-acknowledged', 'cleared-unacknowledged']);

export function onAlarm(model: LineModel, e: EventOf<'alarm'>): LineModel {
  if (e.lineId !== model.line.id) return model;
  const known = model.alarms.find((a) => a.id === e.alarmId);
  const acknowledged = e.state === 'active-acknowledged' || e.state === 'cleared';
  const updated: AlarmView = known
    ? {
        ...known,
        state: e.state,
        ...(acknowledged && known.acknowledgedAt === null ? { acknowledgedAt: e.at, acknowledgedBy: e.by ?? null } : {}),
        ...(e.state.startsWith('cleared') && known.clearedAt === null ? { clearedAt: e.at } : {}),
      }
    : { id: e.alarmId, lineId: e.lineId, unitId: e.unitId, condition: e.condition, message: '', priority: e.priority, state: e.state, raisedAt: e.at, clearedAt: null, acknowledgedAt: null, acknowledgedBy: null };
  const rest = model.alarms.filter((a) => a.id !== e.alarmId);
  return { ...model, alarms: OPEN.has(updated.state) ? (known ? model.alarms.map((a) => (a.id === e.alarmId ? updated : a)) : [updated, ...rest]) : rest };
}

const PRIORITY_RANK: Readonly<Record<AlarmView['priority'], number>> = { urgent: 4, high: 3, medium: 2, low: 1 };

/** The alarms waiting for an acknowledgement, most urgent first, then newest. */
export function unacknowledged(alarms: readonly AlarmView[]): AlarmView[] {
  return alarms
    .filter((a) => a.state === 'active-unacknowledged' || a.state === 'cleared-unacknowledged')
    .sort((a, b) => PRIORITY_RANK[b.priority] - PRIORITY_RANK[a.priority] || b.raisedAt.localeCompare(a.raisedAt));
}

/** States that need the operator (ISA-101: colour only for these). */
const ATTENTION_STATES: ReadonlySet<string> = new Set(['Held', 'Holding', 'Aborting', 'Aborted', 'Suspended', 'Suspending', 'Stopping', 'Stopped']);

export function unitNeedsAttention(unit: UnitStatus, phase: LineStatusView['phase']): boolean {
  if (!unit.connected) return true;
  // A stopped unit of an idle line is normal; while a batch runs it is not.
  if ((unit.state === 'Stopped' || unit.state === 'Stopping') && phase !== 'running') return false;
  return ATTENTION_STATES.has(unit.state);
}

/** The heartbeat as the panel shows it: offline (no link), stale (an open heartbeat alarm), or ok. */
export function heartbeatOf(unit: UnitStatus, alarms: readonly AlarmView[]): 'ok' | 'stale' | 'offline' {
  if (!unit.connected) return 'offline';
  const stale = alarms.some((a) => a.unitId === unit.id && (a.condition === 'heartbeat.stale' || a.condition === 'station.offline') && a.state.startsWith('active'));
  return stale ? 'stale' : 'ok';
}

/**
 * One line's live state for the panel: loaded once (the line, its open alarms, the batches), then
 * changed by the event stream only; reloaded when the stream says the client was away too long.
 * The only requests an event triggers are for figures events do not carry: a new batch's size
 * when it starts, its final accounting when it ends, and the shift's rate (at most once a minute).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, seg } from '../../api.ts';
import { onEvent, reloadGeneration } from '../../live.ts';
import { timeZone } from '../../i18n/i18n.ts';
import { user } from '../../session.ts';
import { initialModel, onAlarm, onBatch, onCard, onCounters, onQueue, onStationState, type AlarmView, type BatchEntry, type LineModel, type LineStatusView } from './model.ts';
import { currentShift } from './shift.ts';

interface BatchSummary {
  readonly status: string;
  readonly records: { readonly total: number; readonly pending: number };
  readonly cards: { readonly good: number; readonly spoiled: number; readonly inLine: number };
}

interface ShiftRate {
  readonly shift: string;
  readonly cardsPerHour: number;
}

const ENDED = new Set(['completed', 'aborted', 'reconciled', 'released']);
const SHIFT_REFRESH_MS = 60_000;

export interface LiveLine {
  readonly model: LineModel | null;
  readonly batches: readonly BatchEntry[];
  readonly shift: ShiftRate | null;
  readonly error: unknown;
  /** Re-reads the batches (after the panel enqueued one, say). */
  reloadBatches(): void;
  /** Replaces the model with an answer the panel got (a stock load). */
  update(change: (model: LineModel) => LineModel): void;
}

export function useLine(lineId: string): LiveLine {
  const [model, setModel] = useState<LineModel | null>(null);
  const [batches, setBatches] = useState<readonly BatchEntry[]>([]);
  const [shift, setShift] = useState<ShiftRate | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const shiftReadAt = useRef(0);
  const generation = reloadGeneration.value;

  const loadBatches = (): void => {
    get<BatchEntry[]>('/batches').then(setBatches, setError);
  };

  const loadShift = (): void => {
    const site = user.value?.site;
    const now = currentShift(new Date(), site?.shifts ?? [], timeZone.value);
    if (!now) return;
    shiftReadAt.current = Date.now();
    get<{ lines: { line: string; kpis: { goodCardsPerHour: number } }[] }>(`/kpi/shifts/${now.date}/${seg(now.name)}?line=${seg(lineId)}`).then(
      (answer) => setShift({ shift: now.name, cardsPerHour: answer.lines.find((l) => l.line === lineId)?.kpis.goodCardsPerHour ?? 0 }),
      () => setShift(null),
    );
  };

  const loadLine = (): Promise<void> =>
    get<LineStatusView>(`/lines/${seg(lineId)}`).then((line) => setModel((m) => (m ? { ...m, line, batch: line.batch ?? m.batch } : m)));

  /** The final accounting of a batch that ended: the counters stop a second before the end. */
  const loadFinal = (batchId: string): void => {
    get<BatchSummary>(`/batches/${seg(batchId)}`).then(
      (b) =>
        setModel((m) =>
          m && m.batch?.batchId === batchId
            ? { ...m, batch: { ...m.batch, status: b.status, records: b.records.total, good: b.cards.good, spoiled: b.cards.spoiled, pending: b.records.pending, inLine: b.cards.inLine, etaSeconds: null } }
            : m,
        ),
      setError,
    );
  };

  useEffect(() => {
    let live = true;
    setError(undefined);
    Promise.all([get<LineStatusView>(`/lines/${seg(lineId)}`), get<{ alarms: AlarmView[] }>(`/alarms?lineId=${seg(lineId)}&state=open`)]).then(
      ([line, alarms]) => live && setModel(initialModel(line, alarms.alarms)),
      (e: unknown) => live && setError(e),
    );
    loadBatches();
    loadShift();
    return () => {
      live = false;
    };
  }, [lineId, generation]);

  useEffect(() => {
    const offs = [
      onEvent('station.state', (e) => setModel((m) => (m ? onStationState(m, e) : m))),
      onEvent('card', (e) => setModel((m) => (m ? onCard(m, e) : m))),
      onEvent('counters', (e) => {
        setModel((m) => (m ? onCounters(m, e) : m));
        if (e.lineId === lineId && e.batchId !== null && Date.now() - shiftReadAt.current > SHIFT_REFRESH_MS) loadShift();
      }),
      onEvent('queue', (e) => {
        setModel((m) => (m ? onQueue(m, e) : m));
        if (e.lineId === lineId) loadBatches();
      }),
      onEvent('alarm', (e) => setModel((m) => (m ? onAlarm(m, e) : m))),
      onEvent('batch', (e) => {
        setModel((m) => (m ? onBatch(m, e) : m));
        if (e.lineId !== lineId && e.lineId !== null) return;
        // The line's phase and a new batch's size are in the line view; an ended batch's final figures in its accounting.
        void loadLine().catch(setError);
        if (ENDED.has(e.status)) {
          loadFinal(e.batchId);
          loadShift();
        }
        loadBatches();
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [lineId]);

  return { model, batches, shift, error, reloadBatches: loadBatches, update: (change) => setModel((m) => (m ? change(m) : m)) };
}

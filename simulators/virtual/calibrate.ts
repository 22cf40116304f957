/**
 * A line file calibrated from a real line's journal (`cardline simulate calibrate --from-journal`):
 * each station's cycle time as a measured histogram (the empirical model), its failure
 * probabilities a card from the spoiled cards' reasons, and breakdowns (MTBF/MTTR) from the down
 * time that jams do not explain. Pure: it reads KpiEvents (src/store/kpi-store.ts gives them) and
 * the line's own file, and returns the new values.
 *
 * The journal has no "work started" event, only each unit's Done, so a card's cycle at a unit is
 * estimated as its Done less the later of (a) its previous Done anywhere (or its feeding) plus the
 * transfer time and (b) the unit's previous Done: exact for a unit that takes its next card as soon
 * as it finishes, slightly long for one whose finished card waited at its outfeed (blocked), and it
 * includes the handshake (card present → job → ack, and Done → DoneAck), which the real line pays
 * for every card too. The feeder's Done precedes the feeding, so its cycles run from Done to Done
 * (waits for the WIP limit included). Cycles a jam, a hold or any other stop interrupted are left
 * out; so are failed Dones.
 */
import { isMap, isSeq, parseDocument } from 'yaml';
import { stationUnits, type LineConfig } from '../../src/config/line-config.ts';
import { kpiAccumulator } from '../../src/kpi/compute.ts';
import type { KpiEvent } from '../../src/kpi/events.ts';
import { PACKML_STATES } from '../../src/plc/packml.ts';

/** Which failure of the line file a spoil reason measures, and at which station kind (null: where the card was rejected). */
const REASON_FAILURE: Readonly<Record<string, { readonly failure: string; readonly kind: string | null }>> = {
  CARD_JAM: { failure: 'jam', kind: null },
  BLANK_DEFECT: { failure: 'blankDefect', kind: 'feeder' },
  CHIP_WRITE_FAILED: { failure: 'chipWriteFailure', kind: 'encoder' },
  CHIP_NO_RESPONSE: { failure: 'chipWriteFailure', kind: 'encoder' },
  CHIP_UNREADABLE: { failure: 'emptyChipWrite', kind: 'encoder' },
  CHIP_FILE_MISSING: { failure: 'partialChipWrite', kind: 'encoder' },
  PRINT_GRADE_LOW: { failure: 'misregistration', kind: 'laser' },
  MRZ_OCR_MISMATCH: { failure: 'ocrMismatch', kind: 'qa' },
};

export interface StationCalibration {
  readonly id: string;
  /** Cycle samples kept (physical ms) and the histogram made of them; null when there were none. */
  readonly samples: number;
  readonly histogram: { readonly edgesMs: number[]; readonly counts: number[] } | null;
  readonly meanMs: number | null;
  /** Cards the station's units reported Done for. */
  readonly cards: number;
  /** Probabilities a card, by the line file's failure names (only those measured). */
  readonly failures: Record<string, number>;
  /** Breakdowns the jams do not explain (physical ms); null when there were none. */
  readonly downtime: { readonly mtbfMs: number; readonly mttrMs: number } | null;
}

export interface Calibration {
  readonly line: string;
  readonly from: number;
  readonly to: number;
  readonly good: number;
  readonly spoiled: number;
  readonly stations: readonly StationCalibration[];
  /** Spoil reasons the line file has no failure for (left out, counted). */
  readonly unmapped: Readonly<Record<string, number>>;
}

export interface CalibrateOptions {
  /** The line file the journal's line runs (its stations, heads and time scale). */
  readonly line: LineConfig;
  readonly events: readonly KpiEvent[];
  readonly from: number;
  readonly to: number;
  /** Bins of each histogram (default 12). */
  readonly bins?: number;
}

function histogramOf(samples: number[], bins: number): { edgesMs: number[]; counts: number[] } {
  const sorted = Float64Array.from(samples).sort();
  // The extreme half percent at each end left out: a stray sample should not stretch every bin.
  const lo = sorted[Math.floor(0.005 * (sorted.length - 1))]!;
  const hi = sorted[Math.ceil(0.995 * (sorted.length - 1))]!;
  if (!(hi > lo)) return { edgesMs: [Math.round(lo), Math.round(lo) + 1], counts: [sorted.length] };
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of sorted) if (v >= lo && v <= hi) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1;
  const edgesMs = Array.from({ length: bins + 1 }, (_, i) => Math.round(lo + i * width));
  // Rounding may join two edges of very narrow bins: keep them increasing.
  for (let i = 1; i < edgesMs.length; i++) if (edgesMs[i]! <= edgesMs[i - 1]!) edgesMs[i] = edgesMs[i - 1]! + 1;
  return { edgesMs, counts };
}

export function calibrate(options: CalibrateOptions): Calibration {
  const { line, events } = options;
  const scale = line.simulation?.timeScale ?? 1;
  const transferWall = (line.simulation?.transferMs ?? 0) / scale;
  const jamHoldWall = ((line.simulation?.jamClearMs ?? 2000) + 400) / scale;
  const units = stationUnits(line);
  const stationOfUnit = new Map(units.map((u) => [u.unitId, u.station.id]));
  const stationOfKind = new Map(line.stations.map((s) => [s.kind as string, s.id]));
  const feeder = line.stations[0]!.id;

  const samples = new Map<string, number[]>(line.stations.map((s) => [s.id, []]));
  const cards = new Map<string, number>(line.stations.map((s) => [s.id, 0]));
  const counts = new Map<string, Record<string, number>>(line.stations.map((s) => [s.id, {}]));
  const jamsAtUnit = new Map<string, number>();
  const unmapped: Record<string, number> = {};
  const lastDoneOfCard = new Map<string, number>();
  const lastDoneOfUnit = new Map<string, number>();
  /** The last time a unit was anything but producing (a stop interrupts the cycle under way). */
  const disturbed = new Map<string, number>();
  const producing = new Map<string, boolean>();
  const kpis = kpiAccumulator({ from: options.from, to: options.to });
  let good = 0;
  let spoiled = 0;

  for (const e of events) {
    kpis.add(e);
    if (e.line !== line.id || e.at < options.from || e.at >= options.to) continue;
    switch (e.type) {
      case 'state': {
        const up = e.state === PACKML_STATES.Execute;
        if (!up || producing.get(e.unit) === false) disturbed.set(e.unit, e.at);
        producing.set(e.unit, up);
        break;
      }
      case 'link':
        disturbed.set(e.unit, e.at);
        break;
      case 'fed':
        lastDoneOfCard.set(e.card, e.at - transferWall);
        break;
      case 'done': {
        const station = stationOfUnit.get(e.unit);
        if (station === undefined) break;
        cards.set(station, cards.get(station)! + 1);
        const previousCard = e.card === null ? undefined : lastDoneOfCard.get(e.card);
        const previousUnit = lastDoneOfUnit.get(e.unit);
        lastDoneOfUnit.set(e.unit, e.at);
        if (e.card !== null) lastDoneOfCard.set(e.card, e.at);
        // The feeder's Done comes before the card is fed (the controller feeds the blank it presented): its cycles are from Done to Done.
        const arrival = previousCard === undefined ? (station === feeder ? Number.NEGATIVE_INFINITY : undefined) : previousCard + transferWall;
        if (e.result !== 0 || arrival === undefined) break;
        const start = Math.max(arrival, previousUnit ?? Number.NEGATIVE_INFINITY);
        if (start === Number.NEGATIVE_INFINITY) break;
        if ((disturbed.get(e.unit) ?? Number.NEGATIVE_INFINITY) >= start || producing.get(e.unit) === false) break;
        if (e.at > start) samples.get(station)!.push((e.at - start) * scale);
        break;
      }
      case 'ended': {
        if (e.card !== null) lastDoneOfCard.delete(e.card);
        if (e.good) {
          good += 1;
          break;
        }
        spoiled += 1;
        const reason = e.reason ?? 'UNKNOWN';
        const map = REASON_FAILURE[reason];
        const station = map === undefined ? undefined : map.kind === null ? (e.unit === null ? undefined : stationOfUnit.get(e.unit)) : stationOfKind.get(map.kind);
        if (map === undefined || station === undefined) {
          unmapped[reason] = (unmapped[reason] ?? 0) + 1;
          break;
        }
        const c = counts.get(station)!;
        c[map.failure] = (c[map.failure] ?? 0) + 1;
        if (map.failure === 'jam' && e.unit !== null) jamsAtUnit.set(e.unit, (jamsAtUnit.get(e.unit) ?? 0) + 1);
        break;
      }
      case 'run':
        break;
    }
  }

  const result = kpis.result();
  const bins = options.bins ?? 12;
  const stations: StationCalibration[] = line.stations.map((s) => {
    const xs = samples.get(s.id)!;
    const n = cards.get(s.id)!;
    const failures: Record<string, number> = {};
    for (const [k, v] of Object.entries(counts.get(s.id)!)) failures[k] = n > 0 ? Math.min(1, v / n) : 0;
    // Breakdowns: entries into down time beyond the jams, and the down time beyond the jams' holds.
    let failuresBeyondJams = 0;
    let downBeyondJams = 0;
    let producingMs = 0;
    for (const u of result.units.filter((x) => stationOfUnit.get(x.unit) === s.id)) {
      const jams = jamsAtUnit.get(u.unit) ?? 0;
      failuresBeyondJams += Math.max(0, u.sums.failures - jams);
      downBeyondJams += Math.max(0, u.sums.adotMs - jams * jamHoldWall);
      producingMs += u.sums.aptMs;
    }
    const downtime = failuresBeyondJams > 0 ? { mtbfMs: Math.round((producingMs * scale) / failuresBeyondJams), mttrMs: Math.max(1, Math.round((downBeyondJams * scale) / failuresBeyondJams)) } : null;
    const histogram = xs.length > 0 ? histogramOf(xs, bins) : null;
    return { id: s.id, samples: xs.length, histogram, meanMs: xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null, cards: n, failures, downtime };
  });
  return { line: line.id, from: options.from, to: options.to, good, spoiled, stations, unmapped };
}

/**
 * The line file `text` with the calibration in it: each measured station's cycle as an empirical
 * histogram, its failure probabilities (a failure the file names but the journal never saw is
 * measured as 0), and its downtime (removed when none was measured). Comments elsewhere are kept.
 */
export function calibratedLineFile(text: string, cal: Calibration, source: string): string {
  const doc = parseDocument(text);
  const stations = doc.get('stations');
  if (!isSeq(stations)) throw new Error(`${source}: no stations list`);
  for (const item of stations.items) {
    if (!isMap(item)) continue;
    const c = cal.stations.find((x) => x.id === item.get('id'));
    if (!c) continue;
    if (c.histogram) item.set('cycle', doc.createNode({ distribution: 'empirical', histogram: c.histogram }, { flow: true }));
    const before = item.get('failures');
    const failures: Record<string, number> = {};
    if (isMap(before)) for (const pair of before.items) failures[String(pair.key)] = 0;
    for (const [k, v] of Object.entries(c.failures)) failures[k] = Number(v.toPrecision(4));
    if (Object.keys(failures).length > 0) item.set('failures', doc.createNode(failures, { flow: true }));
    if (c.downtime) item.set('downtime', doc.createNode({ ...c.downtime, repair: 'exponential' }, { flow: true }));
    else item.delete('downtime');
  }
  const when = (ms: number): string => new Date(ms).toISOString();
  const header =
    ` Calibrated by \`cardline simulate calibrate --from-journal --line ${cal.line}\` from the journal of ${when(cal.from)} to ${when(cal.to)}:\n` +
    ` ${cal.good} good and ${cal.spoiled} spoiled cards. Cycle times are measured histograms (${cal.stations.map((s) => `${s.id} ${s.samples}`).join(', ')} samples);\n` +
    ` failures are probabilities a card; see docs/capacity.md, "Calibrating from a journal".`;
  doc.commentBefore = doc.commentBefore ? `${header}\n${doc.commentBefore}` : header;
  return doc.toString({ lineWidth: 0 });
}

/**
 * The virtual-time engine's speed (issue 19): `sim_cards_per_s` — blank cards simulated a
 * wall-clock second in fast mode on demo-opcua (a batch of BENCH_SIM_CARDS records, default
 * 200,000); `sim_speedup_vs_real_time` — one simulated day of the same line (an endless queue of
 * records) ÷ the wall-clock time it took; `sim_kpi_cards_per_s` — the same batch as `cardline
 * simulate` runs it, with the ISO 22400 KPIs computed from the run's journal as it goes. Figures,
 * not assertions: the targets (≥ 10,000 cards/s, ≥ 1,000×) are judged on them.
 * `sim_line_fidelity_cards_per_s` — blank cards a wall-clock second in the line fidelity (the real
 * controller on the virtual clock, simulators/virtual/line-fidelity.ts) on demo-opcua, a batch of
 * BENCH_SIM_LINE_CARDS records (default 1,000); beside it, the long comparison with the fast engine
 * on the same batch (throughput, busiest stations, utilizations) and whether a second run of the
 * line fidelity gives the same digest (BENCH_SIM_LINE_TWICE=1).
 */
import path from 'node:path';
import { loadLineConfig } from '../src/config/line-config.ts';
import { runLine } from '../simulators/virtual/engine.ts';
import { simulate, summarize } from '../simulators/virtual/figures.ts';
import { runLineFidelity } from '../simulators/virtual/line-fidelity.ts';
import { bench, info } from './report.ts';

const CARDS = Number(process.env.BENCH_SIM_CARDS ?? 200_000);
const line = await loadLineConfig(path.resolve(import.meta.dirname, '../config/lines/demo-opcua.yaml'));

// A short run first, so the figures are of compiled code.
runLine({ line, cards: 5_000 });

let t = performance.now();
const batch = runLine({ line, cards: CARDS });
let wallMs = performance.now() - t;
info(`${batch.fed} blanks fed for ${CARDS} records (${batch.good} good) in ${wallMs.toFixed(0)} ms wall, ${(batch.elapsedMs / 3_600_000).toFixed(1)} simulated h, ${batch.events} events`);
bench('sim_cards_per_s', batch.fed / (wallMs / 1000), 'cards/s');

t = performance.now();
const day = runLine({ line, hours: 24 });
wallMs = performance.now() - t;
info(`one simulated day: ${day.good} good cards, ${day.fed} fed, in ${wallMs.toFixed(0)} ms wall`);
bench('sim_speedup_vs_real_time', (24 * 3_600_000) / wallMs, 'x');

t = performance.now();
const withKpis = simulate({ line, cards: CARDS });
wallMs = performance.now() - t;
info(`with KPIs: ${withKpis.good} good, OEE ${((withKpis.kpis?.line.oee ?? 0) * 100).toFixed(1)} %, in ${wallMs.toFixed(0)} ms wall`);
bench('sim_kpi_cards_per_s', (withKpis.good + withKpis.spoiled) / (wallMs / 1000), 'cards/s');

// The real-time line's `line_efficiency` set-up (bench/line-efficiency.bench.ts: faults off, fixed
// cycles, 300 records, good cards 50 to 250 ÷ the bottleneck's rate) in virtual time: the two
// figures side by side compare the fast mode with the real controller over OPC UA.
{
  const fixed = {
    ...line,
    stations: line.stations.map((s) => ({
      ...s,
      cycle: { ...s.cycle, sdMs: 0, distribution: 'fixed' as const },
      failures: Object.fromEntries(Object.keys(s.failures).map((k) => [k, 0])) as typeof s.failures,
    })),
  };
  const goodAt: number[] = [];
  runLine({ line: fixed, cards: 300, journal: (e) => void (e.type === 'ended' && e.good && goodAt.push(e.at)) });
  const perS = (200 / (goodAt[249]! - goodAt[49]!)) * 1000;
  const idealPerS = Math.min(...fixed.stations.map((s) => (s.heads ?? 1) / (s.cycle.meanMs / 1000)));
  info(`virtual demo-opcua, faults off, fixed cycles: good cards 50–250 at ${perS.toFixed(4)} cards/s (simulated) of an ideal ${idealPerS.toFixed(4)}`);
  bench('sim_line_efficiency', perS / idealPerS, 'ratio');
}

// The line fidelity: the real controller on the virtual clock, and the long comparison with the fast engine.
{
  const cards = Number(process.env.BENCH_SIM_LINE_CARDS ?? 1_000);
  const seed = String(line.simulation!.seed);
  const t0 = performance.now();
  const reference = await runLineFidelity({ line, cards });
  const lineWallMs = performance.now() - t0;
  const fastRun = runLine({ line, cards });
  const a = summarize(line, seed, [reference], { cards });
  const b = summarize(line, seed, [fastRun], { cards });
  const utilOff = Math.max(...a.stations.map((s, i) => Math.abs(s.utilization - b.stations[i]!.utilization)));
  info(
    `line fidelity, ${cards} records: ${reference.fed} blanks in ${(lineWallMs / 1000).toFixed(1)} s wall, ${(reference.elapsedMs / 3_600_000).toFixed(2)} simulated h; ` +
      `throughput ${a.throughputCardsPerH.mean.toFixed(1)} vs fast ${b.throughputCardsPerH.mean.toFixed(1)} cards/h (${((a.throughputCardsPerH.mean / b.throughputCardsPerH.mean - 1) * 100).toFixed(2)} %), ` +
      `busiest ${a.bottleneck.busiest.join('+')} vs ${b.bottleneck.busiest.join('+')}, utilizations at most ${(utilOff * 100).toFixed(2)} points apart`,
  );
  bench('sim_line_fidelity_cards_per_s', reference.fed / (lineWallMs / 1000), 'cards/s');
  if (process.env.BENCH_SIM_LINE_TWICE === '1') {
    const again = await runLineFidelity({ line, cards });
    info(`line fidelity run twice: digests ${reference.digest} and ${again.digest} (${reference.digest === again.digest ? 'the same' : 'DIFFERENT'})`);
  }
}

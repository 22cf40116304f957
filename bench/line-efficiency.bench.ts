/**
 * Line efficiency: the demo line (config/lines/demo-opcua.yaml) over OPC UA — the real
 * LineSimulator with its OPC UA server on a free port, links from createLineLinks — at its
 * configured cycle times and time scale, faults off (every failure rate 0), deterministic cycle
 * times (sdMs 0, fixed), 300 records with the product's data preparation (RecordPreparer with a
 * TEST PKI, LdsQaJudge). Throughput is measured between the 50th and the 250th good card out of the
 * stacker, and divided by the ideal: 1 ÷ the bottleneck's cycle time (the largest cycle ÷ units of
 * any station, scaled by the time scale).
 *
 * Alongside, the laser's pace and pre-staging and the units' phases are traced, to say where the
 * time goes.
 * BENCH_WIP, BENCH_PRESTAGE, BENCH_TIMESCALE and BENCH_TRANSFER_MS change the set-up for analysis;
 * the BENCH figure is the demo line as configured.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LineSimulator } from '../simulators/line-simulator.ts';
import { openContext } from '../src/cli/context.ts';
import { loadLineConfig, type LineConfig } from '../src/config/line-config.ts';
import { LdsBuilder } from '../src/domain/lds/build.ts';
import { importBatch } from '../src/import/importer.ts';
import { LineController } from '../src/line/controller.ts';
import { LdsQaJudge, RecordPreparer } from '../src/line/prepare.ts';
import { ensureDemoPki } from '../src/pki/index.ts';
import { createLineLinks } from '../src/plc/link-factory.ts';
import type { StationLink } from '../src/plc/station-link.ts';
import { CardRenderer } from '../src/render/renderer.ts';
import { writeSample } from '../src/sample/generate.ts';
import { LineStore } from '../src/store/line-store.ts';
import { bench, info } from './report.ts';

const CARDS = 300;
const FROM = 50;
const TO = 250;
const LINE_FILE = path.resolve(import.meta.dirname, '../config/lines/demo-opcua.yaml');
const env = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);

/** The demo line with faults off and fixed cycle times (and, for analysis only, the env overrides). */
function benchLine(line: LineConfig): LineConfig {
  const simulation = line.simulation!;
  return {
    ...line,
    simulation: {
      ...simulation,
      timeScale: env('BENCH_TIMESCALE') ?? simulation.timeScale,
      transferMs: env('BENCH_TRANSFER_MS') ?? simulation.transferMs,
      initialBlanks: Math.max(simulation.initialBlanks, CARDS + 50),
    },
    stations: line.stations.map((s) => ({
      ...s,
      cycle: { ...s.cycle, sdMs: 0, distribution: 'fixed' as const },
      failures: Object.fromEntries(Object.keys(s.failures).map((k) => [k, 0])) as typeof s.failures,
    })),
  };
}

const dir = await mkdtemp(path.join(tmpdir(), 'cardline-bench-line-'));
const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
let simulator: LineSimulator | undefined;
let links: Map<string, StationLink> | undefined;
try {
  const sample = await writeSample({ count: CARDS, seed: 'bench-line', outDir: path.join(dir, 'in'), portraitPool: 20 });
  const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 'bench', today: { year: 2026, month: 11, day: 27 } });
  if (imported.accepted !== CARDS) throw new Error(`the import accepted ${imported.accepted} of ${CARDS} records`);
  const pki = await ensureDemoPki(ctx.dataDir, { warn: () => undefined });
  const preparer = new RecordPreparer(ctx.batches, await LdsBuilder.create(pki.signer), new CardRenderer());
  const judge = new LdsQaJudge({ csca: [pki.csca] });

  const line = benchLine(await loadLineConfig(LINE_FILE));
  const timeScale = line.simulation!.timeScale;
  const bottleneck = line.stations.reduce((worst, s) => (s.cycle.meanMs / (s.heads ?? 1) > worst.ms ? { id: s.id, ms: s.cycle.meanMs / (s.heads ?? 1) } : worst), { id: '', ms: 0 });
  const idealPerS = timeScale / (bottleneck.ms / 1000);

  const { LineSimulator } = await import('../simulators/line-simulator.ts');
  simulator = await LineSimulator.start({ line, dataDir: ctx.dataDir, ports: { opcua: 0, control: false } });
  const port = Number(new URL(simulator.opcuaEndpointUrl!.replace(/^opc\.tcp:/, 'http:')).port);
  const linkLine: LineConfig = { ...line, simulation: { ...line.simulation!, opcua: { host: line.simulation!.opcua?.host ?? '127.0.0.1', port } } };
  const store = new LineStore(ctx.db, line.id);
  await store.loadStock(line.simulation!.initialBlanks, 'initial', 'bench');
  links = createLineLinks(linkLine, { dataDir: ctx.dataDir });
  await Promise.all([...links.values()].map((l) => l.connect()));

  // --- tracing: the laser's handshake and every unit's phase ----------------------------------
  const laser = new Map<string, { present: number; accepted: number; done: number }>();
  links.get('laser')!.subscribe((e) => {
    const now = performance.now();
    if (e.type === 'plc.card.present') laser.set(e.cardSerial, { present: now, accepted: NaN, done: NaN });
    else if (e.type === 'plc.job.accepted') laser.get(e.cardSerial)!.accepted = now;
    else if (e.type === 'plc.job.done' && laser.has(e.cardSerial)) laser.get(e.cardSerial)!.done = now;
  });
  const phases = new Map<string, Record<string, number>>();
  let sampling = false;
  const sampler = setInterval(() => {
    if (!sampling) return;
    for (const u of simulator!.control.status().units) {
      const counts = phases.get(u.unitId) ?? {};
      counts[u.phase] = (counts[u.phase] ?? 0) + 1;
      phases.set(u.unitId, counts);
    }
  }, 5);

  const crossed: number[] = [];
  const wip = env('BENCH_WIP');
  const prestage = env('BENCH_PRESTAGE');
  const controller = new LineController(line, links, store, preparer, judge, {
    actor: 'bench',
    autoRecover: true,
    ...(wip !== undefined ? { wip } : {}),
    ...(prestage !== undefined ? { prestage } : {}),
    onProgress: (p) => {
      while (crossed.length < p.good) crossed.push(performance.now());
      sampling = p.good >= FROM && p.good < TO;
    },
  });
  const started = performance.now();
  const outcome = await controller.run(imported.batchId, { resume: false, status: 'imported' });
  clearInterval(sampler);
  if (outcome.progress.good !== CARDS) throw new Error(`${outcome.progress.good} good cards of ${CARDS} (${JSON.stringify(outcome.progress.rejects)})`);
  const windowMs = crossed[TO - 1]! - crossed[FROM - 1]!;
  const perS = ((TO - FROM) / windowMs) * 1000;
  info(`demo-opcua, time scale ${timeScale}, transfer ${line.simulation!.transferMs} ms, bottleneck ${bottleneck.id} ${bottleneck.ms} ms: ${CARDS} cards in ${((performance.now() - started) / 1000).toFixed(1)} s; cards ${FROM}–${TO}: ${perS.toFixed(3)} cards/s of an ideal ${idealPerS.toFixed(3)}`);

  // The laser's cards in the window, in simulated ms: the pace (Done to Done) and how far ahead of
  // the previous card's Done each card had its job (pre-staging: the handshake is off the cycle).
  const sim = (ms: number): number => ms * timeScale;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const inWindow = [...laser.values()].filter((c) => c.done >= crossed[FROM - 1]! && c.done <= crossed[TO - 1]!).sort((a, b) => a.done - b.done);
  const pace = mean(inWindow.slice(1).map((c, i) => sim(c.done - inWindow[i]!.done)));
  const ahead = inWindow.slice(1).map((c, i) => sim(inWindow[i]!.done - c.accepted));
  const handshake = mean(inWindow.map((c) => sim(c.accepted - c.present)));
  info(
    `laser (simulated ms): a card every ${pace.toFixed(0)} (cycle ${line.stations.find((s) => s.kind === 'laser')!.cycle.meanMs}); job handshake ${handshake.toFixed(0)} (CardPresent → JobAck); ` +
      `${ahead.filter((a) => a > 0).length} of ${ahead.length} cards had their job before the previous card's Done (mean ${mean(ahead).toFixed(0)} ahead)`,
  );
  for (const [unit, counts] of phases) {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    info(`  ${unit.padEnd(10)} ${Object.entries(counts).sort().map(([k, v]) => `${k} ${((v / total) * 100).toFixed(0)}%`).join(', ')}`);
  }
  bench('line_efficiency', perS / idealPerS, 'ratio');
} finally {
  if (links) await Promise.allSettled([...links.values()].map((l) => l.close()));
  await simulator?.stop();
  await ctx.close();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);

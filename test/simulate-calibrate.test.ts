/**
 * `cardline simulate calibrate --from-journal` (issue 19, deliverable 5): a short run of a real
 * simulated line (OPC UA simulators, the controller, SQLite) leaves its journal; calibrating from
 * it writes a line file whose stations have measured cycle-time histograms (the empirical model)
 * close to the cycles the simulator was given, failure probabilities equal to the journal's own
 * counts, and which the virtual-time engine then runs.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { LineSimulator } from '../simulators/line-simulator.ts';
import { freePort } from '../simulators/modbus/modbus-server.ts';
import type { Calibration } from '../simulators/virtual/calibrate.ts';
import { simulate } from '../simulators/virtual/figures.ts';
import { runBatch } from '../src/app/run-line.ts';
import { runSimulateCalibrate } from '../src/cli/commands/simulate.ts';
import { openContext, type AppContext } from '../src/cli/context.ts';
import { loadLineConfig } from '../src/config/line-config.ts';
import { importBatch } from '../src/import/importer.ts';
import { writeSample } from '../src/sample/generate.ts';
import { KpiStore } from '../src/store/kpi-store.ts';
import { cliUsers } from './helpers/cli.ts';

const COUNT = 40;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Physical cycle times the simulator is given (ms); the encoder (2 heads × 900 ms) is the bottleneck. */
const CYCLES = { feeder: 100, encoder: 900, laser: 250, qa: 200, output: 100 } as const;

describe('cardline simulate calibrate --from-journal', () => {
  it('writes a line file with the cycle times and failure rates measured on a real simulated run', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cardline-calibrate-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const base = { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' };
    const { eng } = await cliUsers(base, { eng: 'engineer' });
    const ctx: AppContext = await openContext({ ...process.env, ...base });
    cleanups.push(() => ctx.close());

    const doc = {
      id: 'calib',
      description: 'a short line to calibrate from',
      simulation: { timeScale: 3, seed: 19, initialBlanks: COUNT * 3, serialPrefix: 'CAL', transferMs: 150, heartbeatMs: 200, opcua: { host: '127.0.0.1', port: await freePort() } },
      opcuaSecurity: { mode: 'None', policy: 'None', allowAnonymous: true },
      stations: (Object.keys(CYCLES) as (keyof typeof CYCLES)[]).map((kind) => ({
        id: kind,
        kind,
        transport: 'opcua',
        ...(kind === 'encoder' ? { heads: 2 } : {}),
        cycle: { meanMs: CYCLES[kind], sdMs: CYCLES[kind] / 10, distribution: 'normal' },
        failures: kind === 'encoder' ? { chipWriteFailure: 0.08 } : kind === 'laser' ? { jam: 0.04, misregistration: 0.04 } : {},
      })),
    };
    const lineFile = path.join(dir, 'calib.yaml');
    await writeFile(lineFile, `# the line the test runs\n${stringify(doc)}`);
    const line = await loadLineConfig(lineFile);

    const sample = await writeSample({ count: COUNT, seed: 'calibrate', outDir: path.join(dir, 'in'), portraitPool: 4 });
    const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 't', today: { year: 2026, month: 11, day: 27 } });
    const sim = await LineSimulator.start({ line, dataDir: ctx.dataDir, ports: { control: false } });
    cleanups.push(() => sim.stop());
    const result = await runBatch(ctx, { lineFile, line, batchId: imported.batchId, sim: 'external', recoverAfterMs: 300 });
    expect(result.status).toBe('completed');

    const outFile = path.join(dir, 'calibrated.yaml');
    const printed: string[] = [];
    expect(await runSimulateCalibrate({ fromJournal: true, line: lineFile, out: outFile, json: true }, (l) => printed.push(l), { ...process.env, ...eng })).toBe(0);
    const cal = JSON.parse(printed[0]!) as Calibration;

    // The journal's own counts.
    const events = await new KpiStore(ctx.db).events(new Date(0), new Date(Date.now() + 1), { lines: [line.id] });
    const ended = events.filter((e) => e.type === 'ended');
    expect(cal.good).toBe(ended.filter((e) => e.good).length);
    expect(cal.spoiled).toBe(ended.filter((e) => !e.good).length);
    const doneAt = (station: string): number => events.filter((e) => e.type === 'done' && (e.unit === station || e.unit.startsWith(`${station}.`))).length;
    const spoiledFor = (reason: string): number => ended.filter((e) => e.reason === reason).length;
    const encoder = cal.stations.find((s) => s.id === 'encoder')!;
    expect(encoder.cards).toBe(doneAt('encoder'));
    expect(encoder.failures.chipWriteFailure ?? 0).toBeCloseTo(spoiledFor('CHIP_WRITE_FAILED') / doneAt('encoder'), 12);
    const laser = cal.stations.find((s) => s.id === 'laser')!;
    expect(laser.failures.misregistration ?? 0).toBeCloseTo(spoiledFor('PRINT_GRADE_LOW') / doneAt('laser'), 12);

    // The cycles measured: each at least what the simulator was given (less a tenth: its normal
    // draw's spread) and at most that plus the handshake's round trip a card (card present → job →
    // ack, Done → DoneAck: 230–300 wall ms a card on this machine, × the time scale 3; bounded at 500
    // wall ms), which the measurement includes as the real line's time does.
    const report = JSON.stringify(cal.stations.map((s) => ({ id: s.id, mean: s.meanMs, samples: s.samples })));
    for (const s of cal.stations) {
      expect(s.samples, `${s.id}: ${report}`).toBeGreaterThan(COUNT / 2);
      expect(s.meanMs!, `${s.id}: ${report}`).toBeGreaterThan(0.9 * CYCLES[s.id as keyof typeof CYCLES]);
      expect(s.meanMs!, `${s.id}: ${report}`).toBeLessThan(CYCLES[s.id as keyof typeof CYCLES] + 1500);
    }
    console.log(`calibrate: ${report}`);

    // The file: loads as a line file, empirical cycles, the rest of the line as it was; the engine runs it.
    const text = await readFile(outFile, 'utf8');
    expect(text).toMatch(/^# Calibrated by `cardline simulate calibrate --from-journal --line calib`/);
    expect(text).toContain('# the line the test runs');
    const calibrated = await loadLineConfig(outFile);
    for (const s of calibrated.stations) expect(s.cycle.distribution, s.id).toBe('empirical');
    expect(calibrated.stations.find((s) => s.id === 'encoder')!.heads).toBe(2);
    expect(calibrated.stations.find((s) => s.id === 'encoder')!.cycle.meanMs).toBeCloseTo(encoder.histogram!.counts.reduce((a, c, i) => a + (c * (encoder.histogram!.edgesMs[i]! + encoder.histogram!.edgesMs[i + 1]!)) / 2, 0) / encoder.histogram!.counts.reduce((a, b) => a + b, 0), 6);
    const figures = simulate({ line: calibrated, cards: 500 });
    expect(figures.records.produced + figures.records.failed).toBe(500);
  }, 120_000);

  it('refuses without --from-journal, and an --out that exists unless --force', async () => {
    await expect(runSimulateCalibrate({ line: 'demo-opcua', out: 'x.yaml' })).rejects.toThrow(/needs --from-journal/);
    await expect(runSimulateCalibrate({ fromJournal: true, line: 'demo-opcua', out: path.resolve(import.meta.dirname, '../config/lines/demo-opcua.yaml') })).rejects.toThrow(/exists; add --force/);
  });
});

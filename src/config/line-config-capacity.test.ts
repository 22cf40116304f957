/**
 * The line file's capacity-planning keys (issue 19, deliverable 4): cycle-time distributions
 * (normal as before, lognormal, fixed/deterministic, exponential, empirical histograms), MTBF/MTTR
 * downtime, buffers, staging, the WIP limit, jam-clearing and stacker-unload times. Existing line
 * files keep their meaning; errors name the file, the YAML line and the key.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLineConfig } from './line-config.ts';

const DEMO = path.resolve(import.meta.dirname, '../../config/lines/demo-opcua.yaml');

describe('capacity keys in the line file', () => {
  let dir: string;
  let demo: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cardline-capacity-'));
    demo = await readFile(DEMO, 'utf8');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The demo line with the laser's cycle line replaced by `laser` (and more keys after it). */
  const withLaser = async (laser: string): Promise<ReturnType<typeof loadLineConfig>> => {
    const file = path.join(dir, `line-${Math.random().toString(36).slice(2)}.yaml`);
    const text = demo.replace('    cycle: { meanMs: 1500, sdMs: 60 }\n', laser);
    expect(text).not.toBe(demo);
    await writeFile(file, text);
    return loadLineConfig(file);
  };

  it('an existing line file keeps its meaning: normal cycles, no downtime, no buffers, staging, the default WIP', async () => {
    const line = await loadLineConfig(DEMO);
    const laser = line.stations.find((s) => s.id === 'laser')!;
    expect(laser.cycle).toStrictEqual({ meanMs: 1500, sdMs: 60, distribution: 'normal' });
    expect(laser.downtime).toBeUndefined();
    expect(laser.buffer).toBe(0);
    expect(laser.staging).toBe(true);
    expect(line.simulation?.wip).toBeUndefined();
    expect(line.simulation?.jamClearMs).toBe(2000);
    expect(line.simulation?.stackerUnloadMs).toBe(30_000);
  });

  it('takes the new distributions, an empirical histogram (its mean becomes meanMs) and MTBF/MTTR downtime', async () => {
    const line = await withLaser(
      '    cycle: { distribution: empirical, histogram: { edgesMs: [1000, 1400, 2000], counts: [3, 1] } }\n' +
        '    downtime: { mtbfMs: 3600000, mttrMs: 300000, repair: lognormal, repairSdMs: 60000 }\n' +
        '    buffer: unlimited\n    staging: false\n',
    );
    const laser = line.stations.find((s) => s.id === 'laser')!;
    expect(laser.cycle).toStrictEqual({ meanMs: 0.75 * 1200 + 0.25 * 1700, sdMs: 0, distribution: 'empirical', histogram: { edgesMs: [1000, 1400, 2000], counts: [3, 1] } });
    expect(laser.downtime).toStrictEqual({ mtbfMs: 3_600_000, mttrMs: 300_000, repair: 'lognormal', repairSdMs: 60_000 });
    expect(laser.buffer).toBe('unlimited');
    expect(laser.staging).toBe(false);
    for (const distribution of ['lognormal', 'fixed', 'deterministic', 'exponential']) {
      const l = await withLaser(`    cycle: { meanMs: 1500, distribution: ${distribution} }\n`);
      expect(l.stations.find((s) => s.id === 'laser')!.cycle.distribution).toBe(distribution);
    }
  });

  it('names the file, line and key of a bad histogram or a missing mean', async () => {
    await expect(withLaser('    cycle: { distribution: empirical }\n')).rejects.toThrow(/line-.*\.yaml line 41: stations\[2\]\.cycle\.histogram: an empirical cycle needs histogram/);
    await expect(withLaser('    cycle: { distribution: empirical, histogram: { edgesMs: [1, 2, 3], counts: [1] } }\n')).rejects.toThrow(
      /line 41: stations\[2\]\.cycle\.histogram\.counts: needs one count a bin: 2 for 3 edges, got 1/,
    );
    await expect(withLaser('    cycle: { distribution: empirical, histogram: { edgesMs: [1, 3, 2], counts: [1, 1] } }\n')).rejects.toThrow(/stations\[2\]\.cycle\.histogram\.edgesMs\[2\]: edges must increase: 2 after 3/);
    await expect(withLaser('    cycle: { distribution: exponential }\n')).rejects.toThrow(/line 41: stations\[2\]\.cycle\.meanMs: required: the mean cycle time in ms/);
    await expect(withLaser('    cycle: { meanMs: 1500, histogram: { edgesMs: [1, 2], counts: [1] } }\n')).rejects.toThrow(/histogram: a histogram goes with distribution: empirical, not normal/);
    await expect(withLaser('    cycle: { meanMs: 1500 }\n    downtime: { mtbfMs: 0, mttrMs: 10 }\n')).rejects.toThrow(/line 42: stations\[2\]\.downtime\.mtbfMs/);
  });
});

/**
 * `cardline simulate` (issue 19, deliverable 3): once through the real binary with no login and an
 * empty data directory, the rest in-process through the command's own function (each binary start
 * costs seconds on a loaded machine): figures as JSON, the same for the same seed; --set and --sweep
 * change the line file for the run; bad options and bad values end with exit 2 and a message naming
 * what was wrong.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulate, type SimulateCliOptions } from '../src/cli/commands/simulate.ts';
import { CliError } from '../src/cli/errors.ts';
import { buildProgram } from '../src/cli/main.ts';
import { cardline } from './helpers/cli.ts';

const DEMO = path.resolve(import.meta.dirname, '../config/lines/demo-opcua.yaml');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-simulate-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function simulateLines(options: SimulateCliOptions): Promise<string[]> {
  const lines: string[] = [];
  expect(await runSimulate(options, (l) => lines.push(l))).toBe(0);
  return lines;
}

interface FiguresJson {
  replications: number;
  records: { produced: number; failed: number };
  bottleneck: { stations: string[]; tie: boolean };
  throughputCardsPerH: { mean: number; low: number; high: number };
  stations: { id: string; shares: Record<string, number> }[];
  digests: string[];
}

describe('cardline simulate', () => {
  it('runs from the binary with no user and an empty data directory: it touches no personal data', async () => {
    const env = { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '', CARDLINE_USER: '', CARDLINE_PASSWORD: '' };
    const r = await cardline(['simulate', '--line', DEMO, '--cards', '200', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const f = JSON.parse(r.stdout) as FiguresJson;
    expect(f.records.produced + f.records.failed).toBe(200);
    const help = (await buildProgram(() => undefined)).commands.find((c) => c.name() === 'simulate')!.description();
    expect(help).toMatch(/no personal data — so it needs no login/);
  }, 60_000);

  it('prints the figures as JSON, the same twice for the same seed', async () => {
    const options = { line: DEMO, cards: '300', replications: '2', json: true };
    const [a, b] = [await simulateLines(options), await simulateLines(options)];
    expect(b).toStrictEqual(a);
    const f = JSON.parse(a[0]!) as FiguresJson;
    expect(f.replications).toBe(2);
    expect(f.records.produced + f.records.failed).toBe(300);
    expect(f.bottleneck).toMatchObject({ stations: ['encoder', 'laser'], tie: true });
    expect(f.throughputCardsPerH.low).toBeLessThan(f.throughputCardsPerH.mean);
    expect(f.throughputCardsPerH.high).toBeGreaterThan(f.throughputCardsPerH.mean);
    expect(f.digests[0]).not.toBe(f.digests[1]);
    for (const s of f.stations) expect(Object.values(s.shares).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 9);
  });

  it('sweeps a parameter (encoder heads): with fewer heads the encoder is the bottleneck alone', async () => {
    const [line] = await simulateLines({ line: DEMO, cards: '200', sweep: 'encoder.heads=4..6', seed: '5', json: true });
    const out = JSON.parse(line!) as { sweep: string; points: { value: number; figures: FiguresJson }[] };
    expect(out.points.map((p) => p.value)).toStrictEqual([4, 5, 6]);
    expect(out.points.map((p) => p.figures.bottleneck.stations)).toStrictEqual([['encoder'], ['encoder'], ['encoder', 'laser']]);
    const rates = out.points.map((p) => p.figures.throughputCardsPerH.mean);
    expect(rates[1]!).toBeGreaterThan(rates[0]!);
    expect(rates[2]!).toBeGreaterThan(rates[1]!);
  });

  it('prints a table for people, with --set applied', async () => {
    const text = (await simulateLines({ line: DEMO, hours: '1', set: ['encoder.heads=4', 'encoder.cycle.distribution=deterministic'] })).join('\n');
    expect(text).toMatch(/^bottleneck {7}encoder at 1,600 cards\/h nominal/m);
    expect(text).toMatch(/^encoder {8}4 {6}1,600/m);
    expect(text).toMatch(/one replication: no confidence interval/);
  });

  it('runs the real controller with --fidelity line: the same kind of figures for a batch', async () => {
    const lines = await simulateLines({ line: DEMO, cards: '12', fidelity: 'line', json: true });
    const f = JSON.parse(lines[0]!) as FiguresJson;
    expect(f.records.produced + f.records.failed).toBe(12);
    expect(f.bottleneck).toMatchObject({ stations: ['encoder', 'laser'], tie: true });
    expect(f.stations.map((s) => s.id)).toStrictEqual(['feeder', 'encoder', 'laser', 'qa', 'output', 'packer']);
  }, 60_000);

  it('ends bad input with exit 2 and says what was wrong', async () => {
    const cases: [SimulateCliOptions, RegExp][] = [
      [{ line: DEMO }, /give exactly one of --cards N .* and --hours H/],
      [{ line: DEMO, cards: '10', set: ['nosuch.heads=2'] }, /has no station 'nosuch'; its stations: feeder, encoder/],
      [{ line: DEMO, cards: '10', set: ['encoder.heads=0'] }, /with encoder\.heads=0: stations\[1\]\.heads: .*1/],
      [{ line: DEMO, cards: '10', set: ['encoder'] }, /--set 'encoder': write station\.param=value/],
      [{ line: DEMO, cards: '10', sweep: 'encoder.heads=9..4' }, /--sweep 'encoder.heads=9..4': needs numbers a ≤ b/],
      [{ line: DEMO, cards: '0' }, /--cards must be a whole number ≥ 1, got '0'/],
      [{ line: DEMO, cards: '10', warmup: '1' }, /--warmup H goes with --hours/],
      [{ line: DEMO, cards: '10', fidelity: 'exact' }, /--fidelity 'exact': fast .* or line/],
      [{ line: DEMO, hours: '1', fidelity: 'line' }, /--fidelity line runs a batch of records: give --cards N/],
    ];
    for (const [options, says] of cases) {
      const error = await runSimulate(options, () => undefined).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(options)).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(2);
      expect((error as CliError).message).toMatch(says);
    }
  });
});

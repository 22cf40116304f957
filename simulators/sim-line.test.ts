/**
 * The whole simulated line in-process, driven through its TagStores by a scripted host: cards
 * travel feeder → head → laser → QA → output, the result data at each station, the ledger, and the
 * physical events (jam, e-stop, starved, blocked, chip faults, restart).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../src/plc/job-data.ts';
import { PACKML_STATES, STOP_REASONS } from '../src/plc/packml.ts';
import { RESULT_CODES } from '../src/plc/result-codes.ts';
import { SimControl } from './control.ts';
import { dg1Digest, ledgerFile, readLedger, summarizeLedger } from './ledger.ts';
import { chipContentSha256 } from './model/chip.ts';
import { engravedSha256OfSides } from './model/surface.ts';
import type { UnitPlcTiming } from './plc/unit-plc.ts';
import { SimLine } from './sim-line.ts';
import { chipFiles, jobFor, syntheticMrz } from './testing/jobs.ts';
import { ScriptHost, standardJobs, type JobProvider } from './testing/script-host.ts';
import { testLine, type TestLineOptions } from './testing/test-line.ts';

let work: string;
let dirCount = 0;
const open: { sim: SimLine; host: ScriptHost }[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-simline-'));
});
afterEach(() => {
  for (const o of open.splice(0)) {
    o.host.close();
    o.sim.stop();
  }
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function newDataDir(): string {
  dirCount += 1;
  return path.join(work, `d${dirCount}`);
}

interface Harness {
  readonly sim: SimLine;
  readonly host: ScriptHost;
  readonly control: SimControl;
  readonly dataDir: string;
}

function openLine(o: TestLineOptions = {}, extra: { provider?: JobProvider; timing?: Partial<UnitPlcTiming>; dataDir?: string } = {}): Harness {
  const dataDir = extra.dataDir ?? newDataDir();
  // A card waits up to 10 simulated minutes for its job unless a test says otherwise: a loaded
  // test machine must not make the scripted host look late.
  const sim = SimLine.open({ line: testLine(o), dataDir, timing: { noJobTimeoutMs: 600_000, ...extra.timing } });
  const host = new ScriptHost(sim, extra.provider ?? standardJobs);
  open.push({ sim, host });
  return { sim, host, control: new SimControl(sim), dataDir };
}

function settledCount(h: Harness): number {
  const s = h.sim.ledger.summary();
  return s.stacker.length + s.unloaded.length + s.rejectBin.length;
}

async function runAll(h: Harness, cards: number, timeoutMs = 20_000): Promise<void> {
  await h.host.waitFor(() => settledCount(h) >= cards, `${cards} cards out of the machine`, timeoutMs);
}

describe('a card through the whole line', () => {
  it('gets the right result data at every station and lands in the stacker, as the ledger records', async () => {
    const h = openLine({ initialBlanks: 1 });
    await h.host.start();
    await runAll(h, 1);
    const mrz = syntheticMrz(1);
    const serial = 'T00000001';
    const result = (kind: Parameters<ScriptHost['lastResult']>[1]): JobResult | undefined => h.host.lastResult(serial, kind);

    expect(h.host.dones.map((d) => [d.unit, d.cardSerial, d.result])).toStrictEqual([
      ['feeder', serial, 0],
      ['encoder.1', serial, 0],
      ['laser', serial, 0],
      ['qa', serial, 0],
      ['output', serial, 0],
    ]);
    expect(h.host.dones.map((d) => d.jobId)).toStrictEqual(h.host.jobsSent.map((j) => j.jobId));
    expect(result('feeder')).toStrictEqual({ v: 1, kind: 'feed' });
    expect(result('encoder')).toStrictEqual({ v: 1, kind: 'chip', written: ['011E', '0101', '0102'] });
    const laserJob = jobFor('laser', 1);
    if (laserJob.kind !== 'laser') throw new Error('not a laser job');
    const engraved = engravedSha256OfSides(laserJob.sides);
    expect(result('laser')).toStrictEqual({ v: 1, kind: 'laser', engravedSha256: engraved });
    const qa = result('qa');
    // A reader lists the files by file id.
    const byFid = chipFiles(mrz).sort((a, b) => a.fid.localeCompare(b.fid));
    expect(qa).toStrictEqual({ v: 1, kind: 'inspect', chip: { files: byFid }, ocrMrz: mrz, printGrade: expect.any(Number) });
    if (qa?.kind !== 'inspect') throw new Error('no QA result');
    expect(qa.printGrade).toBeGreaterThanOrEqual(3.5);
    expect(qa.printGrade).toBeLessThanOrEqual(4);
    expect(result('output')).toStrictEqual({ v: 1, kind: 'output', bin: 'stacker', position: 1 });

    for (const unit of ['feeder', 'encoder.1', 'laser', 'qa', 'output']) {
      expect(h.sim.store(unit).tags, unit).toMatchObject({ ProdProcessedCount: 1, ProdDefectiveCount: 0 });
    }
    expect(h.sim.store('encoder.2').get('ProdProcessedCount')).toBe(0);

    // The ledger is written on the next turn of the event loop after the card lands: wait for it.
    let entries = await readLedger(ledgerFile(h.dataDir));
    for (let i = 0; i < 100 && !entries.some((e) => e.ev === 'stacked'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      entries = await readLedger(ledgerFile(h.dataDir));
    }
    expect(entries.map(({ t: _t, sim: _sim, ...e }) => e)).toStrictEqual([
      { ev: 'start', line: 'sim-test', pid: process.pid },
      { ev: 'loaded', count: 1, lot: 'initial' },
      { ev: 'fed', card: serial, seq: 1, lot: 'initial', unit: 'feeder' },
      { ev: 'entered', card: serial, unit: 'encoder.1' },
      { ev: 'entered', card: serial, unit: 'laser' },
      { ev: 'entered', card: serial, unit: 'qa' },
      { ev: 'entered', card: serial, unit: 'output' },
      { ev: 'stacked', card: serial, station: 'output', position: 1, chipSha256: chipContentSha256(chipFiles(mrz)), surfaceSha256: engraved, dg1Digest: dg1Digest(mrz) },
    ]);
    expect(await summarizeLedger(ledgerFile(h.dataDir))).toStrictEqual({
      stacker: [{ cardSerial: serial, position: 1, dg1Digest: dg1Digest(mrz) }],
      rejectBin: [],
      inMachine: [],
      unloaded: [],
      packs: [],
      blanksLoaded: 1,
      magazine: 0,
      fed: 1,
      stacked: 1,
      rejected: 0,
      purged: 0,
      starts: 1,
      badLines: 0,
    });
  });

  it('lets cards overtake at the laser when the heads run at different speeds', async () => {
    const h = openLine({ initialBlanks: 2, heads: 2 });
    h.control.slow('encoder.1', 1000); // 100 s simulated, 100 ms real
    await h.host.start();
    await runAll(h, 2);
    const entries = await readLedger(ledgerFile(h.dataDir));
    const at = (unit: string): string[] => entries.flatMap((e) => (e.ev === 'entered' && e.unit === unit ? [e.card] : []));
    expect(at('encoder.1')).toStrictEqual(['T00000001']);
    expect(at('encoder.2')).toStrictEqual(['T00000002']);
    expect(at('laser')).toStrictEqual(['T00000002', 'T00000001']);
    expect(h.host.donesOf('output').map((d) => d.cardSerial)).toStrictEqual(['T00000002', 'T00000001']);
    expect(h.sim.ledger.summary().stacker.map((c) => [c.cardSerial, c.position])).toStrictEqual([
      ['T00000002', 1],
      ['T00000001', 2],
    ]);
  });

  it('passes a skipped card on untouched and drops it in the reject bin at the output; an output reject job rejects', async () => {
    const provider: JobProvider = (r) => {
      if (r.n === 1 && r.kind !== 'feeder') return { v: 1, kind: 'skip' };
      if (r.n === 2 && r.kind === 'output') return { v: 1, kind: 'output', destination: 'reject', reason: 77 };
      return standardJobs(r);
    };
    const h = openLine({ initialBlanks: 2, heads: 1 }, { provider });
    await h.host.start();
    await runAll(h, 2);
    expect(h.host.lastResult('T00000001', 'qa')).toStrictEqual({ v: 1, kind: 'skip' });
    expect(h.host.lastResult('T00000001', 'output')).toStrictEqual({ v: 1, kind: 'skip' });
    expect(h.host.lastResult('T00000002', 'output')).toStrictEqual({ v: 1, kind: 'output', bin: 'reject', position: 0 });
    expect(h.sim.ledger.summary().rejectBin).toStrictEqual([
      { cardSerial: 'T00000001', reason: 'skipped' },
      { cardSerial: 'T00000002', reason: 'host-reject' },
    ]);
    const entries = await readLedger(ledgerFile(h.dataDir));
    expect(entries.find((e) => e.ev === 'rejected' && e.card === 'T00000002')).toMatchObject({ unit: 'output', hostReason: 77 });
  });

  it('rejects a card that gets no job in time (NoJobInTime, ResultJobId 0) and goes on with the next', async () => {
    const provider: JobProvider = (r) => (r.n === 1 && r.kind === 'laser' ? undefined : standardJobs(r));
    const h = openLine({ initialBlanks: 2, heads: 1 }, { provider, timing: { noJobTimeoutMs: 30_000 } });
    await h.host.start();
    await runAll(h, 2);
    const laser = h.host.donesOf('laser');
    expect(laser.map((d) => [d.cardSerial, d.jobId, d.result])).toStrictEqual([
      ['T00000001', 0, RESULT_CODES.NoJobInTime],
      ['T00000002', expect.any(Number), 0],
    ]);
    expect(h.sim.ledger.summary()).toMatchObject({ rejectBin: [{ cardSerial: 'T00000001', reason: 'NoJobInTime' }], stacker: [{ cardSerial: 'T00000002' }] });
    expect(h.sim.store('laser').tags).toMatchObject({ ProdProcessedCount: 2, ProdDefectiveCount: 1 });
  });
});

describe('physical events', () => {
  it('jam: Result CardJam, the card to the reject bin, the unit Held with StopReason CardJam until Unhold', async () => {
    const h = openLine({ initialBlanks: 2, heads: 1, failures: { laser: { jam: 1 } } });
    await h.host.start();
    await h.host.waitForState('laser', 'Held');
    expect(h.sim.store('laser').get('StopReason')).toBe(STOP_REASONS.CardJam);
    expect(h.host.donesOf('laser').map((d) => [d.cardSerial, d.result, d.data.length])).toStrictEqual([['T00000001', RESULT_CODES.CardJam, 0]]);
    expect(h.sim.ledger.summary().rejectBin).toStrictEqual([{ cardSerial: 'T00000001', reason: 'CardJam' }]);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.host.state('laser')).toBe(PACKML_STATES.Held); // only Unhold leaves Held
    h.control.setFailures({ jam: 0 }, 'laser');
    h.host.commandOk('laser', 'Unhold');
    await runAll(h, 2);
    expect(h.sim.ledger.summary().stacker.map((c) => c.cardSerial)).toStrictEqual(['T00000002']);
    expect(h.sim.store('laser').get('StopReason')).toBe(STOP_REASONS.None);
  });

  it('e-stop: Aborted without Done; after Clear the cards inside are purged and Done reports Aborted for each job', async () => {
    const h = openLine({ initialBlanks: 3, heads: 1, cycleMs: { qa: 3_600_000 } });
    await h.host.start();
    // The first card in work at QA, the second staged at its infeed with its job taken.
    await h.host.waitFor(() => h.sim.plc('qa').status().positions.infeed === 'T00000002' && h.host.jobsSent.filter((j) => j.unit === 'qa').length === 2 && h.sim.store('qa').get('JobAck') === h.host.jobsSent.filter((j) => j.unit === 'qa')[1]!.jobId, 'two cards at QA');
    const jobs = h.host.jobsSent.filter((j) => j.unit === 'qa').map((j) => j.jobId);
    h.control.eStop('qa');
    await h.host.waitForState('qa', 'Aborted');
    expect(h.sim.store('qa').get('StopReason')).toBe(STOP_REASONS.EmergencyStop);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.host.donesOf('qa')).toStrictEqual([]);
    expect(h.sim.ledger.summary().inMachine).toEqual(expect.arrayContaining([{ cardSerial: 'T00000001', station: 'qa' }, { cardSerial: 'T00000002', station: 'qa' }]));

    h.control.slow('qa', 0.0001);
    h.host.commandOk('qa', 'Clear');
    await h.host.waitFor(() => h.host.donesOf('qa').length === 2, 'the Aborted reports');
    expect(h.host.donesOf('qa').map((d) => [d.cardSerial, d.jobId, d.result])).toStrictEqual([
      ['T00000001', jobs[0], RESULT_CODES.Aborted],
      ['T00000002', jobs[1], RESULT_CODES.Aborted],
    ]);
    expect(h.sim.ledger.summary().rejectBin).toStrictEqual([
      { cardSerial: 'T00000001', reason: 'Aborted' },
      { cardSerial: 'T00000002', reason: 'Aborted' },
    ]);
    await h.host.waitForState('qa', 'Stopped');
    await h.host.start(['qa']);
    await runAll(h, 3);
    expect(h.sim.ledger.summary().stacker.map((c) => c.cardSerial)).toStrictEqual(['T00000003']);
  });

  it('starved: the feeder suspends when the magazine is empty and returns to Execute when blanks are loaded', async () => {
    const h = openLine({ initialBlanks: 1 });
    await h.host.start();
    await runAll(h, 1);
    await h.host.waitForState('feeder', 'Suspended');
    expect(h.sim.store('feeder').get('StopReason')).toBe(STOP_REASONS.Starved);
    expect(h.control.loadBlanks(2, 'lot-B')).toStrictEqual({ magazine: 2 });
    await runAll(h, 3);
    expect(h.sim.ledger.summary()).toMatchObject({ blanksLoaded: 3, fed: 3, magazine: 0, stacked: 3 });
    const fed = (await readLedger(ledgerFile(h.dataDir))).flatMap((e) => (e.ev === 'fed' ? [[e.card, e.lot]] : []));
    expect(fed).toStrictEqual([
      ['T00000001', 'initial'],
      ['T00000002', 'lot-B'],
      ['T00000003', 'lot-B'],
    ]);
  });

  it('blocked: the output suspends when the stacker is full and resumes when it is emptied; positions start again', async () => {
    const h = openLine({ initialBlanks: 3, stackerCapacity: 2 });
    await h.host.start();
    await runAll(h, 2);
    await h.host.waitForState('output', 'Suspended');
    expect(h.sim.store('output').get('StopReason')).toBe(STOP_REASONS.Blocked);
    // The third card waits at the output's infeed, its job taken, until the stacker is emptied.
    await h.host.waitFor(() => h.sim.plc('output').status().positions.infeed === 'T00000003', 'the third card waiting at the output');
    expect(h.sim.plc('output').status().positions.work).toBeNull();
    expect(h.control.emptyStacker()).toStrictEqual([{ station: 'output', cards: ['T00000001', 'T00000002'] }]);
    await runAll(h, 3);
    expect(h.sim.ledger.summary()).toMatchObject({
      stacker: [{ cardSerial: 'T00000003', position: 1 }],
      unloaded: [
        { cardSerial: 'T00000001', position: 1 },
        { cardSerial: 'T00000002', position: 2 },
      ],
    });
  });
});

describe('failure modes', () => {
  it('an empty chip write: the encoder reports Good with every file written; QA reads nothing back', async () => {
    const h = openLine({ initialBlanks: 1, failures: { encoder: { emptyChipWrite: 1 } } });
    await h.host.start();
    await runAll(h, 1);
    expect(h.host.donesOf('encoder').map((d) => [d.result, d.decoded])).toStrictEqual([[0, { v: 1, kind: 'chip', written: ['011E', '0101', '0102'] }]]);
    expect(h.host.lastResult('T00000001', 'qa')).toMatchObject({ chip: null, ocrMrz: syntheticMrz(1) });
    expect(h.sim.ledger.summary().rejectBin).toStrictEqual([{ cardSerial: 'T00000001', reason: 'host-reject' }]);
  });

  it('a partial chip write: the encoder reports Good; QA reads back only part of the files', async () => {
    const h = openLine({ initialBlanks: 1, failures: { encoder: { partialChipWrite: 1 } } });
    await h.host.start();
    await runAll(h, 1);
    expect(h.host.donesOf('encoder')[0]).toMatchObject({ result: 0, decoded: { written: ['011E', '0101', '0102'] } });
    const qa = h.host.lastResult('T00000001', 'qa');
    if (qa?.kind !== 'inspect' || qa.chip === null) throw new Error(`QA read nothing: ${JSON.stringify(qa)}`);
    const expected = chipFiles(syntheticMrz(1));
    expect(qa.chip.files.length).toBeGreaterThanOrEqual(1);
    expect(qa.chip.files.length).toBeLessThan(expected.length);
    for (const f of qa.chip.files) expect(expected.find((e) => e.fid === f.fid)?.data).toStrictEqual(f.data);
    expect(h.sim.ledger.summary().stacker).toStrictEqual([]);
  });

  it.each([
    ['chipWriteFailure', 'encoder', RESULT_CODES.ChipWriteFailed, 'ChipWriteFailed'],
    ['blankDefect', 'feeder', RESULT_CODES.BlankDefect, 'BlankDefect'],
  ] as const)('%s: the station reports it and its reject gate takes the card', async (mode, station, code, reason) => {
    const h = openLine({ initialBlanks: 1, failures: { [station]: { [mode]: 1 } } });
    await h.host.start();
    await runAll(h, 1);
    expect(h.host.donesOf(station).map((d) => d.result)).toStrictEqual([code]);
    expect(h.host.dones.at(-1)!.kind).toBe(station); // the card went no further
    expect(h.sim.ledger.summary().rejectBin).toStrictEqual([{ cardSerial: 'T00000001', reason }]);
  });

  it('misregistration: the laser reports Good, QA grades the print below 2.0', async () => {
    const h = openLine({ initialBlanks: 1, failures: { laser: { misregistration: 1 } } });
    await h.host.start();
    await runAll(h, 1);
    expect(h.host.donesOf('laser')[0]!.result).toBe(0);
    const qa = h.host.lastResult('T00000001', 'qa');
    expect(qa?.kind === 'inspect' && qa.printGrade).toBeLessThan(2);
  });

  it('OCR mismatch: QA reads exactly one MRZ character wrong', async () => {
    const h = openLine({ initialBlanks: 1, failures: { qa: { ocrMismatch: 1 } } });
    await h.host.start();
    await runAll(h, 1);
    const qa = h.host.lastResult('T00000001', 'qa');
    if (qa?.kind !== 'inspect' || qa.ocrMrz === null) throw new Error('no OCR');
    const read = qa.ocrMrz.join('');
    const truth = syntheticMrz(1).join('');
    expect(read).toHaveLength(90);
    expect([...read].filter((c, i) => c !== truth[i])).toHaveLength(1);
  });

  it('over many cards, rates come out roughly as configured, and a seed gives the same fates every run', async () => {
    const cards = 600;
    const failures = {
      feeder: { blankDefect: 0.03 },
      encoder: { chipWriteFailure: 0.05, emptyChipWrite: 0.03, partialChipWrite: 0.03 },
      laser: { misregistration: 0.04, jam: 0.02 },
      qa: { ocrMismatch: 0.04 },
    };
    const runOnce = async (): Promise<{ reasons: Map<string, string>; counts: Record<string, number> }> => {
      const h = openLine({ initialBlanks: cards, heads: 4, timeScale: 10_000, transferMs: 0, failures, seed: 'rates' });
      // Jams hold the laser: the host unholds it, as an operator would after clearing the jam.
      const offs = h.sim.store('laser').onChange((c) => {
        if (c.StateCurrent === PACKML_STATES.Held) setImmediate(() => h.sim.store('laser').command('Unhold'));
      });
      await h.host.start();
      await runAll(h, cards, 60_000);
      offs();
      const summary = h.sim.ledger.summary();
      const reasons = new Map(summary.rejectBin.map((r) => [r.cardSerial, r.reason]));
      const counts: Record<string, number> = {};
      for (const r of summary.rejectBin) counts[r.reason] = (counts[r.reason] ?? 0) + 1;
      const qa = h.host.donesOf('qa').flatMap((d) => (d.decoded?.kind === 'inspect' ? [d.decoded] : []));
      counts.misregistered = qa.filter((r) => r.printGrade < 2).length;
      counts.emptyChip = qa.filter((r) => r.chip === null).length;
      counts.qaInspected = qa.length;
      counts.stacked = summary.stacker.length;
      return { reasons, counts };
    };
    const a = await runOnce();
    const b = await runOnce();
    expect([...b.reasons.entries()].sort()).toStrictEqual([...a.reasons.entries()].sort());
    expect(b.counts).toStrictEqual(a.counts);

    const within = (observed: number, n: number, p: number): void => {
      const sd = Math.sqrt((n * p * (1 - p)));
      expect(Math.abs(observed - n * p), `${observed} of ${n} for p=${p}`).toBeLessThan(4 * sd + 1);
    };
    const c = a.counts;
    within(c.BlankDefect ?? 0, cards, 0.03);
    const fed = cards - (c.BlankDefect ?? 0);
    within(c.ChipWriteFailed ?? 0, fed, 0.05);
    // An empty write is drawn after a write failure: among cards the encoder passed, p = 0.03 / 0.95.
    within(c.emptyChip!, c.qaInspected!, 0.03 / 0.95);
    within(c.CardJam ?? 0, fed - (c.ChipWriteFailed ?? 0), 0.02);
    within(c.misregistered!, c.qaInspected!, 0.04);
    expect(c.stacked! + Object.entries(c).filter(([k]) => ['BlankDefect', 'ChipWriteFailed', 'CardJam', 'host-reject'].includes(k)).reduce((n, [, v]) => n + v, 0)).toBe(cards);
  });
});

describe('restart', () => {
  it('a new simulator process purges the cards the old one left inside and continues serials, magazine and stacker', async () => {
    const dataDir = newDataDir();
    const first = openLine({ initialBlanks: 6, heads: 2, cycleMs: { qa: 3_600_000 } }, { dataDir });
    await first.host.start();
    await first.host.waitFor(() => first.sim.plc('qa').cardPhase === 'working' && first.sim.plc('laser').cardPhase === 'waiting', 'cards stuck behind QA');
    const before = first.sim.ledger.summary();
    expect(before.inMachine.length).toBeGreaterThanOrEqual(3);
    // The process dies: no orderly end, the ledger is all that is left.
    first.host.close();
    first.sim.stop();
    open.splice(0);

    const second = openLine({ initialBlanks: 6, heads: 2 }, { dataDir });
    const restarted = second.sim.ledger.summary();
    expect(restarted.inMachine).toStrictEqual([]);
    expect(restarted.rejectBin).toStrictEqual(before.inMachine.map((c) => ({ cardSerial: c.cardSerial, reason: 'simulator-restart' })));
    expect(restarted.magazine).toBe(6 - before.fed);
    expect(restarted.blanksLoaded).toBe(6); // initialBlanks are loaded on the first start only
    await second.host.start();
    await runAll(second, 6);
    const after = await summarizeLedger(ledgerFile(dataDir));
    const serials = [...after.stacker.map((c) => c.cardSerial), ...after.rejectBin.map((c) => c.cardSerial)];
    expect(new Set(serials).size).toBe(6);
    expect(serials.sort()).toStrictEqual(['T00000001', 'T00000002', 'T00000003', 'T00000004', 'T00000005', 'T00000006']);
    expect(after).toMatchObject({ starts: 2, fed: 6, purged: before.inMachine.length, inMachine: [] });
  });
});

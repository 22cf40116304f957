/**
 * The station links against the real simulator over loopback sockets, per transport: a whole
 * line driven card by card (feeder, encoder heads, laser, QA, output) for 200 records — over
 * 1,000 jobs through the handshake — with no lost or duplicated result, cards reaching the laser
 * out of record order and still getting their own jobs, judged against the simulator's ledger.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dg1Digest, summarizeLedger, ledgerFile } from '../simulators/ledger.ts';
import { LineSimulator } from '../simulators/line-simulator.ts';
import { freePort } from '../simulators/modbus/modbus-server.ts';
import { testLine } from '../simulators/testing/test-line.ts';
import { parseCivilDate, parsePartialDate } from '../src/domain/dates.ts';
import { composeVietnameseMrz } from '../src/domain/mrz/compose.ts';
import { createLineLinks } from '../src/plc/link-factory.ts';
import type { StationLink } from '../src/plc/station-link.ts';
import { sampleRecords } from '../src/sample/generate.ts';
import { MiniController, type MiniRecord } from './helpers/mini-controller.ts';

function records(count: number): MiniRecord[] {
  return [...sampleRecords({ count, seed: 'plc-line' })].map(({ record }, i) => ({
    ref: `r${i + 1}`,
    mrz: composeVietnameseMrz({
      pid: record.pid,
      fullName: record.fullName,
      birthDate: parsePartialDate(record.birthDate)!,
      sex: record.sex,
      issueDate: parseCivilDate(record.issueDate)!,
    }).lines,
  }));
}

describe.each(['opcua', 'modbus'] as const)('a whole line over %s', (transport) => {
  let dataDir: string;
  let sim: LineSimulator;
  let links: Map<string, StationLink>;
  const line = { value: undefined as ReturnType<typeof testLine> | undefined };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), `cardline-line-${transport}-`));
    const modbusPorts: Record<string, number> = {};
    if (transport === 'modbus') for (const id of ['feeder', 'encoder', 'laser', 'qa', 'output']) modbusPorts[id] = await freePort();
    line.value = testLine({
      id: `line-${transport}`,
      heads: 4,
      initialBlanks: 400,
      // Modbus is polled in real milliseconds while the PLC's timeouts shrink with the time scale: a
      // smaller scale keeps a loaded machine (CI runs three test files on two cores) inside them.
      timeScale: transport === 'modbus' ? 50 : 200,
      heartbeatMs: 100,
      distribution: 'lognormal',
      // Encoder cycles vary widely, so cards overtake each other between the feeder and the laser.
      cycleMs: { feeder: 200, encoder: 3000, laser: 400, qa: 300, output: 100 },
      transports: transport === 'modbus' ? { feeder: 'modbus', encoder: 'modbus', laser: 'modbus', qa: 'modbus', output: 'modbus' } : {},
      modbusPorts,
    });
    sim = await LineSimulator.start({ line: line.value, dataDir, ports: { opcua: 0, modbus: modbusPorts, control: false } });
    const opcuaUrl = sim.opcuaEndpointUrl;
    const withPort = opcuaUrl ? { ...line.value, simulation: { ...line.value.simulation!, opcua: { host: '127.0.0.1', port: Number(new URL(opcuaUrl).port) } } } : line.value;
    links = createLineLinks(withPort, { dataDir });
    await Promise.all([...links.values()].map((l) => l.connect()));
    for (const unit of sim.endpoints()) {
      const link = links.get(unit.unit)!;
      await link.command('Reset');
    }
    await new Promise((r) => setTimeout(r, 200));
    for (const link of links.values()) await link.command('Start');
    await new Promise((r) => setTimeout(r, 200));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...(links?.values() ?? [])].map((l) => l.close()));
    await sim?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs 200 records through every station: each produced once, with its own chip and MRZ', async () => {
    // One slow head: the cards it holds are overtaken by the others'.
    sim.control.slow('encoder.1', 4);
    const input = records(200);
    const controller = new MiniController(line.value!, links, input, { wip: 16 });
    const outcome = await controller.run(120_000);

    expect(outcome.failed.size).toBe(0);
    expect(outcome.produced.size).toBe(200);
    expect(outcome.jobsDone).toBeGreaterThanOrEqual(1000);
    expect(outcome.events.filter((e) => e.type === 'plc.job.failed' || e.type === 'plc.fault')).toStrictEqual([]);

    // Cards reached the laser in another order than the feeder fed them.
    const fed = outcome.seenAt.get('feeder')!;
    const lasered = outcome.seenAt.get('laser')!;
    const order = lasered.map((s) => fed.indexOf(s));
    expect(order.some((v, i) => i > 0 && v < order[i - 1]!)).toBe(true);

    // The physical truth: one card per record in the stacker, holding that record's DG1.
    const ledger = await summarizeLedger(ledgerFile(dataDir));
    expect(ledger.stacker).toHaveLength(200);
    const digestBySerial = new Map(ledger.stacker.map((c) => [c.cardSerial, c.dg1Digest]));
    for (const record of input) {
      const serial = outcome.produced.get(record.ref)!;
      expect(digestBySerial.get(serial)).toBe(dg1Digest(record.mrz));
    }
    expect(ledger.inMachine).toStrictEqual([]);
  }, 180_000);
});

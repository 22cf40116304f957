/**
 * Issue 14's acceptance for the packer, end to end over loopback sockets: 1,000 records on the demo
 * line demo-mixed (config/lines/demo-mixed.yaml: OPC UA and Modbus TCP stations, a packer of 8
 * pockets and packs of 50 after the output) with its faults (defective blanks, chip write failures,
 * empty and partial chip writes, misregistration, OCR misreads, jams), the product's own data
 * preparation and QA judgement. The line runs faster (timeScale raised, free ports); what is
 * asserted are the invariants, not times:
 * - every record ended produced once or failed after its attempts, and the ledger agrees (checkInvariants);
 * - every good card lies in exactly one pack whose office is its record's deliveryOffice;
 * - per office, packs are full except remainder packs and at most one last pack; every pack closed;
 * - the simulator ledger's packs equal `cardline pack list BATCH --json`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ledgerFile, summarizeLedger } from '../simulators/ledger.ts';
import { LineSimulator } from '../simulators/line-simulator.ts';
import { freePort } from '../simulators/modbus/modbus-server.ts';
import { openContext, type AppContext } from '../src/cli/context.ts';
import { loadLineConfig, parseLineConfig } from '../src/config/line-config.ts';
import { importBatch } from '../src/import/importer.ts';
import { runBatchOnLine } from '../src/line/compose.ts';
import { writeSample } from '../src/sample/generate.ts';
import { LineStore } from '../src/store/line-store.ts';
import { cardline, cliUsers } from './helpers/cli.ts';
import { checkInvariants } from './helpers/invariants.ts';
import { checkPacks } from './helpers/packs.ts';

const COUNT = 1000;
const DEMO_MIXED = path.resolve(import.meta.dirname, '../config/lines/demo-mixed.yaml');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('1,000 records on demo-mixed with its packer and its faults', () => {
  it('packs every good card once, in a pack of its office; packs full but for remainders and one last; the ledger’s packs are pack list', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cardline-packer-e2e-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const base = { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' };
    const ctx: AppContext = await openContext({ ...process.env, ...base });
    // `cardline pack list` below acts as a manager.
    const env = (await cliUsers(base, { mgr: 'manager' })).mgr;
    cleanups.push(() => ctx.close());
    const sample = await writeSample({ count: COUNT, seed: 'packer-e2e', outDir: path.join(dir, 'in'), portraitPool: 8 });
    const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 't', today: { year: 2026, month: 11, day: 27 } });
    expect(imported.accepted).toBe(COUNT);

    // The demo line as shipped, on free ports and 12 times faster. Not more: a station waits 30 s
    // (simulated) for a card's job, and the controller's rendering and signing can hold its event
    // loop for a good part of a second on a loaded machine (at 60× cards were lost to NoJobInTime).
    const demo = await loadLineConfig(DEMO_MIXED);
    const { source: _source, ...file } = demo;
    const stations = await Promise.all(file.stations.map(async (s) => (s.modbus ? { ...s, modbus: { ...s.modbus, port: await freePort() } } : s)));
    const line = parseLineConfig(
      { ...file, simulation: { ...file.simulation!, timeScale: 12, initialBlanks: COUNT * 2, opcua: { host: '127.0.0.1', port: await freePort() }, controlPort: undefined }, stations },
      'demo-mixed.yaml (test ports)',
    );
    const packer = line.stations.find((s) => s.kind === 'packer')!;
    expect([packer.packPockets, packer.packSize, packer.transport]).toStrictEqual([8, 50, 'modbus']);

    const sim = await LineSimulator.start({ line, dataDir: ctx.dataDir, ports: { control: false } });
    cleanups.push(() => sim.stop());
    const result = await runBatchOnLine(ctx, { lineFile: DEMO_MIXED, line, batchId: imported.batchId, sim: 'external', recoverAfterMs: 100, log: (m) => console.log(m) });
    expect(result.status).toBe('completed');
    // The operator takes the last packs out of the pockets.
    sim.control.unloadPacks();
    await new Promise((resolve) => setImmediate(resolve));

    const invariants = await checkInvariants({ db: ctx.db, batches: ctx.batches, dataDir: ctx.dataDir, batchId: imported.batchId });
    expect(invariants.violations).toStrictEqual([]);
    expect(invariants.produced + invariants.failed).toBe(COUNT);
    expect(invariants.spoiled, 'the line file’s faults struck').toBeGreaterThan(10);

    const store = new LineStore(ctx.db, line.id);
    const packs = await checkPacks({ store, dataDir: ctx.dataDir, batchId: imported.batchId, packSize: 50 });
    expect(packs.violations).toStrictEqual([]);
    expect(packs.cards).toBe(invariants.produced);
    expect(result.progress.packsClosed).toBe(packs.packs);

    // `cardline pack list --json`, as a user runs it, against the simulator's physical truth.
    const listed = await cardline(['pack', 'list', imported.batchId, '--json'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    const list = JSON.parse(listed.stdout.split('\n').find((l) => l.startsWith('['))!) as { packId: string; deliveryOffice: string; cardSerials: string[]; closed: boolean; remainder: boolean }[];
    const ledger = await summarizeLedger(ledgerFile(ctx.dataDir));
    const physical = ledger.packs.filter((p) => p.packId.startsWith(`${imported.batchId}-`)).map((p) => ({ packId: p.packId, deliveryOffice: p.office, cardSerials: p.cards.map((c) => c.cardSerial) }));
    const byId = (a: { packId: string }, b: { packId: string }) => a.packId.localeCompare(b.packId);
    expect(list.map(({ packId, deliveryOffice, cardSerials }) => ({ packId, deliveryOffice, cardSerials })).sort(byId)).toStrictEqual(physical.sort(byId));
    expect(list.every((p) => p.closed)).toBe(true);
    console.log(`packer e2e: ${invariants.produced} produced, ${invariants.failed} failed, ${invariants.spoiled} spoiled; ${packs.packs} packs (${packs.remainders} remainders) for ${new Set(list.map((p) => p.deliveryOffice)).size} offices; ${Math.round(result.elapsedMs / 1000)} s`);
  }, 900_000);
});

/**
 * End to end over loopback sockets: 1,000 records on a mixed line (feeder and four encoder heads
 * over OPC UA; laser, QA and output over Modbus TCP) with the product's own data preparation
 * (rendered laser jobs, signed LDS images, BAC keys) and QA judgement (chip read through BAC and
 * verified), 3–5 % failures at every station including empty chip writes, one PLC connection drop
 * and one station e-stop in the middle. Judged against the simulator's ledger.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LineSimulator } from '../simulators/line-simulator.ts';
import { freePort } from '../simulators/modbus/modbus-server.ts';
import { testLine } from '../simulators/testing/test-line.ts';
import { openContext, type AppContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';
import { runBatch } from '../src/app/run-line.ts';
import { writeSample } from '../src/sample/generate.ts';
import { checkInvariants } from './helpers/invariants.ts';

const COUNT = 1000;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a 1,000-record batch on a mixed OPC UA / Modbus line', () => {
  it('ends with every record produced once or failed after 3 attempts, and the ledger agrees', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cardline-e2e-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const ctx: AppContext = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
    cleanups.push(() => ctx.close());
    const sample = await writeSample({ count: COUNT, seed: 'e2e', outDir: path.join(dir, 'in'), portraitPool: 8 });
    const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 't', today: { year: 2026, month: 11, day: 27 } });
    expect(imported.accepted).toBe(COUNT);

    const modbusPorts: Record<string, number> = { laser: await freePort(), qa: await freePort(), output: await freePort() };
    const opcuaPort = await freePort();
    const line = testLine({
      id: 'e2e',
      heads: 4,
      initialBlanks: COUNT * 2,
      timeScale: 10,
      heartbeatMs: 200,
      distribution: 'normal',
      cycleMs: { feeder: 100, encoder: 1000, laser: 250, qa: 200, output: 100 },
      transports: { laser: 'modbus', qa: 'modbus', output: 'modbus' },
      modbusPorts,
      opcuaPort,
      failures: {
        feeder: { blankDefect: 0.03 },
        encoder: { chipWriteFailure: 0.015, emptyChipWrite: 0.015, partialChipWrite: 0.01 },
        laser: { misregistration: 0.04 },
        qa: { ocrMismatch: 0.03 },
        output: { jam: 0.03 },
      },
    });
    const sim = await LineSimulator.start({ line, dataDir: ctx.dataDir, ports: { control: false } });
    cleanups.push(() => sim.stop());

    const faults: string[] = [];
    const result = await runBatch(ctx, {
      lineFile: 'e2e (test)',
      line,
      batchId: imported.batchId,
      sim: 'external',
      recoverAfterMs: 100,
      log: (m) => console.log(m),
      onProgress: (p) => {
        // In the middle of the batch: the OPC UA server cuts every client connection; later the laser is e-stopped.
        if (p.good >= COUNT * 0.3 && faults.length === 0) {
          faults.push('drop');
          sim.control.dropConnections('encoder');
        }
        if (p.good >= COUNT * 0.6 && faults.length === 1) {
          faults.push('e-stop');
          sim.control.eStop('laser');
        }
      },
    });
    expect(faults).toStrictEqual(['drop', 'e-stop']);
    expect(result.status).toBe('completed');

    const report = await checkInvariants({ db: ctx.db, batches: ctx.batches, dataDir: ctx.dataDir, batchId: imported.batchId });
    expect(report.violations).toStrictEqual([]);
    expect(report.produced + report.failed).toBe(COUNT);
    // The failures really happened, at every station, and were caught.
    const reasons = await ctx.db('spoil_log').where({ batch_id: imported.batchId }).select('reason');
    const byReason = new Map<string, number>();
    for (const r of reasons as { reason: string }[]) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
    for (const code of ['BLANK_DEFECT', 'CHIP_WRITE_FAILED', 'CHIP_UNREADABLE', 'PRINT_GRADE_LOW', 'MRZ_OCR_MISMATCH', 'CARD_JAM']) {
      expect(byReason.get(code) ?? 0, `${code} in ${JSON.stringify([...byReason])}`).toBeGreaterThan(0);
    }
    expect(report.spoiled).toBeGreaterThan(COUNT * 0.1);
    // Nothing fed that is unaccounted for, physically.
    const batchCards = new Set((await ctx.db('cards').where({ batch_id: imported.batchId }).select('card_serial')).map((c: { card_serial: string }) => c.card_serial));
    expect(report.ledger.stacker.filter((c) => batchCards.has(c.cardSerial)).length + report.ledger.rejectBin.filter((c) => batchCards.has(c.cardSerial)).length).toBe(batchCards.size);
  }, 600_000);
});

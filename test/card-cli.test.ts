/**
 * `cardline card write-off` through the real CLI: a card the database holds in the line (as a run
 * stopped by a crash leaves it) is written off by a supervisor; the batch's accounting balances
 * again and the record is queued for re-make; what cannot be written off is refused by name. While
 * a controller holds the line, a second `cardline run` on it and the write-off are both refused; a
 * run whose line is taken over stops driving it and says so.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/cli/context.ts';
import { LineLease } from '../src/store/line-lease.ts';
import { LineStore } from '../src/store/line-store.ts';
import { cardline, cliUsers, jsonLine, writeCliLine } from './helpers/cli.ts';

let dir: string;
let env: NodeJS.ProcessEnv;
let supervisor: NodeJS.ProcessEnv;
let lineFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-cardcli-'));
  const base = { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' };
  const users = await cliUsers(base, { 'op-test': 'operator', 'sup-c': 'manager' });
  env = users['op-test'];
  supervisor = users['sup-c'];
  lineFile = path.join(dir, 'line.yaml');
  await writeCliLine(lineFile, { id: 'cli-line', timeScale: 20, seed: 5, initialBlanks: 10, serialPrefix: 'K', cycleMs: 200 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cardline card write-off', () => {
  it('writes off a card the records hold in the line: spoiled, the record re-made, the batch balances; refuses the rest', async () => {
    expect((await cardline(['sample', '--count', '3', '--seed', 'cardcli', '--out', path.join(dir, 'in')], { env })).code).toBe(0);
    const imported = await cardline(['import', path.join(dir, 'in', 'batch.jsonl')], { env });
    expect(imported.code, imported.stderr).toBe(0);
    const batchId = /batch (\S+): \d+ record/.exec(imported.stdout)?.[1];
    expect(batchId, imported.stdout).toBeDefined();

    // What a run that died leaves behind: record 2's card fed and last seen at the laser.
    const ctx = await openContext({ ...process.env, ...env });
    try {
      await new LineStore(ctx.db, 'cli-line').journal.append(
        { op: 'record', batchId: batchId!, seq: 2, status: 'in-line', attempts: 1, reasons: [], cardSerial: null, position: null },
        { op: 'card.fed', cardSerial: 'K0000042', batchId: batchId!, seq: 2, attempt: 1, unit: 'feeder' },
        { op: 'card.unit', cardSerial: 'K0000042', unit: 'laser' },
      );
    } finally {
      await ctx.close();
    }
    expect(jsonLine((await cardline(['batch', 'show', batchId!, '--json'], { env })).stdout)).toMatchObject({ cards: { blanksConsumed: 1, spoiled: 0, inLine: 1 } });

    // While a controller holds the line, neither a second run nor a write-off may touch it.
    const holder = await openContext({ ...process.env, ...env });
    const lease = await LineLease.acquire(holder.db, 'cli-line', { batchId: batchId! });
    try {
      const held = await cardline(['card', 'write-off', 'K0000042'], { env: supervisor });
      expect(held.code).toBe(2);
      expect(held.stderr).toMatch(new RegExp(`a run is under way on line cli-line: process ${process.pid} on .*\\(batch ${batchId}\\)`));
      const second = await cardline(['run', batchId!, '--line', lineFile, '--resume'], { env });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`line cli-line is being run by process ${process.pid} on .*: only one controller may drive a line`));
    } finally {
      await lease.release();
      await holder.close();
    }

    // A write-off is a supervisor's: the operator may not, and nobody at all may not either.
    const byOperator = await cardline(['card', 'write-off', 'K0000042'], { env });
    expect(byOperator.code).toBe(4);
    expect(byOperator.stderr).toMatch(/op-test \(operator\) may not write off a card: it needs the role engineer or manager/);
    const { CARDLINE_USER: _u, CARDLINE_PASSWORD: _p, ...nobody } = supervisor;
    const anonymous = await cardline(['card', 'write-off', 'K0000042'], { env: { ...nobody, CARDLINE_USER: '', CARDLINE_PASSWORD: '' } });
    expect(anonymous.code).toBe(4);
    expect(anonymous.stderr).toMatch(/not logged in/);
    const badReason = await cardline(['card', 'write-off', 'K0000042', '--reason', 'GONE'], { env: supervisor });
    expect(badReason.code).toBe(2);
    expect(badReason.stderr).toMatch(/--reason GONE is not a reason code/);

    const written = await cardline(['card', 'write-off', 'K0000042', '--note', 'taken out while clearing a jam'], { env: supervisor });
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toMatch(new RegExp(`card K0000042 written off by sup-c \\(WRITTEN_OFF\\): record 2 of batch ${batchId} queued for re-make`));

    const shown = jsonLine((await cardline(['batch', 'show', batchId!, '--json'], { env })).stdout);
    expect(shown).toMatchObject({ records: { total: 3, pending: 3 }, cards: { blanksConsumed: 1, good: 0, spoiled: 1, inLine: 0 }, spoiledByReason: { WRITTEN_OFF: 1 } });

    const again = await cardline(['card', 'write-off', 'K0000042'], { env: supervisor });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/card K0000042 is spoiled: only a card the records hold in the line can be written off/);
    const unknown = await cardline(['card', 'write-off', 'K9999999'], { env: supervisor });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/card K9999999 is not known/);
  }, 120_000);
});

describe('cardline run on a line taken over by another controller', () => {
  it('stops driving the line, rejects no card, leaves the batch running and exits 1 naming the new holder', async () => {
    // A slow line (a card every 0.8 s) so the run is still going when the lease is taken from it.
    const slowLine = path.join(dir, 'slow-line.yaml');
    await writeCliLine(slowLine, { id: 'slow-line', timeScale: 1, seed: 6, initialBlanks: 40, serialPrefix: 'S', cycleMs: 800 });
    expect((await cardline(['sample', '--count', '20', '--seed', 'taken', '--out', path.join(dir, 'taken')], { env })).code).toBe(0);
    const imported = await cardline(['import', path.join(dir, 'taken', 'batch.jsonl')], { env });
    expect(imported.code, imported.stderr).toBe(0);
    const batchId = /batch (\S+): \d+ record/.exec(imported.stdout)?.[1];
    expect(batchId, imported.stdout).toBeDefined();

    const run = cardline(['run', batchId!, '--line', slowLine], { env });
    const ctx = await openContext({ ...process.env, ...env });
    try {
      // Once cards are in the line, another host's controller takes the lease (this one was thought dead).
      const store = new LineStore(ctx.db, 'slow-line');
      const deadline = Date.now() + 60_000;
      while ((await store.accounting(batchId!)).cards.inLine < 2) {
        if (Date.now() > deadline) throw new Error(`the run put no cards in the line:\n${(await run).stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const now = new Date().toISOString();
      expect(await ctx.db('line_leases').where({ line_id: 'slow-line' }).update({ token: 'stolen', host: 'other-host', pid: 4242, batch_id: batchId!, acquired_at: now, renewed_at: now })).toBe(1);

      const result = await run;
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`line slow-line was taken over by process 4242 on other-host \\(batch ${batchId}\\).*: this run stopped driving it, leaving batch ${batchId} running`),
      );
      // Nothing was sent to the reject bin on the way out, and the batch is still the new holder's to run.
      const shown = jsonLine((await cardline(['batch', 'show', batchId!, '--json'], { env })).stdout);
      expect(shown).toMatchObject({ status: 'running', records: { cancelled: 0 }, cards: { spoiled: 0 } });
      expect((shown as { cards: { inLine: number } }).cards.inLine).toBeGreaterThan(0);
      expect(await LineLease.holder(ctx.db, 'slow-line')).toMatchObject({ host: 'other-host', pid: 4242 });
    } finally {
      await ctx.close();
    }
  }, 120_000);
});

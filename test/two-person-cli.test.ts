/**
 * Issue 15's acceptance for identities, the two-person rule and retention, through the real CLI on
 * a small simulated line: a batch run by a manager is released only on a second person's approval
 * (never its own operator's, never the requester's, never an operator's role); a released batch is
 * final (qa reject refused; qa recall re-issues the record in a new batch, and a re-import is
 * refused only for the PID still open there); `purge --batch` asked for by a manager and approved
 * by a second person leaves no name, PID or birth date of that batch in the data directory or in
 * any output folder cardline wrote, while `batch show` still balances; `purge --due` purges a
 * release whose approved retention date has passed, unattended. Files with personal data are 0600
 * in 0700 folders.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/cli/context.ts';
import { cardline, cliUsers, jsonLine, writeCliLine, type CliResult } from './helpers/cli.ts';
import { scanForLeaks } from './helpers/scan.ts';

let dir: string;
let dataDir: string;
let lineFile: string;
let as: Record<'op-a' | 'mgr-a' | 'qa-b' | 'qa-c' | 'mgr-d', NodeJS.ProcessEnv>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-twoperson-'));
  dataDir = path.join(dir, 'data');
  as = await cliUsers({ CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '' }, { 'op-a': 'operator', 'mgr-a': 'manager', 'qa-b': 'qa', 'qa-c': 'qa', 'mgr-d': 'manager' });
  lineFile = path.join(dir, 'line.yaml');
  await writeCliLine(lineFile, { id: 'tp-line', timeScale: 20, seed: 9, initialBlanks: 40, serialPrefix: 'T', cycleMs: 200 });
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function requestId(r: CliResult): string {
  const id = /request (R-[0-9a-f]+)/.exec(r.stdout)?.[1];
  expect(id, r.stdout + r.stderr).toBeDefined();
  return id!;
}

function refused(r: CliResult, code: number, message: RegExp): void {
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code, stderr: expect.stringMatching(message) });
}

async function mode(p: string): Promise<number> {
  return (await stat(p)).mode & 0o777;
}

describe('two people release and purge a batch', () => {
  it('release, finality, recall, scheduled and requested purge', async () => {
    // A batch file cardline writes into its own data directory, as the demo does: the purge takes it too.
    const sampleDir = path.join(dataDir, 'samples', 'tp');
    expect((await cardline(['sample', '--count', '4', '--seed', 'two-person', '--out', sampleDir], { env: as['op-a'] })).code).toBe(0);
    const secrets = (await readFile(path.join(sampleDir, 'batch.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .flatMap((l) => {
        const r = JSON.parse(l) as Record<string, string>;
        return [r.pid!, r.fullName!, ...(r.birthDate!.length === 10 ? [r.birthDate!] : [])];
      });

    const ran = await cardline(['run', path.join(sampleDir, 'batch.jsonl'), '--line', lineFile, '--proof'], { env: as['mgr-a'] });
    expect(ran.code, ran.stderr + ran.stdout).toBe(0);
    const batchId = /batch (\S+) on line tp-line: completed/.exec(ran.stdout)![1]!;
    const serial = /^(T\d+)\s+\d+\s+\d+\s+good/m.exec((await cardline(['qa', 'list', batchId], { env: as['qa-b'] })).stdout)![1]!;

    // Files with personal data: 0600 in 0700 folders.
    const renderDir = path.join(dir, 'render');
    const rendered = await cardline(['render', '--batch', batchId, '--out', renderDir, '--proof', '--json'], { env: as['qa-b'] });
    expect(rendered.code, rendered.stderr).toBe(0);
    const files = jsonLine(rendered.stdout).files as string[];
    expect(files.length).toBe(4 * 2 + 1);
    const proof = path.join(dataDir, 'reports', batchId, 'proof.pdf');
    expect({ renderDir: await mode(renderDir), reportDir: await mode(path.dirname(proof)) }).toStrictEqual({ renderDir: 0o700, reportDir: 0o700 });
    for (const f of [...files, proof]) expect({ f, mode: await mode(f) }).toStrictEqual({ f, mode: 0o600 });
    refused(await cardline(['render', '--batch', batchId, '--out', path.join(dir, 'r2')], { env: as['op-a'] }), 4, /op-a \(operator\) may not render a batch/);

    // Release: asked for by one QA user, approved by a second person who did not operate the batch.
    refused(await cardline(['qa', 'release', batchId], { env: as['op-a'] }), 4, /op-a \(operator\) may not ask for a release: it needs the role qa/);
    const asked = await cardline(['qa', 'release', batchId], { env: as['qa-b'] });
    expect(asked.code, asked.stderr).toBe(0);
    const release = requestId(asked);
    refused(await cardline(['approve', release], { env: as['qa-b'] }), 4, new RegExp(`qa-b asked for ${release} and so may not approve it`));
    refused(await cardline(['approve', release], { env: as['mgr-a'] }), 4, new RegExp(`mgr-a operated batch ${batchId} .* may not approve its release`));
    refused(await cardline(['approve', release], { env: as['op-a'] }), 4, /op-a \(operator\) may not approve a request: it needs the role qa or manager/);
    expect(jsonLine((await cardline(['batch', 'show', batchId, '--json'], { env: as['op-a'] })).stdout).status).toBe('reconciled');
    const approved = await cardline(['approve', release], { env: as['qa-c'] });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`batch ${batchId} released: asked for by qa-b, approved by qa-c`));
    expect(approved.stdout).toMatch(/purged after 30 days \(the default\), from \d{4}-\d\d-\d\d/);
    expect(jsonLine((await cardline(['batch', 'show', batchId, '--json'], { env: as['op-a'] })).stdout).status).toBe('released');
    refused(await cardline(['approve', release], { env: as['mgr-d'] }), 2, new RegExp(`request ${release} is approved \\(by qa-c\\)`));

    // A released batch is final: no reject; a defective card is recalled and its record re-issued.
    refused(await cardline(['qa', 'reject', serial, '--reason', 'INSPECTOR_REJECT'], { env: as['qa-b'] }), 2, /which is released: a released batch is final.*cardline qa recall/);
    const recalled = await cardline(['qa', 'recall', serial, '--reason', 'INSPECTOR_REJECT', '--note', 'chip dead in the field'], { env: as['qa-b'] });
    expect(recalled.code, recalled.stderr).toBe(0);
    const reissue = /re-issued as batch (\S+)/.exec(recalled.stdout)![1]!;
    expect(jsonLine((await cardline(['batch', 'show', reissue, '--json'], { env: as['op-a'] })).stdout)).toMatchObject({ status: 'imported', records: { total: 1 } });
    // Renewals of released cards are legitimate: a re-import is refused only for the PID still open in the re-issue.
    const reimported = await cardline(['import', path.join(sampleDir, 'batch.jsonl'), '--json'], { env: as['op-a'] });
    expect(jsonLine(reimported.stdout)).toMatchObject({ accepted: 3, quarantined: 1 });

    // The re-issue runs on the same line under a line file that keeps personal data 0 days: the
    // line's retentionDays outranks the site's CARDLINE_RETENTION_DAYS, and purge --due takes it unattended.
    const zeroDayLine = path.join(dir, 'line-0-days.yaml');
    await writeFile(zeroDayLine, `${await readFile(lineFile, 'utf8')}retentionDays: 0\n`);
    expect((await cardline(['run', reissue, '--line', zeroDayLine], { env: as['op-a'] })).code).toBe(0);
    // Who recalled the card made the re-issue batch, and so operated it.
    refused(await cardline(['qa', 'release', reissue], { env: as['qa-b'] }), 4, new RegExp(`qa-b operated batch ${reissue}`));
    const reissueRelease = requestId(await cardline(['qa', 'release', reissue], { env: as['qa-c'] }));
    const dueNow = await cardline(['approve', reissueRelease], { env: { ...as['mgr-d'], CARDLINE_RETENTION_DAYS: '45' } });
    expect(dueNow.code, dueNow.stderr).toBe(0);
    expect(dueNow.stdout).toMatch(/purged after 0 days \(retentionDays of line tp-line\)/);
    const due = await cardline(['purge', '--due'], { env: as['mgr-d'] });
    expect(due.code, due.stderr).toBe(0);
    expect(due.stdout).toMatch(new RegExp(`^batch ${reissue} purged: 1 records`, 'm'));
    expect(due.stdout).not.toMatch(new RegExp(batchId));

    // Control: before its purge, the batch's own input file in the data directory holds the values.
    expect((await scanForLeaks(dataDir, secrets)).length).toBeGreaterThan(0);

    // Purge before the retention date: a manager asks, a second person approves.
    refused(await cardline(['purge', '--batch', batchId], { env: as['qa-b'] }), 4, /qa-b \(qa\) may not ask for a purge: it needs the role manager/);
    const purgeAsk = await cardline(['purge', '--batch', batchId], { env: as['mgr-d'] });
    expect(purgeAsk.code, purgeAsk.stderr).toBe(0);
    const purge = requestId(purgeAsk);
    refused(await cardline(['approve', purge], { env: as['mgr-d'] }), 4, /mgr-d asked for/);
    const purged = await cardline(['approve', purge], { env: as['qa-c'] });
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toMatch(new RegExp(`batch ${batchId} purged: asked for by mgr-d, approved by qa-c; 4 records and \\d portraits emptied, \\d+ files removed`));

    // Nothing of the batch's citizens is left in the data directory or the render folder. The
    // simulator's ledger (sim/) stands for the physical stacker, not cardline's data; it is left out.
    expect(await scanForLeaks(dataDir, secrets, [path.join(dataDir, 'sim')])).toStrictEqual([]);
    for (const f of [...files, proof]) await expect(stat(f)).rejects.toThrow(/ENOENT/);
    const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '' });
    try {
      const rows: { n: number; bytes: number | null }[] = await ctx.db('records').where({ batch_id: batchId }).select(ctx.db.raw('count(*) as n'), ctx.db.raw('sum(length(payload)) as bytes'));
      expect(rows[0]).toMatchObject({ n: 4, bytes: 0 });
      expect(await ctx.db('record_portraits').where({ batch_id: batchId }).count({ n: '*' }).first()).toMatchObject({ n: 0 });
    } finally {
      await ctx.close();
    }

    // What accountability needs stays: the batch still balances.
    const shown = jsonLine((await cardline(['batch', 'show', batchId, '--json'], { env: as['op-a'] })).stdout);
    expect(shown).toMatchObject({ status: 'released', records: { total: 4, produced: 4, failed: 0, pending: 0 }, cards: { good: 4, inLine: 0 } });
    const cards = shown.cards as { blanksConsumed: number; good: number; spoiled: number };
    expect(cards.blanksConsumed).toBe(cards.good + cards.spoiled);
    refused(await cardline(['render', '--batch', batchId, '--out', path.join(dir, 'r3')], { env: as['qa-b'] }), 2, /was purged on .*: its personal data is gone/);
    refused(await cardline(['purge', '--batch', batchId], { env: as['mgr-d'] }), 2, /already purged/);
  }, 600_000);
});

/**
 * Issue 15's property: no CLI command's output (stdout, stderr), log line, audit row, event,
 * report (quarantine, run) or error message holds a personal value of the records it handled — no name (the holder's, a
 * parent's or spouse's), PID (also a former one and a mistyped one), full birth date (as written
 * and re-formatted) or MRZ line. fast-check draws the citizens (src/sample) and the bad rows made
 * from them (a PID that contradicts the birth year, a mistyped PID, a bidi control in the name, a
 * row that is not JSON, a duplicate, a missing field, a date in another format); each run imports
 * them, shows the batch, runs it on a small simulated line with tracing on, lists and shows its
 * cards, rejects one, and makes a handful of mistakes on purpose. Commands whose job is to show
 * personal data (`mrz compose`/`check`, `sample`, `render`, `chip build`, `run --proof`,
 * `pack manifest`) are the exemptions listed in docs/security.md and are not run here.
 * Few runs and small batches, one data directory and one line for all of them: the property is
 * in the variety of records and mistakes, not in their number.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/cli/context.ts';
import { parseCivilDate, parsePartialDate } from '../src/domain/dates.ts';
import { composeVietnameseMrz } from '../src/domain/mrz/compose.ts';
import { writeSample } from '../src/sample/write-sample.ts';
import { cardline, cliUsers, jsonLine, writeCliLine, type CliResult } from './helpers/cli.ts';
import { leaks, scanForLeaks } from './helpers/scan.ts';

let dir: string;
let lineFile: string;
let as: Record<'op' | 'inspector', NodeJS.ProcessEnv>;
const base = (): NodeJS.ProcessEnv => ({ CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '', CARDLINE_RETENTION_DAYS: '' });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-nopii-'));
  as = await cliUsers(base(), { op: 'operator', inspector: 'qa' });
  lineFile = path.join(dir, 'line.yaml');
  await writeCliLine(lineFile, { id: 'nopii-line', timeScale: 25, seed: 5, initialBlanks: 60, serialPrefix: 'P', cycleMs: 150 });
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Row = Record<string, string>;

/** Every personal value of a record that must never be printed, logged or audited. */
function personalValues(r: Row): string[] {
  const values = [r.pid!, r.fullName!, r.fatherName, r.motherName, r.spouseName, r.previousIdNumber].filter((v): v is string => v !== undefined && v.length >= 6);
  if (r.birthDate!.length === 10) values.push(r.birthDate!, r.birthDate!.split('-').reverse().join('/'));
  const birth = parsePartialDate(r.birthDate!);
  const issue = parseCivilDate(r.issueDate!);
  if (birth && issue) values.push(...composeVietnameseMrz({ pid: r.pid!, fullName: r.fullName!, birthDate: birth, sex: r.sex as 'M' | 'F', issueDate: issue }).lines);
  return values;
}

/** Bad rows made from a citizen: each carries that citizen's values, and each is refused. */
const BAD_ROWS = {
  /** The PID's century/sex digit contradicts the birth year: the error may not quote either. */
  pidContradictsBirth: (r: Row) => JSON.stringify({ ...r, birthDate: `${Number(r.birthDate!.slice(0, 4)) < 2000 ? 2005 : 1975}${r.birthDate!.slice(4)}` }),
  mistypedPid: (r: Row) => JSON.stringify({ ...r, pid: `${r.pid!.slice(0, 11)}X` }),
  bidiInName: (r: Row) => JSON.stringify({ ...r, fullName: `${r.fullName!}\u202e` }),
  notJson: (r: Row) => `{"pid":"${r.pid!}","fullName":"${r.fullName!}","birthDate":"${r.birthDate!}"`,
  missingBirthDate: (r: Row) => JSON.stringify({ ...r, birthDate: undefined }),
  otherDateFormat: (r: Row) => JSON.stringify({ ...r, birthDate: r.birthDate!.split('-').reverse().join('/') }),
} as const satisfies Record<string, (r: Row) => string>;
type BadKind = keyof typeof BAD_ROWS;

/** Personal values the bad rows add: the mistyped PID is one too. */
function badValues(kind: BadKind, r: Row): string[] {
  return kind === 'mistypedPid' ? [`${r.pid!.slice(0, 11)}X`] : [];
}

describe('no personal value in any CLI output, log line, audit row or event', () => {
  it('import (good and bad rows), batch show, run, qa list, card show, qa reject and mistakes on purpose', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.uniqueArray(fc.constantFrom(...(Object.keys(BAD_ROWS) as BadKind[])), { minLength: 2, maxLength: 6 }),
        fc.boolean(),
        async (seed, badKinds, duplicate) => {
          round += 1;
          const sampleDir = path.join(dir, `sample-${round}`);
          // Two citizens are good rows; the others only lend their values to the bad rows.
          await writeSample({ count: 2 + badKinds.length, seed: `nopii-${seed}`, outDir: sampleDir });
          const rows = (await readFile(path.join(sampleDir, 'batch.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Row);
          const good = rows.slice(0, 2);
          const lines = good.map((r) => JSON.stringify(r));
          const secrets = rows.flatMap(personalValues);
          badKinds.forEach((kind, i) => {
            const source = rows[2 + i]!;
            lines.push(BAD_ROWS[kind](source));
            secrets.push(...badValues(kind, source));
          });
          if (duplicate) lines.push(JSON.stringify(good[0]));
          const file = path.join(sampleDir, 'batch.jsonl');
          await writeFile(file, `${lines.join('\n')}\n`);

          const outputs: { what: string; r: CliResult }[] = [];
          const run = async (what: string, args: string[], env: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv = {}): Promise<CliResult> => {
            const r = await cardline(args, { env: { ...env, ...extra } });
            outputs.push({ what, r });
            return r;
          };

          const imported = await run('import', ['import', file, '--json'], as.op);
          expect(imported.code, imported.stderr).toBe(0);
          const summary = jsonLine(imported.stdout) as { batchId: string; accepted: number; quarantined: number };
          expect(summary).toMatchObject({ accepted: 2, quarantined: badKinds.length + (duplicate ? 1 : 0) });
          const batchId = summary.batchId;
          await Promise.all([run('batch show', ['batch', 'show', batchId], as.op), run('batch show --json', ['batch', 'show', batchId, '--json'], as.inspector)]);
          const ran = await run('run', ['run', batchId, '--line', lineFile], as.op, { CARDLINE_TRACE: '1' });
          expect(ran.code, ran.stderr).toBe(0);
          const listed = await run('qa list', ['qa', 'list', batchId], as.inspector);
          const serial = /^(P\d+)\s+\d+\s+\d+\s+good/m.exec(listed.stdout)?.[1];
          expect(serial, listed.stdout).toBeDefined();
          await Promise.all([
            run('card show', ['card', 'show', serial!], as.op),
            run('card show --json', ['card', 'show', serial!, '--json'], as.inspector),
            run('qa reject', ['qa', 'reject', serial!, '--reason', 'INSPECTOR_REJECT'], as.inspector),
          ]);
          // Mistakes on purpose: each is refused, and its message names rows, never content.
          const mistakes = await Promise.all([
            run('import again (every row a duplicate or bad)', ['import', file], as.op),
            run('run on a line file that is not there', ['run', batchId, '--line', path.join(dir, 'no-line.yaml')], as.op),
            run('render as an operator', ['render', '--batch', batchId, '--out', path.join(dir, `never-${round}`)], as.op),
            run('reject with an unknown reason', ['qa', 'reject', serial!, '--reason', 'NOT_A_REASON'], as.inspector),
            run('show an unknown card', ['card', 'show', 'P999999'], as.op),
            run('release by an operator', ['qa', 'release', batchId], as.op),
          ]);
          for (const m of mistakes) expect(m.code, m.stderr).not.toBe(0);

          // What the commands wrote into the store's logs: the audit chain and the line's events.
          const ctx = await openContext({ ...process.env, ...base() });
          let stored: string;
          try {
            stored = JSON.stringify([await ctx.db('audit_log').select('*'), await ctx.db('card_events').select('*'), await ctx.db('station_events').select('*'), await ctx.db('spoil_log').select('*')]);
          } finally {
            await ctx.close();
          }

          // The reports the commands wrote: the quarantine reports (JSON and text) and the run report.
          const reports = (await scanForLeaks(path.join(base().CARDLINE_DATA_DIR!, 'reports'), secrets)).map((f) => ({ what: f.file, hit: f.leaks }));
          const found = [
            ...outputs.map(({ what, r }) => ({ what, hit: leaks(Buffer.from(r.stdout + r.stderr), secrets) })),
            { what: 'audit log and events', hit: leaks(Buffer.from(stored), secrets) },
            ...reports,
          ].filter((f) => f.hit.length > 0);
          expect(found).toStrictEqual([]);
          // Control: the scan finds what is there — the batch file holds the good rows' PIDs and names.
          const controls = good.flatMap((r) => [r.pid!, r.fullName!]);
          expect(leaks(await readFile(file), controls)).toStrictEqual(controls);
        },
      ),
      { numRuns: 2, endOnFailure: true },
    );
  }, 900_000);
});

/**
 * The CLI contract: every command the README's tables list is a command of `cardline`, and the other
 * way round; and each, given a bad input, ends with an exit code its README row documents, one
 * person's line on standard error and no stack trace. Runs the real binary; no line is started.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main.ts';
import { cardline, cliUsers, writeCliLine, type CliResult } from './helpers/cli.ts';

const README = path.resolve(import.meta.dirname, '../README.md');

interface DocumentedCommand {
  readonly name: string;
  readonly codes: readonly number[];
}

/** The commands of the README's command tables (`cardline NAME …` in a row's first cell) and their exit codes. */
function documentedCommands(readme: string): DocumentedCommand[] {
  const rows = readme.split('\n').filter((l) => l.startsWith('| `cardline '));
  const found = new Map<string, number[]>();
  const aliases: [string, string][] = [];
  for (const row of rows) {
    const cells = row.split(/(?<!\\)\|/).map((c) => c.trim());
    const [first, , codesCell] = [cells[1]!, cells[2], cells[3] ?? ''];
    const names = [...first.matchAll(/`cardline ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*)/g)].map((m) => m[1]!);
    const codes = codesCell
      .split(/[,;]/)
      .map((part) => /^(?:[a-z]+: )?(\d)\b/.exec(part.trim())?.[1])
      .filter((c): c is string => c !== undefined)
      .map(Number);
    const like = /^as `(?:cardline )?([a-z -]+)`/.exec(codesCell)?.[1];
    for (const name of names) {
      found.set(name, [...(found.get(name) ?? []), ...codes]);
      if (like) aliases.push([name, like]);
    }
  }
  for (const [name, like] of aliases) found.set(name, [...(found.get(name) ?? []), ...(found.get(like) ?? [])]);
  return [...found].map(([name, codes]) => ({ name, codes: [...new Set(codes)].sort() }));
}

/** Every command `cardline` has that does something (a leaf, or a command with an action of its own). */
async function registeredCommands(): Promise<string[]> {
  const names: string[] = [];
  const walk = (command: Command, prefix: string[]): void => {
    for (const sub of command.commands) {
      const name = [...prefix, sub.name()];
      const hasAction = (sub as unknown as { _actionHandler: unknown })._actionHandler !== null;
      if (sub.commands.length === 0 || hasAction) names.push(name.join(' '));
      walk(sub, name);
    }
  };
  walk(await buildProgram(() => undefined), []);
  return names.sort();
}

let dir: string;
let env: NodeJS.ProcessEnv;
let lineFile: string;
let busyLine: string;
let busy: Server;
/** Credentials of a QA user, an admin and an operator (the base environment acts as a manager). */
let asQa: NodeJS.ProcessEnv;
let asAdmin: NodeJS.ProcessEnv;
let asOperator: NodeJS.ProcessEnv;

interface Case {
  readonly args: readonly string[];
  readonly code: number;
  readonly says: RegExp;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
}

/** A bad input for every command, with the code it must end with and what the message must say. */
function cases(): Record<string, readonly Case[]> {
  const empty = path.join(dir, 'empty.jsonl');
  const folder = path.join(dir, 'folder');
  const missing = path.join(dir, 'missing.jsonl');
  return {
    'mrz compose': [{ args: ['mrz', 'compose'], input: 'not json', code: 2, says: /standard input is not valid JSON/ }],
    'mrz check': [
      { args: ['mrz', 'check', missing], code: 2, says: /missing\.jsonl: file not found/ },
      { args: ['mrz', 'check'], input: 'I<UTO\nshort\nlines\n', code: 1, says: /"valid":false/ },
    ],
    sample: [{ args: ['sample', '--count', '0', '--out', path.join(dir, 's')], code: 2, says: /--count must be a whole number ≥ 1/ }],
    import: [
      { args: ['import', folder], code: 2, says: /folder is a folder, not a file/ },
      { args: ['import', empty], code: 3, says: /no record was accepted: the file holds no record/ },
    ],
    demo: [{ args: ['demo', '--line', path.join(dir, 'no-line.yaml')], code: 2, says: /no-line\.yaml: ENOENT/ }],
    serve: [
      { args: ['serve', '--site', path.join(dir, 'no-site.yaml')], code: 2, says: /cannot read site file .*no-site\.yaml: ENOENT/ },
      { args: ['serve', '--host', '0.0.0.0'], code: 2, says: /--host 0\.0\.0\.0 is not a loopback address/ },
      { args: ['serve', '--port', '70000'], code: 2, says: /--port must be a port number/ },
    ],
    'plc-sim': [
      { args: ['plc-sim', '--line', path.join(dir, 'no-line.yaml')], code: 2, says: /cannot read line configuration/ },
      { args: ['plc-sim', '--line', busyLine], code: 6, says: /port \d+ is already in use/ },
    ],
    simulate: [
      { args: ['simulate', '--line', lineFile, '--cards', '5', '--set', 'nosuch.heads=2'], code: 2, says: /has no station 'nosuch'/ },
      { args: ['simulate', '--line', path.join(dir, 'no-line.yaml'), '--hours', '1'], code: 2, says: /cannot read line configuration/ },
    ],
    'simulate site': [{ args: ['simulate', 'site', '--site', path.join(dir, 'no-site.yaml'), '--cards-per-day', '500000'], code: 2, says: /cannot read site file .*no-site\.yaml: ENOENT/ }],
    'simulate calibrate': [{ args: ['simulate', 'calibrate', '--line', 'demo-opcua', '--out', path.join(dir, 'calibrated.yaml')], code: 2, says: /needs --from-journal/ }],
    'plc-sim ledger': [{ args: ['plc-sim', 'ledger', '--bogus'], code: 2, says: /unknown option '--bogus'/ }],
    'pki init': [{ args: ['pki', 'init', '--dir', path.join(dir, 'pki')], env: { CARDLINE_PKI_PASSPHRASE: '' }, code: 2, says: /no passphrase/ }],
    'chip build': [{ args: ['chip', 'build', '--record', missing, '--out', path.join(dir, 'chip')], code: 2, says: /missing\.jsonl/ }],
    'chip verify': [{ args: ['chip', 'verify', path.join(dir, 'no-chip'), '--csca', path.join(dir, 'no-csca.pem')], code: 2, says: /no-csca\.pem/ }],
    'stock load': [
      { args: ['stock', 'load', '--line', lineFile, '--count', 'many'], code: 2, says: /--count must be a whole number ≥ 1, got 'many'/ },
      { args: ['stock', 'load', '--line', lineFile, '--count', '5', '--lot', 'L-1'], code: 6, says: /does not answer .*nothing was recorded/ },
    ],
    'stock show': [
      { args: ['stock', 'show', '--line', path.join(dir, 'no-line.yaml')], code: 2, says: /cannot read line configuration/ },
      { args: ['stock', 'show', '--line', 'hall-z'], code: 2, says: /--line hall-z: site demo-site .* has no line hall-z; its lines: demo-mixed/ },
    ],
    run: [
      { args: ['run', missing, '--line', lineFile], code: 2, says: /missing\.jsonl: file not found/ },
      { args: ['run', missing, '--line', 'hall-z'], code: 2, says: /--line hall-z: site demo-site .* has no line hall-z/ },
      { args: ['run', folder, '--line', lineFile], code: 2, says: /is a folder, not a file/ },
      { args: ['run', 'no-such-batch', '--line', lineFile], code: 2, says: /batch no-such-batch does not exist, nor is there such a file/ },
      { args: ['run', empty, '--line', lineFile], code: 3, says: /the file holds no record/ },
      { args: ['run', 'x', '--wip', '0'], code: 2, says: /--wip must be a whole number/ },
    ],
    'batch list': [{ args: ['batch', 'list'], env: { CARDLINE_DB_URL: 'postgres://cardline@127.0.0.1:1/cardline' }, code: 6, says: /cannot open the cardline database/ }],
    'batch show': [{ args: ['batch', 'show', 'no-such-batch'], code: 2, says: /batch no-such-batch does not exist/ }],
    'batch close': [{ args: ['batch', 'close', 'no-such-batch'], code: 2, says: /batch no-such-batch does not exist/ }],
    'qa list': [{ args: ['qa', 'list', 'no-such-batch', '--json'], code: 2, says: /batch no-such-batch does not exist/ }],
    'qa reject': [
      { args: ['qa', 'reject', 'NOCARD', '--reason', 'INSPECTOR_REJECT'], env: asQa, code: 2, says: /card NOCARD is not known/ },
      { args: ['qa', 'reject', 'NOCARD', '--reason', 'INSPECTOR_REJECT'], code: 4, says: /may not reject a card: it needs the role qa/ },
    ],
    'qa release': [{ args: ['qa', 'release', 'no-such-batch'], env: asQa, code: 2, says: /batch no-such-batch does not exist/ }],
    'qa recall': [{ args: ['qa', 'recall', 'NOCARD', '--reason', 'INSPECTOR_REJECT'], env: asQa, code: 2, says: /card NOCARD is not known/ }],
    'card show': [{ args: ['card', 'show', 'NOCARD', '--json'], code: 2, says: /card NOCARD is not known/ }],
    'card write-off': [{ args: ['card', 'write-off', 'NOCARD'], code: 2, says: /card NOCARD is not known/ }],
    'user bootstrap': [{ args: ['user', 'bootstrap', 'ada'], code: 2, says: /this store already has users: bootstrap only creates the first one/ }],
    'user add': [{ args: ['user', 'add', 'thu', '--role', 'boss'], env: asAdmin, code: 2, says: /--role must be one of operator, qa, engineer, manager, admin, got 'boss'/ }],
    'user list': [{ args: ['user', 'list'], env: asOperator, code: 4, says: /may not/ }],
    'user disable': [{ args: ['user', 'disable', 'nobody'], env: asAdmin, code: 2, says: /nobody/ }],
    'user reset': [{ args: ['user', 'reset', 'nobody'], env: asAdmin, code: 2, says: /user nobody does not exist/ }],
    'user passwd': [{ args: ['user', 'passwd', 'nobody'], env: { CARDLINE_PASSWORD: 'wrong', CARDLINE_NEW_PASSWORD: 'a long new password' }, code: 4, says: /login failed: unknown user or wrong password for nobody/ }],
    login: [{ args: ['login', 'nobody'], env: { CARDLINE_PASSWORD: 'wrong' }, code: 4, says: /./ }],
    logout: [{ args: ['logout', '--bogus'], code: 2, says: /unknown option '--bogus'/ }],
    approve: [{ args: ['approve', 'R-00000000'], env: asQa, code: 2, says: /R-00000000/ }],
    purge: [{ args: ['purge'], code: 2, says: /give exactly one of --due and --batch ID/ }],
    'audit verify': [{ args: ['audit', 'verify', '--anchor', 'xyz'], code: 2, says: /--anchor must be a head hash of 64 hex characters/ }],
    'keys rotate': [{ args: ['keys', 'rotate'], env: { CARDLINE_DATA_KEY: '11'.repeat(32), CARDLINE_NEW_DATA_KEY: '22'.repeat(32) }, code: 5, says: /was written with key/ }],
    'db migrate': [{ args: ['db', 'migrate', '--url', 'mysql://x@localhost/cardline'], code: 2, says: /--url must be a PostgreSQL URL/ }],
    'pack list': [{ args: ['pack', 'list', 'no-such-batch'], code: 2, says: /batch no-such-batch does not exist/ }],
    'pack manifest': [{ args: ['pack', 'manifest', 'NO-PACK', '--out', path.join(dir, 'm.txt')], code: 2, says: /give a file name ending in \.pdf/ }],
    'pack label': [{ args: ['pack', 'label', 'NO-PACK', '--out', path.join(dir, 'l.pdf')], code: 2, says: /NO-PACK/ }],
    kpi: [
      { args: ['kpi', '--shift', '2026-12-07/evening'], code: 2, says: /the site has no shift 'evening'; its shifts: morning/ },
      { args: ['kpi', '--batch', 'no-such-batch'], code: 2, says: /batch no-such-batch does not exist/ },
    ],
    'report batch': [{ args: ['report', 'batch', 'no-such-batch', '--out', path.join(dir, 'rep')], code: 2, says: /batch no-such-batch does not exist/ }],
    'report shift': [
      { args: ['report', 'shift', '2026-12-07/night', '--out', path.join(dir, 'rep')], code: 2, says: /report shift needs --line ID/ },
      { args: ['report', 'shift', '2026-12-07/evening', '--line', 'contract-line', '--out', path.join(dir, 'rep')], code: 2, says: /the site has no shift 'evening'; its shifts: morning/ },
    ],
    render: [{ args: ['render', '--out', path.join(dir, 'r')], code: 2, says: /give exactly one of --record FILE and --batch ID/ }],
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-contract-'));
  const base = { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' };
  const users = await cliUsers(base, { mgr: 'manager', inspector: 'qa', admin: 'admin', op: 'operator' });
  env = users.mgr;
  const credentials = (e: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ CARDLINE_USER: e.CARDLINE_USER, CARDLINE_PASSWORD: e.CARDLINE_PASSWORD });
  asQa = credentials(users.inspector);
  asAdmin = credentials(users.admin);
  asOperator = credentials(users.op);
  await writeFile(path.join(dir, 'empty.jsonl'), '');
  await mkdir(path.join(dir, 'folder'));
  lineFile = path.join(dir, 'line.yaml');
  await writeCliLine(lineFile, { id: 'contract-line', timeScale: 20, seed: 1, initialBlanks: 5, serialPrefix: 'K', cycleMs: 200, controlPort: true });
  // A line whose OPC UA port another program holds.
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as { port: number }).port;
  busyLine = path.join(dir, 'busy.yaml');
  await writeCliLine(busyLine, { id: 'busy-line', timeScale: 20, seed: 1, initialBlanks: 5, serialPrefix: 'B', cycleMs: 200 });
  await writeFile(busyLine, (await readFile(busyLine, 'utf8')).replace(/port: \d+/, `port: ${port}`));
});

afterAll(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe('the CLI contract (README command tables and exit codes)', () => {
  it('lists every command of cardline in the README, and no command cardline does not have', async () => {
    const documented = documentedCommands(await readFile(README, 'utf8')).map((c) => c.name).sort();
    expect(documented).toStrictEqual(await registeredCommands());
  });

  it('reads the README rows it checks against (a row parsed by hand)', () => {
    const row = '| `cardline batch close ID` | reconciles | 0 reconciled, 1 does not balance (a, b), 2 unknown batch |';
    expect(documentedCommands(row)).toStrictEqual([{ name: 'batch close', codes: [0, 1, 2] }]);
    const two = '| `cardline chip build …` / `cardline chip verify DIR` | x | build: 0, 2 bad input; verify: 0, 1 a file failed |\n| `cardline demo` | y | as `run` |\n| `cardline run FILE` | z | 0 ok, 3 none |';
    expect(documentedCommands(two)).toStrictEqual([
      { name: 'chip build', codes: [0, 1, 2] },
      { name: 'chip verify', codes: [0, 1, 2] },
      { name: 'demo', codes: [0, 3] },
      { name: 'run', codes: [0, 3] },
    ]);
  });

  it('ends each command given a bad input with a documented exit code and a person’s message, never a stack trace', async () => {
    const documented = new Map(documentedCommands(await readFile(README, 'utf8')).map((c) => [c.name, c.codes]));
    const all = cases();
    expect(Object.keys(all).sort()).toStrictEqual([...documented.keys()].sort());
    const jobs = Object.entries(all).flatMap(([name, list]) => list.map((c) => ({ name, c })));
    const results: { name: string; c: Case; r: CliResult }[] = [];
    // Six at a time: each is a process of its own.
    for (let i = 0; i < jobs.length; i += 6) {
      results.push(
        ...(await Promise.all(
          jobs.slice(i, i + 6).map(async ({ name, c }) => ({ name, c, r: await cardline(c.args, { env: { ...env, ...c.env }, ...(c.input !== undefined ? { input: c.input } : {}) }) })),
        )),
      );
    }
    // Every mismatch at once: one run names them all.
    const problems: string[] = [];
    for (const { name, c, r } of results) {
      const what = `cardline ${c.args.join(' ')} → ${r.code}: ${(r.stdout + r.stderr).trim().slice(0, 300)}`;
      if (!documented.get(name)?.includes(c.code)) problems.push(`${what}\n  code ${c.code} is not in the README row of ${name} (${documented.get(name)?.join(', ')})`);
      if (r.code !== c.code) problems.push(`${what}\n  expected exit code ${c.code}`);
      if (!c.says.test(r.stdout + r.stderr)) problems.push(`${what}\n  expected to match ${String(c.says)}`);
      if (/^\s+at /m.test(r.stderr)) problems.push(`${what}\n  printed a stack trace`);
    }
    expect(problems).toStrictEqual([]);
  }, 240_000);
});

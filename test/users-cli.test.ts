/**
 * Users, roles and sessions through the real CLI (issue 15 finding 3): the first admin by
 * bootstrap (only on an empty store, only by the data directory's owner), users added with
 * one-time passwords that must be changed before any other command (user passwd, user reset),
 * login sessions in a 0600 file, scripts' credentials, disabled users, the role checks (exit 4),
 * the role matrix of docs/security.md, and the demo's own users.
 */
import { chown, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES } from '../src/auth/roles.ts';
import { openContext } from '../src/cli/context.ts';
import { cardline, writeCliLine, type CliResult } from './helpers/cli.ts';
import { scanForLeaks } from './helpers/scan.ts';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-users-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function password(r: CliResult): string {
  const p = /one-time password: (\S+)$/m.exec(r.stdout)?.[1];
  expect(p, r.stdout + r.stderr).toBeDefined();
  return p!;
}

describe('users and sessions', () => {
  const env = (): NodeJS.ProcessEnv => ({ CARDLINE_DATA_DIR: path.join(work, 'data'), CARDLINE_DB_URL: '', CARDLINE_USER: '', CARDLINE_PASSWORD: '' });
  const as = (user: string, pw: string): NodeJS.ProcessEnv => ({ ...env(), CARDLINE_USER: user, CARDLINE_PASSWORD: pw });
  /** The user's first use: a script changes the one-time password through the environment; returns the new one. */
  const choose = async (user: string, oneTime: string): Promise<string> => {
    const chosen = `chosen-${Math.random().toString(36).slice(2)}-pw`;
    const r = await cardline(['user', 'passwd'], { env: { ...as(user, oneTime), CARDLINE_NEW_PASSWORD: chosen } });
    expect(r.code, r.stderr).toBe(0);
    return chosen;
  };

  it('bootstrap, add, login, logout, disable; every refusal exit 4; no secret in the store', async () => {
    const noOne = await cardline(['batch', 'list'], { env: env() });
    expect(noOne).toMatchObject({ code: 4, stderr: 'cardline: not logged in: run cardline login NAME, or set CARDLINE_USER and CARDLINE_PASSWORD for a script\n' });

    const boot = await cardline(['user', 'bootstrap', 'root-admin'], { env: env() });
    expect(boot.code, boot.stderr).toBe(0);
    const adminPw = password(boot);
    const again = await cardline(['user', 'bootstrap', 'other'], { env: env() });
    expect(again).toMatchObject({ code: 2, stderr: expect.stringMatching(/this store already has users: bootstrap only creates the first one/) });

    // A one-time password opens nothing but user passwd: exit 4 naming the next step.
    expect(await cardline(['batch', 'list'], { env: as('root-admin', adminPw) })).toMatchObject({
      code: 4,
      stderr: 'cardline: root-admin still has a one-time password: choose your own first with cardline user passwd root-admin (a script sets CARDLINE_USER, CARDLINE_PASSWORD and CARDLINE_NEW_PASSWORD)\n',
    });
    expect(await cardline(['login', 'root-admin'], { env: env(), input: `${adminPw}\n` })).toMatchObject({ code: 4, stderr: expect.stringMatching(/one-time password: choose your own first/) });
    // The new password's rules (exit 2), a wrong old one (exit 4): nothing changes.
    const passwd = (user: string, old: string, fresh: string): Promise<CliResult> => cardline(['user', 'passwd', user], { env: { ...env(), CARDLINE_PASSWORD: old, CARDLINE_NEW_PASSWORD: fresh } });
    expect(await passwd('root-admin', adminPw, 'short')).toMatchObject({ code: 2, stderr: expect.stringMatching(/too short: at least 12 characters/) });
    expect(await passwd('root-admin', 'not-the-one-time', 'a good long passphrase')).toMatchObject({ code: 4, stderr: expect.stringMatching(/login failed: unknown user or wrong password for root-admin/) });
    const adminOwn = await choose('root-admin', adminPw);
    const admin = as('root-admin', adminOwn);
    const added = await cardline(['user', 'add', 'thu.qa', '--role', 'qa'], { env: admin });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^user thu\.qa \(qa\) added; one-time password: \S{20}\nthu\.qa chooses their own at first use: cardline user passwd thu\.qa$/m);
    const qaOneTime = password(added);
    // A person at a terminal without CARDLINE_NEW_PASSWORD: old then new password, a line each, on standard input.
    const qaPw = 'thu chose this one';
    const typed = await cardline(['user', 'passwd', 'thu.qa'], { env: env(), input: `${qaOneTime}\n${qaPw}\n` });
    expect(typed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^password of thu\.qa changed; every session of thu\.qa has ended/) });
    const opPw = await choose('an.op', password(await cardline(['user', 'add', 'an.op', '--role', 'operator'], { env: admin })));
    expect(await cardline(['user', 'add', 'x', '--role', 'operator'], { env: admin })).toMatchObject({ code: 2, stderr: expect.stringMatching(/user name 'x' is not allowed/) });
    expect(await cardline(['user', 'add', 'y.y', '--role', 'king'], { env: admin })).toMatchObject({ code: 2, stderr: expect.stringMatching(/--role must be one of operator, qa, engineer, manager, admin, got 'king'/) });
    expect(await cardline(['user', 'add', 'thu.qa', '--role', 'qa'], { env: admin })).toMatchObject({ code: 2, stderr: expect.stringMatching(/user thu\.qa already exists/) });
    // Role checks: an operator adds no users and approves nothing; a wrong password is refused.
    expect(await cardline(['user', 'add', 'z.z', '--role', 'admin'], { env: as('an.op', opPw) })).toMatchObject({ code: 4, stderr: expect.stringMatching(/an\.op \(operator\) may not add users: it needs the role admin/) });
    expect(await cardline(['approve', 'R-00000000'], { env: as('an.op', opPw) })).toMatchObject({ code: 4, stderr: expect.stringMatching(/an\.op \(operator\) may not approve a request/) });
    expect(await cardline(['batch', 'list'], { env: as('an.op', 'wrong') })).toMatchObject({ code: 4, stderr: 'cardline: login failed: unknown user or wrong password for an.op\n' });
    expect(await cardline(['batch', 'list'], { env: as('nobody', 'wrong') })).toMatchObject({ code: 4, stderr: 'cardline: login failed: unknown user or wrong password for nobody\n' });
    expect(await cardline(['batch', 'list'], { env: { ...env(), CARDLINE_USER: 'an.op' } })).toMatchObject({ code: 4, stderr: expect.stringMatching(/CARDLINE_USER is set but CARDLINE_PASSWORD is not/) });

    const listed = await cardline(['user', 'list', '--json'], { env: admin });
    expect(JSON.parse(listed.stdout.trim())).toMatchObject([
      { name: 'an.op', role: 'operator', disabled: false, createdBy: 'root-admin' },
      { name: 'root-admin', role: 'admin', disabled: false },
      { name: 'thu.qa', role: 'qa', disabled: false, createdBy: 'root-admin' },
    ]);

    // A person logs in once; the token is in a 0600 file, its hash in the store.
    const wrongLogin = await cardline(['login', 'thu.qa'], { env: env(), input: 'not-it\n' });
    expect(wrongLogin.code).toBe(4);
    const login = await cardline(['login', 'thu.qa'], { env: env(), input: `${qaPw}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/^logged in as thu\.qa \(qa\) until \d\d:\d\d UTC$/m);
    const sessionFile = path.join(work, 'data', 'session.json');
    expect((await stat(sessionFile)).mode & 0o777).toBe(0o600);
    const token = (JSON.parse(await readFile(sessionFile, 'utf8')) as { token: string }).token;
    expect(await cardline(['batch', 'list'], { env: env() })).toMatchObject({ code: 0, stdout: 'no batches\n' });
    // The session acts as thu.qa: a QA user imports nothing.
    expect(await cardline(['import', path.join(work, 'none.jsonl')], { env: env() })).toMatchObject({ code: 4, stderr: expect.stringMatching(/thu\.qa \(qa\) may not import a batch: it needs the role operator or manager/) });
    expect(await scanForLeaks(path.join(work, 'data'), [adminPw, adminOwn, qaOneTime, qaPw, opPw, token], [path.join(work, 'data', 'session.json')])).toStrictEqual([]);

    // An expired session is refused, naming why.
    const ctx = await openContext({ ...process.env, ...env() });
    try {
      await ctx.db('sessions').update({ expires_at: new Date(Date.now() - 1000).toISOString() });
    } finally {
      await ctx.close();
    }
    expect(await cardline(['batch', 'list'], { env: env() })).toMatchObject({ code: 4, stderr: expect.stringMatching(/not logged in \(the session has expired or was closed\)/) });
    expect((await cardline(['login', 'thu.qa'], { env: env(), input: `${qaPw}\n` })).code).toBe(0);
    // With no name, passwd acts on the user logged in; the change ends the user's sessions.
    const qaPw2 = 'thu chose again now';
    expect(await cardline(['user', 'passwd'], { env: env(), input: `${qaPw}\n${qaPw2}\n` })).toMatchObject({ code: 0, stdout: expect.stringMatching(/^password of thu\.qa changed/) });
    expect((await cardline(['batch', 'list'], { env: env() })).code).toBe(4);
    // An admin resets a forgotten password: a new one-time one, the sessions ended, the old one dead.
    expect(await cardline(['user', 'reset', 'thu.qa'], { env: as('an.op', opPw) })).toMatchObject({ code: 4, stderr: expect.stringMatching(/an\.op \(operator\) may not reset passwords: it needs the role admin/) });
    expect(await cardline(['user', 'reset', 'root-admin'], { env: admin })).toMatchObject({ code: 2, stderr: expect.stringMatching(/changes their own password with cardline user passwd/) });
    const reset = await cardline(['user', 'reset', 'thu.qa'], { env: admin });
    expect(reset.code, reset.stderr).toBe(0);
    const qaReset = password(reset);
    expect(await cardline(['batch', 'list'], { env: as('thu.qa', qaPw2) })).toMatchObject({ code: 4, stderr: expect.stringMatching(/wrong password/) });
    expect(await cardline(['batch', 'list'], { env: as('thu.qa', qaReset) })).toMatchObject({ code: 4, stderr: expect.stringMatching(/thu\.qa still has a one-time password/) });
    expect(JSON.parse((await cardline(['user', 'list', '--json'], { env: admin })).stdout.trim())).toMatchObject([{ name: 'an.op', mustChangePassword: false }, { name: 'root-admin', mustChangePassword: false }, { name: 'thu.qa', mustChangePassword: true }]);
    const qaPw3 = await choose('thu.qa', qaReset);
    expect((await cardline(['login', 'thu.qa'], { env: env(), input: `${qaPw3}\n` })).code).toBe(0);
    expect((await cardline(['logout'], { env: env() })).stdout).toBe('thu.qa logged out\n');
    await expect(stat(sessionFile)).rejects.toThrow(/ENOENT/);
    expect((await cardline(['batch', 'list'], { env: env() })).code).toBe(4);

    // A disabled user is refused, their session ended; an admin does not disable themselves.
    expect((await cardline(['login', 'an.op'], { env: env(), input: `${opPw}\n` })).code).toBe(0);
    expect(await cardline(['user', 'disable', 'an.op'], { env: admin })).toMatchObject({ code: 0, stdout: 'user an.op disabled\n' });
    expect((await cardline(['batch', 'list'], { env: env() })).code).toBe(4);
    expect(await cardline(['batch', 'list'], { env: as('an.op', opPw) })).toMatchObject({ code: 4, stderr: 'cardline: user an.op is disabled\n' });
    expect(await cardline(['user', 'disable', 'root-admin'], { env: admin })).toMatchObject({ code: 2, stderr: expect.stringMatching(/does not disable themselves/) });

    // Commands that never open the store need no login.
    expect((await cardline(['sample', '--count', '1', '--out', path.join(work, 's')], { env: env() })).code).toBe(0);
  }, 900_000);

  it('bootstrap only by the OS owner of the data directory', async () => {
    // The test runs as root (CI does): the data directory is handed to another uid.
    const dataDir = path.join(work, 'foreign');
    await mkdir(dataDir, { mode: 0o700 });
    await chown(dataDir, 4242, 4242);
    const r = await cardline(['user', 'bootstrap', 'intruder'], { env: { CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '' } });
    expect(r).toMatchObject({ code: 4, stderr: expect.stringMatching(new RegExp(`only the owner of the data directory .*foreign \\(uid 4242\\) may bootstrap its first user; this is uid ${process.getuid!()}`)) });
  }, 60_000);
});

describe('the role matrix', () => {
  it('docs/security.md shows the table of src/auth/roles.ts', async () => {
    const doc = await readFile(path.resolve(import.meta.dirname, '../docs/security.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z.-]+)` \|[^|\n]*\|((?:[^|\n]*\|){5})$/gm)].map((m) => [m[1], m[2]!.split('|').slice(0, 5).map((c) => c.trim() === '✓')] as const);
    const expected = Object.entries(PERMISSIONS).map(([p, roles]) => [p, ROLES.map((r) => (roles as readonly string[]).includes(r))] as const);
    expect(rows).toStrictEqual(expected);
  });
});

describe('cardline demo', () => {
  it('creates its users, keeps their passwords in a 0600 file and runs as its operator with no interaction', async () => {
    const dataDir = path.join(work, 'demo-data');
    const lineFile = path.join(work, 'demo-line.yaml');
    await writeCliLine(lineFile, { id: 'demo-users-line', timeScale: 20, seed: 3, initialBlanks: 20, serialPrefix: 'D', cycleMs: 200 });
    const r = await cardline(['demo', '--count', '3', '--line', lineFile], { env: { CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '', CARDLINE_USER: '', CARDLINE_PASSWORD: '' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const file = path.join(dataDir, 'demo-users.json');
    expect(r.stdout).toContain(`demo users created (admin, operator, qa, manager): their one-time passwords are in ${file}`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { users: { name: string; role: string; password: string; changed?: boolean }[] };
    expect(saved.users.map((u) => [u.name, u.role, u.changed ?? false])).toStrictEqual([['demo-admin', 'admin', false], ['demo-operator', 'operator', true], ['demo-qa', 'qa', false], ['demo-manager', 'manager', false], ['demo-engineer', 'engineer', false]]);
    // The demo's operator already chose its password (the demo ran as it); a person using demo-qa chooses theirs first.
    const qa = saved.users.find((u) => u.role === 'qa')!;
    const qaEnv = { CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '', CARDLINE_USER: qa.name, CARDLINE_PASSWORD: qa.password };
    expect(await cardline(['batch', 'list'], { env: qaEnv })).toMatchObject({ code: 4, stderr: expect.stringMatching(/demo-qa still has a one-time password: choose your own first with cardline user passwd demo-qa/) });
    expect((await cardline(['user', 'passwd'], { env: { ...qaEnv, CARDLINE_NEW_PASSWORD: 'the qa demo user own' } })).code).toBe(0);
    const listed = await cardline(['batch', 'list'], { env: { ...qaEnv, CARDLINE_PASSWORD: 'the qa demo user own' } });
    expect(listed.stdout).toMatch(/completed|reconciled/);
    const operator = saved.users.find((u) => u.role === 'operator')!;
    expect((await cardline(['batch', 'list'], { env: { ...qaEnv, CARDLINE_USER: operator.name, CARDLINE_PASSWORD: operator.password } })).code).toBe(0);
  }, 900_000);
});

/**
 * The demo's own users (`cardline demo`, `npm start`): on a store with no users, one of each role
 * is created and their one-time passwords are written to `<data dir>/demo-users.json` (0600), so
 * the demo runs with no interaction and a lost terminal line is recoverable. Like every handed-over
 * password they must be changed at first use (`cardline user passwd`); the demo acts as its
 * operator, so it makes that change for the operator itself, at once, and keeps the operator's new
 * password in the file (marked `changed`). A store that already has users and no such file is a
 * real one: the demo acts as whoever is logged in, like every other command.
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { UserStore } from '../store/user-store.ts';
import { hashPassword, newOneTimePassword } from './password.ts';
import type { Role } from './roles.ts';
import { changePassword, PASSWORD_ENV, USER_ENV } from './session.ts';

export const DEMO_USERS_FILE = 'demo-users.json';
export const DEMO_USERS: readonly { readonly name: string; readonly role: Role }[] = [
  { name: 'demo-admin', role: 'admin' },
  { name: 'demo-operator', role: 'operator' },
  { name: 'demo-qa', role: 'qa' },
  { name: 'demo-manager', role: 'manager' },
  { name: 'demo-engineer', role: 'engineer' },
];

interface DemoUsersFile {
  readonly users: readonly { readonly name: string; readonly role: string; readonly password: string; readonly changed?: boolean }[];
}

async function writeUsersFile(file: string, content: DemoUsersFile): Promise<void> {
  // Through a temporary file and a rename: the file never holds half a list of passwords.
  const temporary = `${file}.tmp`;
  await writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}

/**
 * The environment the demo runs its commands with: the demo operator's credentials, creating the
 * demo users first on a store with none; `env` unchanged when the store has other users.
 */
export async function demoOperatorEnv(db: Knex, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<{ env: NodeJS.ProcessEnv; created: boolean; file: string }> {
  const file = path.join(dataDir, DEMO_USERS_FILE);
  if (env[USER_ENV]?.trim()) return { env, created: false, file };
  const users = new UserStore(db);
  let created = false;
  if ((await users.count()) === 0) {
    const entries = DEMO_USERS.map((u) => ({ ...u, password: newOneTimePassword() }));
    // The file first: a user whose password was never written down would be lost.
    await writeUsersFile(file, { users: entries });
    for (const [i, u] of entries.entries()) {
      await users.add({ name: u.name, role: u.role, passwordHash: await hashPassword(u.password), by: 'cardline-demo', onlyIfNone: i === 0, mustChangePassword: true });
    }
    // The demo is its operator's first use: it chooses the operator's own password (audited as the
    // operator's change). Written down first; if the change then fails, `user reset` by demo-admin recovers.
    const operator = entries.find((u) => u.role === 'operator')!;
    const chosen = newOneTimePassword();
    await writeUsersFile(file, { users: entries.map((u) => (u === operator ? { ...u, password: chosen, changed: true } : u)) });
    await changePassword(db, operator.name, operator.password, chosen);
    created = true;
  }
  let saved: DemoUsersFile;
  try {
    saved = JSON.parse(await readFile(file, 'utf8')) as DemoUsersFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { env, created, file };
    throw error;
  }
  const operator = saved.users.find((u) => u.role === 'operator');
  if (!operator) return { env, created, file };
  return { env: { ...env, [USER_ENV]: operator.name, [PASSWORD_ENV]: operator.password }, created, file };
}

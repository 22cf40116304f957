/**
 * The layering rules of the house (../shared/DESIGN.md, "Layout"): the line control, the domain and
 * the machines never import the CLI or the simulators (one composition root, src/app/, wires a
 * simulator in); the domain imports no importer code. Checked on the sources, non-test files.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '..');

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** Every module a file imports (static and dynamic), resolved to a path from the repository root. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(path.join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.[^'"]+)['"]/g)].map((m) => m[1]!);
  return specifiers.map((s) => path.relative(root, path.resolve(path.dirname(path.join(root, file)), s)));
}

const RULES: readonly { from: string; mustNotImport: readonly string[] }[] = [
  { from: 'src/line', mustNotImport: ['src/cli/', 'simulators/'] },
  { from: 'src/domain', mustNotImport: ['src/cli/', 'simulators/', 'src/import/', 'src/line/', 'src/store/'] },
  { from: 'machines', mustNotImport: ['src/cli/', 'simulators/', 'src/store/', 'src/plc/opcua/', 'src/plc/modbus/'] },
  { from: 'src/stations', mustNotImport: ['src/cli/', 'simulators/', 'src/store/'] },
];

/**
 * A query built outside src/store: a table called on a Knex handle (`db('records')`, `trx('cards')`,
 * `lines.db('batches')`), the schema builder, a raw statement or a transaction. Passing a handle on
 * to a store function is allowed; building the query is not.
 */
const QUERY = /(?:\b(?:db|trx|knex|probe)|\.db)\s*(?:<[^>()]*>)?\(\s*['"`]|\b(?:db|trx|knex|probe)\.(?:schema|raw|transaction)\b|\.db\.(?:schema|raw|transaction)\b/;

describe('layering', () => {
  it('no module outside src/store builds a SQL query', async () => {
    const violations: string[] = [];
    for (const file of await sources('src')) {
      if (file.startsWith('src/store/')) continue;
      const lines = (await readFile(path.join(root, file), 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (QUERY.test(line)) violations.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(violations).toStrictEqual([]);
  });

  it('the query check catches the forms it looks for', () => {
    const caught = [`await lines.db('batches').where({ id }).first('status')`, `trx<Row>('cards').insert(row)`, `probe.schema.hasTable('store_keys')`, `db.transaction(async (t) => t)`];
    const passed = [`await appendAudit(lines.db, entry)`, `LineLease.holder(lines.db, id)`, `const db = await connectDatabase(options)`];
    expect(caught.filter((l) => !QUERY.test(l))).toStrictEqual([]);
    expect(passed.filter((l) => QUERY.test(l))).toStrictEqual([]);
  });

  it.each(RULES)('$from imports none of $mustNotImport', async ({ from, mustNotImport }) => {
    const violations: string[] = [];
    for (const file of await sources(from)) {
      for (const target of await importsOf(file)) {
        if (mustNotImport.some((p) => target.startsWith(p))) violations.push(`${file} imports ${target}`);
      }
    }
    expect(violations).toStrictEqual([]);
  });
});

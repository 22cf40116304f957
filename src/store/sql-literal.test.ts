// sqlLiteral and the script runner: values written as literals into a parameterless script read
// back unchanged on a real SQLite and a real PostgreSQL (the journal's commits are such scripts).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectOf, insertSql, runStatements, sqlLiteral, updateSql } from './sql.ts';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';

describe('sqlLiteral', () => {
  it('quotes strings with quotes doubled; on PostgreSQL a backslash makes an E string with backslashes doubled', () => {
    expect(sqlLiteral("it's", 'sqlite')).toBe("'it''s'");
    expect(sqlLiteral("it's", 'postgres')).toBe("'it''s'");
    expect(sqlLiteral('a\\b', 'sqlite')).toBe("'a\\b'");
    expect(sqlLiteral("a\\'b", 'postgres')).toBe("E'a\\\\''b'");
    expect(sqlLiteral('', 'postgres')).toBe("''");
  });

  it('writes no bare "?" on PostgreSQL (knex would take it for a parameter): an E string with \\x3f', () => {
    expect(sqlLiteral('a?b', 'sqlite')).toBe("'a?b'");
    expect(sqlLiteral('a?b', 'postgres')).toBe("E'a\\x3fb'");
    expect(sqlLiteral('\\?', 'postgres')).toBe("E'\\\\\\x3f'");
  });

  it('writes numbers, booleans and null per dialect', () => {
    expect(sqlLiteral(42, 'sqlite')).toBe('42');
    expect(sqlLiteral(-7, 'postgres')).toBe('-7');
    expect(sqlLiteral(-0, 'postgres')).toBe('0');
    expect(sqlLiteral(1.5, 'sqlite')).toBe('1.5');
    expect(sqlLiteral(12n, 'postgres')).toBe('12');
    expect(sqlLiteral(true, 'sqlite')).toBe('1');
    expect(sqlLiteral(false, 'sqlite')).toBe('0');
    expect(sqlLiteral(true, 'postgres')).toBe('TRUE');
    expect(sqlLiteral(false, 'postgres')).toBe('FALSE');
    expect(sqlLiteral(null, 'sqlite')).toBe('NULL');
  });

  it('refuses a NUL, numbers that are not finite, and values that are not plain scalars', () => {
    expect(() => sqlLiteral('a\0b', 'sqlite')).toThrow(/cannot hold a NUL character/);
    expect(() => sqlLiteral('a\0b', 'postgres')).toThrow(/cannot hold a NUL character/);
    for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) expect(() => sqlLiteral(n, 'sqlite')).toThrow(/must be finite/);
    expect(() => sqlLiteral(undefined, 'sqlite')).toThrow(/type undefined/);
    expect(() => sqlLiteral({ a: 1 }, 'postgres')).toThrow(/type object/);
    expect(() => sqlLiteral(new Date(), 'postgres')).toThrow(/type object/);
    expect(() => sqlLiteral(Symbol('x'), 'postgres')).toThrow(/type symbol/);
  });

  it('builds multi-row inserts and updates, and checks the row width', () => {
    expect(insertSql('sqlite', 't', ['a', 'b'], [[1, 'x'], [null, true]], 'on conflict (a) do nothing')).toBe(
      `insert into "t" ("a", "b") values (1, 'x'), (NULL, 1) on conflict (a) do nothing`,
    );
    expect(updateSql('postgres', 't', [['a', 1], ['b', "o'k"]], [['id', 'k'], ['n', 2]])).toBe(`update "t" set "a" = 1, "b" = 'o''k' where "id" = 'k' and "n" = 2`);
    expect(() => insertSql('sqlite', 't', ['a', 'b'], [[1]])).toThrow(/a row has 1 values for 2 columns/);
  });
});

/** Strings that stress quoting: any code point, and runs of quotes, backslashes, separators and comment starts. */
const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom("'", '\\', '"', '?', '$1', ';', '\n', '\r', '\t', '--', '/*', '*/', '$$', 'E', 'é', 'Ư', '😀', '\u2028', '\uFEFF', ' ', 'x'), maxLength: 40 }),
).filter((s) => !s.includes('\0'));

describe.each(BACKENDS)('literals through runStatements on $name', (backend) => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await backend.setup();
    await fx.db.schema.createTable('literal_probe', (t) => {
      t.integer('id').primary();
      t.text('s').nullable();
      t.integer('n').nullable();
      t.boolean('b').nullable();
    });
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  /** The statements in one knex transaction; on PostgreSQL `nonStandard` turns standard_conforming_strings off in it first. */
  async function inTransaction(statements: readonly string[], nonStandard = false): Promise<void> {
    await fx.db.transaction(async (trx) => {
      if (nonStandard) await trx.raw('set local standard_conforming_strings = off');
      await runStatements(trx, dialectOf(fx.db), statements);
    });
  }

  // PostgreSQL also with standard_conforming_strings off (backslashes escape in plain '' strings):
  // a server configured that way must not change what is stored.
  it.each(backend.name === 'postgres' ? [false, true] : [false])('any string (quotes, backslashes, unicode, newlines) reads back unchanged (backslash escapes on: %s)', async (nonStandard) => {
    const d = dialectOf(fx.db);
    let id = nonStandard ? 50_000 : 0;
    await fc.assert(
      fc.asyncProperty(fc.array(nastyString, { minLength: 1, maxLength: 5 }), async (strings) => {
        const first = id + 1;
        const rows = strings.map((s) => [++id, s]);
        // Two statements (one query string on PostgreSQL): a literal must not end its statement early either.
        await inTransaction([insertSql(d, 'literal_probe', ['id', 's'], rows), updateSql(d, 'literal_probe', [['s', strings[0]!]], [['id', first]])], nonStandard);
        const read: { id: number; s: string }[] = await fx.db('literal_probe').whereBetween('id', [first, id]).orderBy('id').select('id', 's');
        expect(read.map((r) => r.s)).toStrictEqual(strings);
        // And the literal compares equal to the same string bound as a parameter.
        const matches: unknown[] = await fx.db('literal_probe').where({ id: first, s: strings[0]! }).select('id');
        expect(matches).toHaveLength(1);
      }),
      { numRuns: 150 },
    );
  });

  it('numbers, booleans and null read back as knex bindings of the same values would store them', async () => {
    const d = dialectOf(fx.db);
    await inTransaction([
      insertSql(d, 'literal_probe', ['id', 's', 'n', 'b'], [
        [100_001, null, -2_147_483_648, true],
        [100_002, 'x', 2_147_483_647, false],
      ]),
    ]);
    await fx.db('literal_probe').insert([
      { id: 100_003, s: null, n: -2_147_483_648, b: true },
      { id: 100_004, s: 'x', n: 2_147_483_647, b: false },
    ]);
    const read: { id: number; s: string | null; n: number; b: unknown }[] = await fx.db('literal_probe').where('id', '>', 100_000).orderBy('id').select('id', 's', 'n', 'b');
    expect(read.slice(0, 2).map(({ id: _, ...rest }) => rest)).toStrictEqual(read.slice(2).map(({ id: _, ...rest }) => rest));
  });

  it('a failing statement stops the statements: nothing after it runs, and the transaction keeps nothing', async () => {
    const d = dialectOf(fx.db);
    const insert = (id: number): string => insertSql(d, 'literal_probe', ['id'], [[id]]);
    await expect(inTransaction([insert(200_001), insert(200_001), insert(200_002)])).rejects.toThrow(/UNIQUE|duplicate key/);
    expect(await fx.db('literal_probe').whereIn('id', [200_001, 200_002]).first()).toBeUndefined();
  });

  if (backend.name === 'postgres') it('outside a transaction the statements are one implicit transaction: a failure keeps none of them', async () => {
    const d = dialectOf(fx.db);
    const insert = (id: number): string => insertSql(d, 'literal_probe', ['id'], [[id]]);
    await expect(runStatements(fx.db, d, [insert(300_001), insert(300_001)])).rejects.toThrow(/duplicate key/);
    expect(await fx.db('literal_probe').where('id', 300_001).first()).toBeUndefined();
    // And the connection went back to the pool clean: the next statements commit.
    await runStatements(fx.db, d, [insert(300_002)]);
    expect(await fx.db('literal_probe').where('id', 300_002).first()).toBeDefined();
  });

  it('refuses a PostgreSQL statement holding a bare "?" (knex would bind it)', async () => {
    await expect(runStatements(fx.db, 'postgres', ["select '?'"])).rejects.toThrow(/holds a "\?"/);
  });
});

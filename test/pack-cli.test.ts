/**
 * `cardline pack` through the real CLI: the packs of an imported batch (made here by the planner, as
 * the controller makes them on a line with a packer) listed as text and JSON, a manifest written
 * 0600 and audited, a label, and errors that name what is wrong.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/cli/context.ts';
import { PackPlanner } from '../src/packing/planner.ts';
import { listAudit } from '../src/store/audit.ts';
import { PackStore } from '../src/store/pack-store.ts';
import { cardline, cliUsers } from './helpers/cli.ts';
import { readPdf } from './render/helpers.ts';

let dir: string;
let env: NodeJS.ProcessEnv;
let batchId: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-packcli-'));
  env = (await cliUsers({ CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' }, { mgr: 'manager' })).mgr;
  expect((await cardline(['sample', '--count', '12', '--seed', 'packcli', '--out', path.join(dir, 'in')], { env })).code).toBe(0);
  const imported = await cardline(['import', path.join(dir, 'in', 'batch.jsonl')], { env });
  expect(imported.code, imported.stderr).toBe(0);
  batchId = /batch (\S+): \d+ record/.exec(imported.stdout)![1]!;
  // Every card made good and packed, in record order, on a packer of 3 pockets and packs of 2.
  const ctx = await openContext({ ...process.env, ...env });
  try {
    const store = new PackStore(ctx.db, 'cli-line');
    const offices = await store.recordOffices(batchId);
    const pending = new Map<string, number>();
    for (const o of offices.values()) pending.set(o, (pending.get(o) ?? 0) + 1);
    const planner = new PackPlanner(batchId, { pockets: 3, packSize: 2 }, [], pending);
    for (const [seq, office] of offices) await store.apply(batchId, planner.place({ cardSerial: `K${String(seq).padStart(7, '0')}`, seq, office }).changes);
  } finally {
    await ctx.close();
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const jsonArray = (stdout: string): unknown[] => JSON.parse(stdout.split('\n').find((l) => l.startsWith('['))!) as unknown[];

describe('cardline pack', () => {
  it('lists the packs of a batch as JSON: every card once, in a pack of its record’s office', async () => {
    const r = await cardline(['pack', 'list', batchId, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const packs = jsonArray(r.stdout) as { packId: string; deliveryOffice: string; cardSerials: string[]; closed: boolean; remainder: boolean }[];
    expect(Object.keys(packs[0]!)).toStrictEqual(['packId', 'deliveryOffice', 'cardSerials', 'closed', 'remainder']);
    const serials = packs.flatMap((p) => p.cardSerials).sort();
    expect(serials).toStrictEqual(Array.from({ length: 12 }, (_, i) => `K${String(i + 1).padStart(7, '0')}`));
    const ctx = await openContext({ ...process.env, ...env });
    try {
      const offices = await new PackStore(ctx.db, '').recordOffices(batchId);
      for (const p of packs) {
        expect(p.closed).toBe(true);
        expect(p.packId).toMatch(new RegExp(`^${batchId}-P\\d{4}$`));
        for (const s of p.cardSerials) expect(offices.get(Number(s.slice(1)))).toBe(p.deliveryOffice);
      }
    } finally {
      await ctx.close();
    }
    const text = await cardline(['pack', 'list', batchId], { env });
    expect(text.stdout).toContain(`${packs.length} packs, 12 cards`);
  });

  it('writes a manifest readable by its owner only, with the holder’s name, and audits who took it', async () => {
    const packs = jsonArray((await cardline(['pack', 'list', batchId, '--json'], { env })).stdout) as { packId: string; cardSerials: string[] }[];
    const packId = packs[0]!.packId;
    const out = path.join(dir, 'manifest.pdf');
    const r = await cardline(['pack', 'manifest', packId, '--out', out], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`manifest v1 of pack ${packId}`);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const pdf = await readPdf(await readFile(out));
    const ctx = await openContext({ ...process.env, ...env });
    try {
      const seq = Number(packs[0]!.cardSerials[0]!.slice(1));
      const personal = await ctx.batches.recordPersonal(batchId, seq);
      const text = pdf.text.replace(/\s+/g, ' ');
      expect(text).toContain(`${packs[0]!.cardSerials[0]} ${seq} ${String(personal.fullName)} •••• ${String(personal.pid).slice(-4)}`);
      expect(text).not.toContain(String(personal.pid));
      const audit = await listAudit(ctx.db, { subjectId: packId });
      expect(audit.map((a) => [a.actor, a.action, a.details?.manifestVersion])).toStrictEqual([['mgr', 'pack.manifest-issued', 1]]);
    } finally {
      await ctx.close();
    }
    const label = await cardline(['pack', 'label', packId, '--out', path.join(dir, 'label.pdf')], { env });
    expect(label.code, label.stderr).toBe(0);
    expect((await readPdf(await readFile(path.join(dir, 'label.pdf')))).text).toContain(packId);
  });

  it('names what is wrong: an unknown batch or pack, an output that is not a PDF', async () => {
    const noBatch = await cardline(['pack', 'list', '20990101-000000'], { env });
    expect([noBatch.code, noBatch.stderr.trim()]).toStrictEqual([2, 'cardline: batch 20990101-000000 does not exist; cardline batch list shows the batches']);
    const noPack = await cardline(['pack', 'manifest', 'P-none', '--out', path.join(dir, 'x.pdf')], { env });
    expect([noPack.code, noPack.stderr.trim()]).toStrictEqual([2, 'cardline: pack P-none does not exist; cardline pack list BATCH shows the packs of a batch']);
    const notPdf = await cardline(['pack', 'manifest', 'P-none', '--out', path.join(dir, 'x.txt')], { env });
    expect(notPdf.code).toBe(2);
    expect(notPdf.stderr).toContain('give a file name ending in .pdf');
  });
});

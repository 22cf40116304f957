/**
 * The packer's physical model against a real ledger file: cards go into the pack and pocket their
 * job names, a pack of another id is ejected from a pocket needed, a closing card ejects its pack,
 * a reopened pack is loaded back with its cards, the operator unloads the rest — and a restarted
 * simulator finds the pockets as the ledger left them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, readLedger, summarizeLedger } from '../ledger.ts';
import { Card } from './card.ts';
import { packerFromLedger } from './packer.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-packer-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const card = (n: number) => new Card(`P${String(n).padStart(8, '0')}`, n, 'lot', 'packer');
const job = (packId: string, pocket: number, closesPack = false, office = `office of ${packId}`) => ({ packId, office, pocket, closesPack });

describe('PackerPockets', () => {
  it('follows its jobs and writes the physical truth to the ledger', async () => {
    const file = path.join(work, 'a', 'ledger.jsonl');
    const ledger = Ledger.open(file);
    const packer = packerFromLedger('packer', 2, ledger);
    expect(packer.put(card(1), job('K1', 0))).toStrictEqual({ ok: true, count: 1 });
    expect(packer.put(card(2), job('K2', 1))).toStrictEqual({ ok: true, count: 1 });
    expect(packer.put(card(3), job('K1', 0, true))).toStrictEqual({ ok: true, count: 2 });
    expect(packer.contents()).toStrictEqual([null, { packId: 'K2', office: 'office of K2', cards: ['P00000002'] }]);
    // Pocket 1 is needed for K3: K2 is ejected as it is.
    expect(packer.put(card(4), job('K3', 1))).toStrictEqual({ ok: true, count: 1 });
    // A job the packer cannot do: the card is not put anywhere.
    expect(packer.put(card(5), job('K4', 2))).toStrictEqual({ ok: false, problem: 'pocket 2 does not exist (pockets 0–1)' });
    expect(packer.put(card(5), job('K3', 0))).toStrictEqual({ ok: false, problem: 'pack K3 lies in pocket 1, not 0' });
    // An inspector takes card 1 out of the closed pack K1; K1 comes back into pocket 0 for its re-made card.
    expect(packer.removeCard('P00000001', 'K1', 'INSPECTOR_REJECT')).toBe(true);
    expect(packer.removeCard('P00000001', 'K1', 'INSPECTOR_REJECT')).toBe(false);
    expect(packer.put(card(6), job('K1', 0, true))).toStrictEqual({ ok: true, count: 2 });
    ledger.close();

    const entries = (await readLedger(file)).map(({ t: _t, sim: _sim, ...e }) => e);
    expect(entries.map((e) => `${e.ev}${'packId' in e ? ` ${e.packId}` : ''}${'reason' in e ? ` ${e.reason}` : ''}`)).toStrictEqual([
      'packLoaded K1',
      'packed K1',
      'packLoaded K2',
      'packed K2',
      'packed K1',
      'packEjected K1 closed',
      'packEjected K2 pocket-needed',
      'packLoaded K3',
      'packed K3',
      'packCardRemoved K1 INSPECTOR_REJECT',
      'packLoaded K1',
      'packed K1',
      'packEjected K1 closed',
    ]);
    const summary = await summarizeLedger(file);
    expect(summary.packs.map((p) => ({ packId: p.packId, office: p.office, cards: p.cards.map((c) => c.cardSerial), pocket: p.pocket }))).toStrictEqual([
      { packId: 'K1', office: 'office of K1', cards: ['P00000003', 'P00000006'], pocket: null },
      { packId: 'K2', office: 'office of K2', cards: ['P00000002'], pocket: null },
      { packId: 'K3', office: 'office of K3', cards: ['P00000004'], pocket: 1 },
    ]);
    // Each packed card's chip and surface are on record, as for a stacked card (an empty chip: no DG1).
    expect(entries.find((e) => e.ev === 'packed')).toStrictEqual({ ev: 'packed', card: 'P00000001', station: 'packer', packId: 'K1', office: 'office of K1', pocket: 0, chipSha256: null, surfaceSha256: null, dg1Digest: null });
  });

  it('a restarted simulator finds the pockets as the ledger left them; the operator unloads them', async () => {
    const file = path.join(work, 'b', 'ledger.jsonl');
    const first = Ledger.open(file);
    const packer = packerFromLedger('packer', 3, first);
    packer.put(card(1), job('K1', 2));
    packer.put(card(2), job('K2', 0));
    first.close();

    const again = Ledger.open(file);
    const restored = packerFromLedger('packer', 3, again);
    expect(restored.contents()).toStrictEqual([{ packId: 'K2', office: 'office of K2', cards: ['P00000002'] }, null, { packId: 'K1', office: 'office of K1', cards: ['P00000001'] }]);
    expect(restored.put(card(3), job('K1', 2))).toStrictEqual({ ok: true, count: 2 });
    expect(restored.unload()).toStrictEqual(['K2', 'K1']);
    expect(restored.contents()).toStrictEqual([null, null, null]);
    again.close();
    expect((await summarizeLedger(file)).packs.every((p) => p.pocket === null)).toBe(true);
  });

  it('refuses a packer without pockets', () => {
    const ledger = Ledger.open(path.join(work, 'c', 'ledger.jsonl'));
    try {
      expect(() => packerFromLedger('packer', 0, ledger)).toThrow('packer packer: pockets must be a whole number ≥ 1, got 0');
    } finally {
      ledger.close();
    }
  });
});

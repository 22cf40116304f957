/**
 * The packing invariants of issue 14, judged against the simulator's ledger as well as the store:
 * every good card of the batch lies in exactly one pack whose office is its record's delivery office;
 * every pack is closed; per office, every pack is full except remainder packs and at most one last
 * pack; and the ledger's packs (pack id, office, cards) are exactly what `cardline pack list` shows.
 */
import { ledgerFile, summarizeLedger } from '../../simulators/ledger.ts';
import type { LineStore } from '../../src/store/line-store.ts';

export interface PackReport {
  readonly violations: string[];
  readonly packs: number;
  readonly remainders: number;
  readonly cards: number;
}

export async function checkPacks(input: { store: LineStore; dataDir: string; batchId: string; packSize: number }): Promise<PackReport> {
  const { store, batchId, packSize } = input;
  const v: string[] = [];
  const packs = await store.packs.packs(batchId);
  const offices = await store.packs.recordOffices(batchId);
  const good = (await store.batchCards(batchId)).filter((c) => c.status === 'good');
  const where = new Map<string, string[]>();
  for (const p of packs) {
    if (!p.closed) v.push(`pack ${p.packId} is not closed`);
    if (p.cards.length > packSize) v.push(`pack ${p.packId} holds ${p.cards.length} cards, more than ${packSize}`);
    for (const c of p.cards) {
      where.set(c.cardSerial, [...(where.get(c.cardSerial) ?? []), p.packId]);
      if (offices.get(c.seq) !== p.office) v.push(`card ${c.cardSerial} (record ${c.seq}, office ${offices.get(c.seq)}) lies in pack ${p.packId} of office ${p.office}`);
    }
  }
  for (const c of good) {
    const in_ = where.get(c.cardSerial) ?? [];
    if (in_.length !== 1) v.push(`good card ${c.cardSerial} lies in ${in_.length} packs (${in_.join(', ')})`);
  }
  for (const [serial] of where) if (!good.some((c) => c.cardSerial === serial)) v.push(`pack card ${serial} is not a good card of the batch`);
  for (const office of new Set(packs.map((p) => p.office))) {
    const short = packs.filter((p) => p.office === office && !p.remainder && p.cards.length < packSize);
    if (short.length > 1) v.push(`office ${office} has ${short.length} packs that are neither full nor remainders: ${short.map((p) => `${p.packId} (${p.cards.length})`).join(', ')}`);
  }
  // The physical truth: the simulator's packs are the store's, card for card.
  const ledger = await summarizeLedger(ledgerFile(input.dataDir));
  const byPackId = (a: { packId: string }, b: { packId: string }) => a.packId.localeCompare(b.packId);
  const physical = ledger.packs.filter((p) => p.packId.startsWith(`${batchId}-`)).map((p) => ({ packId: p.packId, deliveryOffice: p.office, cardSerials: p.cards.map((c) => c.cardSerial), inPocket: p.pocket !== null })).sort(byPackId);
  const listed = packs.map((p) => ({ packId: p.packId, deliveryOffice: p.office, cardSerials: p.cards.map((c) => c.cardSerial), inPocket: false }));
  if (JSON.stringify(physical) !== JSON.stringify(listed)) {
    const byId = new Map(physical.map((p) => [p.packId, p]));
    for (const p of listed) {
      const q = byId.get(p.packId);
      if (!q) v.push(`pack ${p.packId} is listed but the packer never made it`);
      else if (JSON.stringify(q) !== JSON.stringify(p)) v.push(`pack ${p.packId}: listed ${JSON.stringify(p)}, ledger ${JSON.stringify(q)}`);
    }
    for (const q of physical) if (!listed.some((p) => p.packId === q.packId)) v.push(`the packer made pack ${q.packId}, which is not listed`);
  }
  return { violations: v, packs: packs.length, remainders: packs.filter((p) => p.remainder).length, cards: packs.reduce((n, p) => n + p.cards.length, 0) };
}

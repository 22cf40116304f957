/**
 * The pack planner: the rules of issue 14 ("Packer" clarification) as table-driven cases, then a
 * property over random batches — every card in exactly one pack of its own office, every pack closed
 * in the end, and per office every pack full except remainders and at most one last pack.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PackChange, PackState } from './pack.ts';
import { PackPlanner } from './planner.ts';

const B = '20261207-abcdef';
const id = (n: number) => `${B}-P${String(n).padStart(4, '0')}`;
const card = (n: number, office: string) => ({ cardSerial: `VNA${String(n).padStart(8, '0')}`, seq: n, office });

/** Places cards of the given offices in order (seq = position + 1); returns the planner. */
function run(offices: string[], config: { pockets: number; packSize: number }) {
  const pending = new Map<string, number>();
  for (const o of offices) pending.set(o, (pending.get(o) ?? 0) + 1);
  const planner = new PackPlanner(B, config, [], pending);
  const placements = offices.map((o, i) => planner.place(card(i + 1, o)));
  return { planner, placements };
}

const summary = (packs: PackState[]) => packs.map((p) => `${p.office}:${p.cards.map((c) => c.seq).join(',')}${p.closed ? '' : ' open'}${p.remainder ? ' R' : ''} v${p.manifestVersion}`);

describe('PackPlanner rules', () => {
  const cases: { name: string; offices: string[]; pockets: number; packSize: number; packs: string[] }[] = [
    {
      name: 'a pack closes when full; the office’s last pack when its office has no more cards',
      offices: ['A', 'A', 'A', 'A', 'A'],
      pockets: 2,
      packSize: 2,
      packs: ['A:1,2 v1', 'A:3,4 v1', 'A:5 v1'],
    },
    {
      name: 'offices interleaved within the pockets each fill their own pack',
      offices: ['A', 'B', 'A', 'B', 'A', 'B'],
      pockets: 2,
      packSize: 3,
      packs: ['A:1,3,5 v1', 'B:2,4,6 v1'],
    },
    {
      name: 'a third office takes the least recently used pocket: that pack closes as a remainder',
      offices: ['A', 'B', 'A', 'C', 'A', 'B'],
      pockets: 2,
      packSize: 3,
      packs: ['A:1,3,5 v1', 'B:2 R v1', 'C:4 v1', 'B:6 v1'],
    },
    {
      name: 'one pocket: every change of office closes a remainder',
      offices: ['A', 'B', 'A', 'A'],
      pockets: 1,
      packSize: 5,
      packs: ['A:1 R v1', 'B:2 v1', 'A:3,4 v1'],
    },
  ];
  it.each(cases)('$name', ({ offices, pockets, packSize, packs }) => {
    expect(summary(run(offices, { pockets, packSize }).planner.state())).toStrictEqual(packs);
  });

  it('tells the packer the pocket, and which card closes its pack', () => {
    const { placements } = run(['A', 'B', 'A'], { pockets: 8, packSize: 2 });
    expect(placements.map(({ packId, pocket, office, closesPack }) => ({ packId, pocket, office, closesPack }))).toStrictEqual([
      { packId: id(1), pocket: 0, office: 'A', closesPack: false },
      { packId: id(2), pocket: 1, office: 'B', closesPack: true },
      { packId: id(1), pocket: 0, office: 'A', closesPack: true },
    ]);
  });

  it('lists the changes for the store in order: opened, packed, closed (and the remainder it evicted)', () => {
    const planner = new PackPlanner(B, { pockets: 1, packSize: 5 }, [], [['A', 2], ['B', 1]]);
    expect(planner.place(card(1, 'A')).changes).toStrictEqual<PackChange[]>([
      { kind: 'opened', packId: id(1), office: 'A', packNo: 1, pocket: 0 },
      { kind: 'packed', packId: id(1), card: { cardSerial: 'VNA00000001', seq: 1 }, slot: 1 },
    ]);
    expect(planner.place(card(2, 'B')).changes).toStrictEqual<PackChange[]>([
      { kind: 'closed', packId: id(1), remainder: true, manifestVersion: 1 },
      { kind: 'opened', packId: id(2), office: 'B', packNo: 2, pocket: 0 },
      { kind: 'packed', packId: id(2), card: { cardSerial: 'VNA00000002', seq: 2 }, slot: 1 },
      { kind: 'closed', packId: id(2), remainder: false, manifestVersion: 1 },
    ]);
  });

  it('answers a card asked for again with the same placement and no change', () => {
    const planner = new PackPlanner(B, { pockets: 8, packSize: 50 }, [], [['A', 3]]);
    const first = planner.place(card(1, 'A'));
    const again = planner.place(card(1, 'A'));
    expect(again).toStrictEqual({ ...first, changes: [] });
    expect(planner.pendingOf('A')).toBe(2);
  });

  it('closes an office’s open pack when its last pending record fails instead', () => {
    const planner = new PackPlanner(B, { pockets: 8, packSize: 50 }, [], [['A', 2]]);
    planner.place(card(1, 'A'));
    expect(planner.recordEnded('A')).toStrictEqual([{ kind: 'closed', packId: id(1), remainder: false, manifestVersion: 1 }]);
    expect(planner.pack(id(1))).toMatchObject({ closed: true, pocket: null, manifestVersion: 1 });
  });

  it('a card rejected after packing reopens its pack; the re-made card fills it; the manifest is reissued as version 2', () => {
    const planner = new PackPlanner(B, { pockets: 8, packSize: 2 }, [], [['A', 3]]);
    planner.place(card(1, 'A'));
    planner.place(card(2, 'A')); // full: closed, v1
    planner.place(card(3, 'A')); // a second pack, left open… and closed: A has no more cards
    expect(summary(planner.state())).toStrictEqual(['A:1,2 v1', 'A:3 v1']);
    expect(planner.remove('VNA00000002', 'INSPECTOR_REJECT', true)).toStrictEqual([
      { kind: 'removed', packId: id(1), cardSerial: 'VNA00000002', reason: 'INSPECTOR_REJECT', reopened: true },
    ]);
    expect(planner.pendingOf('A')).toBe(1);
    const remade = planner.place(card(4, 'A'));
    expect(remade.changes).toStrictEqual<PackChange[]>([
      { kind: 'loaded', packId: id(1), pocket: 0 },
      { kind: 'packed', packId: id(1), card: { cardSerial: 'VNA00000004', seq: 4 }, slot: 3 },
      { kind: 'closed', packId: id(1), remainder: false, manifestVersion: 2 },
    ]);
    expect(summary(planner.state())).toStrictEqual(['A:1,4 v2', 'A:3 v1']);
  });

  it('a removed card whose record will not be re-made: the pack closes again at once, one card short', () => {
    const planner = new PackPlanner(B, { pockets: 8, packSize: 2 }, [], [['A', 2]]);
    planner.place(card(1, 'A'));
    planner.place(card(2, 'A'));
    expect(planner.remove('VNA00000001', 'INSPECTOR_REJECT', false)).toStrictEqual<PackChange[]>([
      { kind: 'removed', packId: id(1), cardSerial: 'VNA00000001', reason: 'INSPECTOR_REJECT', reopened: true },
      { kind: 'closed', packId: id(1), remainder: false, manifestVersion: 2 },
    ]);
  });

  it('drops a pack whose only card never got there (a jam at the packer): the pack never existed', () => {
    const planner = new PackPlanner(B, { pockets: 2, packSize: 5 }, [], [['A', 2]]);
    planner.place(card(1, 'A'));
    expect(planner.remove('VNA00000001', 'CARD_JAM', true)).toStrictEqual<PackChange[]>([
      { kind: 'removed', packId: id(1), cardSerial: 'VNA00000001', reason: 'CARD_JAM', reopened: false },
      { kind: 'dropped', packId: id(1) },
    ]);
    expect(planner.state()).toStrictEqual([]);
    expect(planner.place(card(2, 'A'))).toMatchObject({ packId: id(2), pocket: 0 });
  });

  it('restores from stored packs: pockets held, numbering continued', () => {
    const stored: PackState[] = [
      { packId: id(1), batchId: B, office: 'A', packNo: 1, cards: [{ cardSerial: 'VNA00000001', seq: 1 }], pocket: 3, closed: false, remainder: false, manifestVersion: 0 },
      { packId: id(2), batchId: B, office: 'B', packNo: 2, cards: [{ cardSerial: 'VNA00000002', seq: 2 }], pocket: null, closed: true, remainder: false, manifestVersion: 1 },
    ];
    const planner = new PackPlanner(B, { pockets: 4, packSize: 50 }, stored, [['A', 1], ['C', 1]]);
    expect(planner.place(card(3, 'A'))).toMatchObject({ packId: id(1), pocket: 3, closesPack: true });
    expect(planner.place(card(4, 'C'))).toMatchObject({ packId: id(3), pocket: 0 });
    expect(() => planner.place(card(2, 'B'))).toThrow('card VNA00000002 already lies in pack');
  });

  it('refuses a stored state that cannot be', () => {
    const pack = (n: number, pocket: number | null, closed = false): PackState => ({ packId: id(n), batchId: B, office: 'A', packNo: n, cards: [], pocket, closed, remainder: false, manifestVersion: 0 });
    expect(() => new PackPlanner(B, { pockets: 2, packSize: 5 }, [pack(1, 0), pack(2, 0)])).toThrow(`packs ${id(1)} and ${id(2)} both hold pocket 0`);
    expect(() => new PackPlanner(B, { pockets: 2, packSize: 5 }, [pack(1, 2)])).toThrow('holds pocket 2; the packer has pockets 0–1');
    expect(() => new PackPlanner(B, { pockets: 2, packSize: 5 }, [pack(1, 1, true)])).toThrow('is closed but still holds pocket 1');
    expect(() => new PackPlanner(B, { pockets: 0, packSize: 5 })).toThrow('packPockets must be a whole number ≥ 1, got 0');
    expect(() => new PackPlanner(B, { pockets: 1, packSize: 0 })).toThrow('packSize must be a whole number ≥ 1, got 0');
  });
});

describe('PackPlanner properties', () => {
  /** A record's fate: its good cards (re-made after removals) reach the packer, or it fails. */
  const batch = fc.record({
    pockets: fc.integer({ min: 1, max: 8 }),
    packSize: fc.integer({ min: 1, max: 12 }),
    records: fc.array(fc.record({ office: fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'UNSORTED'), fails: fc.boolean(), removals: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 150 }),
    order: fc.array(fc.nat(), { maxLength: 150 }),
  });

  it('every good card lies in exactly one pack of its office; all packs close; per office only remainders and one last pack are short', () => {
    fc.assert(
      fc.property(batch, ({ pockets, packSize, records, order }) => {
        const pending = new Map<string, number>();
        for (const r of records) pending.set(r.office, (pending.get(r.office) ?? 0) + 1);
        const planner = new PackPlanner(B, { pockets, packSize }, [], pending);
        // Events arrive in a shuffled order, as cards overtake each other in the line.
        type Step = { seq: number; attempt: number };
        const queue: Step[] = records.map((_, i) => ({ seq: i + 1, attempt: 0 }));
        for (let i = queue.length - 1; i > 0; i--) {
          const j = (order[i] ?? i) % (i + 1);
          [queue[i], queue[j]] = [queue[j]!, queue[i]!];
        }
        const good = new Map<number, string>();
        let serial = 0;
        while (queue.length > 0) {
          const { seq, attempt } = queue.shift()!;
          const r = records[seq - 1]!;
          if (r.fails) {
            planner.recordEnded(r.office);
            continue;
          }
          const cardSerial = `C${++serial}`;
          const placed = planner.place({ cardSerial, seq, office: r.office });
          if (placed.office !== r.office) return false;
          if (attempt < r.removals) {
            // Inspected again after packing and rejected: out of its pack, the record re-made later.
            planner.remove(cardSerial, 'INSPECTOR_REJECT', true);
            queue.splice(Math.min(queue.length, (order[serial] ?? 0) % (queue.length + 1)), 0, { seq, attempt: attempt + 1 });
          } else {
            good.set(seq, cardSerial);
          }
        }
        const packs = planner.state();
        const seen = new Map<string, string>();
        for (const p of packs) {
          expect(p.closed, `${p.packId} closed`).toBe(true);
          expect(p.pocket).toBeNull();
          expect(p.cards.length).toBeLessThanOrEqual(packSize);
          for (const c of p.cards) {
            expect(seen.has(c.cardSerial), `${c.cardSerial} in two packs`).toBe(false);
            seen.set(c.cardSerial, p.packId);
            expect(records[c.seq - 1]!.office).toBe(p.office);
          }
        }
        expect([...seen.keys()].sort()).toStrictEqual([...good.values()].sort());
        for (const office of new Set(records.map((r) => r.office))) {
          const short = packs.filter((p) => p.office === office && !p.remainder && p.cards.length < packSize);
          expect(short.length, `office ${office}: ${summary(packs.filter((p) => p.office === office)).join(' | ')}`).toBeLessThanOrEqual(1);
          expect(planner.pendingOf(office)).toBe(0);
        }
        return true;
      }),
      { numRuns: 400 },
    );
  });
});

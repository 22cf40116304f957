/**
 * The pack repository on SQLite and PostgreSQL: the planner's changes written and read back as the
 * planner holds them, a removal that reopens a pack, the delivery office stored with each record
 * (and the import of that office end to end).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';
import { importBatch } from '../import/importer.ts';
import { PackPlanner } from '../packing/planner.ts';
import { listAudit } from './audit.ts';
import { BatchStore } from './batch-store.ts';
import { LineStore } from './line-store.ts';
import { PackStore } from './pack-store.ts';

const today = { year: 2026, month: 11, day: 27 };

const child = (n: number, extra: Record<string, unknown> = {}) => ({
  pid: `079322${String(n + 100).padStart(6, '0')}`,
  fullName: 'Trần Thị Bảo Ngọc',
  birthDate: '2022-03-05',
  sex: 'F',
  issueDate: '2024-08-01',
  placeOfBirthRegistration: 'TP Hồ Chí Minh',
  residence: 'TP Hồ Chí Minh',
  ...extra,
});

describe.each(BACKENDS)('PackStore on $name', (backend) => {
  let fx: StoreFixture;
  let batches: BatchStore;
  let packs: PackStore;
  let batchId: string;

  beforeAll(async () => {
    fx = await backend.setup();
    batches = new BatchStore(fx.db, fx.keys);
    packs = new PackStore(fx.db, 'line-a');
    const batch = await batches.createBatch({ name: 'packs', sourceFile: 'packs.jsonl', actor: 'tester' });
    batchId = batch.id;
    // Offices with the characters an SQL literal must carry safely; one record without an office.
    const offices = ["Công an phường Hàng Bạc", "Công an xã Ia O'Grai", 'Đội 2? (PC06)', undefined];
    await batches.addRecords(
      batchId,
      Array.from({ length: 12 }, (_, i) => ({
        seq: i + 1,
        lineNo: i + 1,
        pid: `079322${String(i + 1).padStart(6, '0')}`,
        cardVariant: 'without-portrait',
        personal: {},
        ...(offices[i % 4] === undefined ? {} : { deliveryOffice: offices[i % 4] }),
      })),
    );
    await batches.finishImport(batchId, { accepted: 12, quarantined: 0, reportPath: 'r.json', actor: 'tester' });
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('keeps each record’s delivery office; a record without one reads as UNSORTED', async () => {
    const offices = await packs.recordOffices(batchId);
    expect([...offices.entries()].slice(0, 5)).toStrictEqual([
      [1, 'Công an phường Hàng Bạc'],
      [2, "Công an xã Ia O'Grai"],
      [3, 'Đội 2? (PC06)'],
      [4, 'UNSORTED'],
      [5, 'Công an phường Hàng Bạc'],
    ]);
  });

  it('stores the planner’s changes and reads back the packs the planner holds', async () => {
    const offices = await packs.recordOffices(batchId);
    const pending = new Map<string, number>();
    for (const o of offices.values()) pending.set(o, (pending.get(o) ?? 0) + 1);
    const planner = new PackPlanner(batchId, { pockets: 2, packSize: 2 }, [], pending);
    for (const [seq, office] of offices) {
      const placed = planner.place({ cardSerial: `VNA${String(seq).padStart(8, '0')}`, seq, office });
      await packs.apply(batchId, placed.changes);
    }
    const stored = await packs.packs(batchId);
    expect(stored).toStrictEqual(planner.state());
    expect(stored.every((p) => p.closed && p.pocket === null)).toBe(true);
    expect(stored.filter((p) => p.remainder).length).toBeGreaterThan(0);
    // Restored from the store, a planner sees what the first one saw.
    expect(new PackPlanner(batchId, { pockets: 2, packSize: 2 }, stored).state()).toStrictEqual(planner.state());
  });

  it('commits the planner’s changes through the line journal, with the card’s result, as the controller does', async () => {
    const batch = await batches.createBatch({ name: 'journal', sourceFile: 'j.jsonl', actor: 'tester' });
    await batches.addRecords(batch.id, [1, 2, 3].map((seq) => ({ seq, lineNo: seq, pid: `079322${String(seq + 50).padStart(6, '0')}`, cardVariant: 'without-portrait', personal: {}, deliveryOffice: "O'Brien" })));
    const planner = new PackPlanner(batch.id, { pockets: 8, packSize: 2 }, [], [["O'Brien", 3]]);
    const journal = new LineStore(fx.db, 'line-a').journal;
    for (const seq of [1, 2, 3]) {
      const serial = `VNB${String(seq).padStart(8, '0')}`;
      await journal.append(
        { op: 'packs', batchId: batch.id, changes: planner.place({ cardSerial: serial, seq, office: "O'Brien" }).changes },
        { op: 'event', event: 'packer.done', batchId: batch.id, seq, cardSerial: serial },
      );
    }
    expect(await new PackStore(fx.db, 'line-a').packs(batch.id)).toStrictEqual(planner.state());
    expect(planner.state().map((p) => [p.cards.length, p.closed])).toStrictEqual([[2, true], [1, true]]);
  });

  it('takes a card out: its pack reopens, the removal is kept for the manifest, audited with the change', async () => {
    const before = await packs.packs(batchId);
    const full = before.find((p) => p.cards.length === 2 && !p.remainder)!;
    const planner = new PackPlanner(batchId, { pockets: 2, packSize: 2 }, before);
    const out = full.cards[1]!;
    expect(await packs.packOfCard(out.cardSerial)).toBe(full.packId);
    await packs.apply(batchId, planner.remove(out.cardSerial, 'INSPECTOR_REJECT', true), {
      actor: 'inspector',
      action: 'pack.card-removed',
      subjectType: 'pack',
      subjectId: full.packId,
      details: { cardSerial: out.cardSerial, reason: 'INSPECTOR_REJECT' },
    });
    expect(await packs.packOfCard(out.cardSerial)).toBeUndefined();
    const detail = await packs.pack(full.packId);
    expect(detail).toStrictEqual({ ...full, cards: [full.cards[0]], closed: false, lineId: 'line-a', removed: [{ ...out, reason: 'INSPECTOR_REJECT' }] });
    expect((await packs.packs(batchId)).find((p) => p.packId === full.packId)).toStrictEqual(planner.pack(full.packId));
    expect((await listAudit(fx.db, { subjectId: full.packId })).map((a) => a.action)).toStrictEqual(['pack.card-removed']);
    expect(await packs.pack('no-such-pack')).toBeUndefined();
  });

  it('the importer stores the resolved office with each record', async () => {
    const dir = path.join(fx.dataDir, 'import');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'offices.jsonl');
    const lines = [
      child(1, { deliveryOffice: 'Công an phường Bến Nghé' }),
      child(2, { residence: 'xã Vĩnh Hảo, huyện Vị Xuyên, Hà Giang' }),
      child(3, { residence: 'phường Bến Nghé, Quận 1' }),
    ];
    await writeFile(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    const summary = await importBatch({ file, store: batches, reportDir: path.join(dir, 'reports'), actor: 'tester', today });
    expect(summary).toMatchObject({ accepted: 3, quarantined: 0 });
    expect([...(await packs.recordOffices(summary.batchId)).entries()]).toStrictEqual([
      [1, 'Công an phường Bến Nghé'],
      [2, 'Tuyên Quang'],
      [3, 'UNSORTED'],
    ]);
    // The office is not personal data: kept in clear beside the record, not inside its payload.
    expect(await batches.recordPersonal(summary.batchId, 1)).not.toHaveProperty('deliveryOffice');
    const report = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(summary.reportPath, 'utf8'))) as { entries: unknown[] };
    expect(report.entries).toStrictEqual([
      { line: 3, kind: 'warning', issues: [{ field: 'deliveryOffice', message: "absent, and the residence's last part names no province: the card goes to office UNSORTED" }] },
    ]);
  });
});

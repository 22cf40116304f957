/**
 * The controller's packing for a run: a record is produced once its card is packed (the packer's
 * Done) in a closed pack — whichever comes last; a card whose packing fails comes out of its pack;
 * a run resumed from the store goes on where the last one stopped.
 */
import { describe, expect, it } from 'vitest';
import { PackingRun, type PackingRecord } from './packing.ts';

const B = '20261207-abcdef';
const offices = new Map([[1, 'A'], [2, 'A'], [3, 'B'], [4, 'A'], [5, 'B']]);
const queued = (seq: number): PackingRecord => ({ seq, status: 'queued' });
const serial = (seq: number) => `C${seq}`;

describe('PackingRun', () => {
  it('produces a record when its card is packed and its pack closed, in either order', () => {
    const run = PackingRun.open(B, { pockets: 2, packSize: 2 }, [], offices, [1, 2, 3, 4, 5].map(queued), new Set());
    const p1 = run.plan(serial(1), 1);
    expect(p1.instruction).toStrictEqual({ packId: `${B}-P0001`, office: 'A', pocket: 0, closesPack: false });
    expect(run.done(serial(1), { packId: `${B}-P0001`, pocket: 0, count: 1 })).toStrictEqual({ ok: true, packId: `${B}-P0001`, produced: [] });
    // Card 2 fills the pack: the plan closes it, so card 1 (packed before) is produced at once…
    const p2 = run.plan(serial(2), 2);
    expect([p2.instruction.closesPack, p2.produced]).toStrictEqual([true, [{ seq: 1, cardSerial: 'C1', position: 1 }]]);
    // …and card 2 when the packer says it is in.
    expect(run.done(serial(2), { packId: `${B}-P0001`, pocket: 0, count: 2 })).toStrictEqual({ ok: true, packId: `${B}-P0001`, produced: [{ seq: 2, cardSerial: 'C2', position: 2 }] });
    // Asked again for card 2 (its job sent again): the same instruction, nothing new.
    expect(run.plan(serial(2), 2)).toStrictEqual({ instruction: p2.instruction, changes: [], produced: [] });
  });

  it('refuses a result that does not match the plan', () => {
    const run = PackingRun.open(B, { pockets: 2, packSize: 2 }, [], offices, [1, 2, 3, 4, 5].map(queued), new Set());
    run.plan(serial(3), 3);
    expect(run.done(serial(3), { packId: 'OTHER', pocket: 0, count: 1 })).toStrictEqual({ ok: false, detail: `the packer put the card into pack OTHER, the plan says ${B}-P0001` });
    expect(run.done('C99', { packId: 'OTHER', pocket: 0, count: 1 })).toStrictEqual({ ok: false, detail: 'the packer packed C99, which no pack plan holds' });
  });

  it('takes a card whose packing failed out of its pack (reopened); the office’s last record failing closes it again', () => {
    const run = PackingRun.open(B, { pockets: 2, packSize: 2 }, [], offices, [1, 2, 3, 4, 5].map(queued), new Set());
    run.plan(serial(3), 3);
    run.done(serial(3), { packId: `${B}-P0001`, pocket: 0, count: 1 });
    // Card 5 is office B's last: the plan fills and closes the pack, and card 3 is produced.
    expect(run.plan(serial(5), 5).produced).toStrictEqual([{ seq: 3, cardSerial: 'C3', position: 1 }]);
    // The packer's job for card 5 timed out: out of the pack, which reopens; record 5 is to be re-made.
    expect(run.remove(serial(5), 'JOB_TIMEOUT', true).changes).toStrictEqual([{ kind: 'removed', packId: `${B}-P0001`, cardSerial: serial(5), reason: 'JOB_TIMEOUT', reopened: true }]);
    expect(run.packOf(serial(5))).toBeUndefined();
    // Record 5 then fails for good: office B has nothing more to wait for; the pack closes again (manifest v2).
    expect(run.recordEnded(5)).toStrictEqual({ changes: [{ kind: 'closed', packId: `${B}-P0001`, remainder: false, manifestVersion: 2 }], produced: [] });
  });

  it('resumes from what the store holds: pending counts without the packed cards, packed cards done', () => {
    const first = PackingRun.open(B, { pockets: 2, packSize: 3 }, [], offices, [1, 2, 3, 4, 5].map(queued), new Set());
    first.plan(serial(1), 1);
    first.done(serial(1), { packId: `${B}-P0001`, pocket: 0, count: 1 });
    first.plan(serial(2), 2);
    const records: PackingRecord[] = [
      { seq: 1, status: 'in-line' },
      { seq: 2, status: 'in-line' },
      ...[3, 4, 5].map(queued),
    ];
    const resumed = PackingRun.open(B, { pockets: 2, packSize: 3 }, first.packs(), offices, records, new Set([serial(1)]));
    // Card 2's Done arrives after the restart; card 4 is the office's last and closes the pack.
    expect(resumed.done(serial(2), { packId: `${B}-P0001`, pocket: 0, count: 2 })).toMatchObject({ ok: true, produced: [] });
    const p4 = resumed.plan(serial(4), 4);
    expect([p4.instruction, p4.produced]).toStrictEqual([{ packId: `${B}-P0001`, office: 'A', pocket: 0, closesPack: true }, [{ seq: 1, cardSerial: 'C1', position: 1 }, { seq: 2, cardSerial: 'C2', position: 2 }]]);
  });

  it('names the records whose card lies packed in a pack not closed when the run stopped, and those whose pack closed since', () => {
    const first = PackingRun.open(B, { pockets: 2, packSize: 2 }, [], offices, [1, 2, 3, 4, 5].map(queued), new Set());
    first.plan(serial(1), 1);
    first.done(serial(1), { packId: `${B}-P0001`, pocket: 0, count: 1 });
    first.plan(serial(2), 2);
    first.done(serial(2), { packId: `${B}-P0001`, pocket: 0, count: 2 });
    first.plan(serial(3), 3);
    first.done(serial(3), { packId: `${B}-P0002`, pocket: 1, count: 1 });
    // The store after a stop: pack 1 closed (records 1 and 2 not yet produced), pack 2 open with card 3.
    const records: PackingRecord[] = [{ seq: 1, status: 'in-line' }, { seq: 2, status: 'in-line' }, { seq: 3, status: 'in-line' }, queued(4), queued(5)];
    const resumed = PackingRun.open(B, { pockets: 2, packSize: 2 }, first.packs(), offices, records, new Set([serial(1), serial(2), serial(3)]));
    expect(resumed.packedUnproduced()).toStrictEqual({
      waiting: [{ seq: 3, cardSerial: 'C3', position: 1 }],
      produced: [
        { seq: 1, cardSerial: 'C1', position: 1 },
        { seq: 2, cardSerial: 'C2', position: 2 },
      ],
    });
    // Reported once: asked again, only the record still waiting for its pack.
    expect(resumed.packedUnproduced()).toStrictEqual({ waiting: [{ seq: 3, cardSerial: 'C3', position: 1 }], produced: [] });
    // Office B's last card closes pack 2: record 3 is produced then.
    expect(resumed.plan(serial(5), 5).produced).toStrictEqual([{ seq: 3, cardSerial: 'C3', position: 1 }]);
  });
});

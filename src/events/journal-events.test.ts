// The journal → event stream mapping: each card step from the operations the controller commits,
// and — over generated groups of every operation kind, personal data planted in every free field
// (machine snapshots, details, verdict texts, pack offices, free-text reasons) — no event carries
// any of it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PackChange } from '../packing/pack.ts';
import type { JournalOp } from '../store/line-store.ts';
import { CardOrigins, journalEvents } from './journal-events.ts';
import type { SiteEventBody } from './site-event.ts';

const L = 'line-1';

describe('journalEvents', () => {
  it.each<[string, JournalOp[], Partial<SiteEventBody>[]]>([
    ['a feeder Done: fed', [{ op: 'card.fed', cardSerial: 'T001', batchId: 'B1', seq: 4, attempt: 1, unit: 'feeder' }], [{ type: 'card', step: 'fed', cardSerial: 'T001', batchId: 'B1', seq: 4, attempt: 1, unitId: 'feeder' }]],
    [
      'a good encoder Done: encoded',
      [{ op: 'event', event: 'encoder.done', batchId: 'B1', seq: 4, attempt: 1, cardSerial: 'T001', unit: 'encoder-2', reason: null, detail: { jobId: 9, result: 0 } }],
      [{ type: 'card', step: 'encoded', cardSerial: 'T001', batchId: 'B1', seq: 4, attempt: 1, unitId: 'encoder-2' }],
    ],
    ['a failed encoder Done: no step (the card.ended that follows rejects it)', [{ op: 'event', event: 'encoder.done', batchId: 'B1', seq: 4, attempt: 1, cardSerial: 'T001', unit: 'encoder-2', reason: 'CHIP_WRITE_FAILED' }], []],
    ['a good laser Done: engraved', [{ op: 'event', event: 'laser.done', batchId: 'B1', seq: 4, attempt: 1, cardSerial: 'T001', unit: 'laser' }], [{ step: 'engraved', unitId: 'laser' }]],
    ['QA passed: inspected', [{ op: 'event', event: 'qa.passed', batchId: 'B1', seq: 4, attempt: 1, cardSerial: 'T001' }], [{ step: 'inspected', unitId: null }]],
    [
      'QA failed: inspected with the reason code, never the verdict text',
      [{ op: 'event', event: 'qa.failed', batchId: 'B1', seq: 4, attempt: 1, cardSerial: 'T001', reason: 'CHIP_DG1_MISMATCH', detail: { detail: 'DG1 NGUYEN<<VAN<A' } }],
      [{ step: 'inspected', reason: 'CHIP_DG1_MISMATCH' }],
    ],
    ['a good card ended: stacked', [{ op: 'card.ended', cardSerial: 'T001', status: 'good', unit: 'output', position: 3, batchId: 'B1' }], [{ step: 'stacked', unitId: 'output', batchId: 'B1' }]],
    ['a spoiled card ended: rejected with its reason', [{ op: 'card.ended', cardSerial: 'T001', status: 'spoiled', unit: 'encoder-1', reason: 'CHIP_WRITE_FAILED', batchId: 'B1' }], [{ step: 'rejected', reason: 'CHIP_WRITE_FAILED', unitId: 'encoder-1' }]],
    ['a suspect card', [{ op: 'card.suspect', cardSerial: 'T001' }], [{ step: 'suspect', cardSerial: 'T001', batchId: null, seq: null }]],
    [
      'a packed card (the pack office stays out)',
      [{ op: 'packs', batchId: 'B1', changes: [{ kind: 'opened', packId: 'B1-P0001', office: 'Phường Bến Nghé', packNo: 1, pocket: 0 }, { kind: 'packed', packId: 'B1-P0001', card: { cardSerial: 'T001', seq: 4 }, slot: 1 }] }],
      [{ step: 'packed', cardSerial: 'T001', batchId: 'B1', seq: 4 }],
    ],
    ['a batch status change', [{ op: 'batch.status', batchId: 'B1', status: 'paused', actor: 'op1' }], [{ type: 'batch', lineId: L, batchId: 'B1', status: 'paused', by: 'op1' }]],
    ['a record and a unit move: nothing', [{ op: 'record', batchId: 'B1', seq: 4, status: 'in-line', attempts: 1, reasons: [], machine: { mrz: 'IDVNM' } }, { op: 'card.unit', cardSerial: 'T001', unit: 'laser' }], []],
  ])('%s', (_, ops, expected) => {
    const events = journalEvents(L, ops);
    expect(events).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(events[i]).toMatchObject(e));
  });

  it('later operations of a card name its record, learnt from its feed (in the same group or an earlier one)', () => {
    const origins = new CardOrigins();
    const fed: JournalOp[] = [{ op: 'card.fed', cardSerial: 'T9', batchId: 'B2', seq: 7, attempt: 2, unit: 'feeder' }, { op: 'card.suspect', cardSerial: 'T9' }];
    expect(journalEvents(L, fed, origins)[1]).toMatchObject({ step: 'suspect', batchId: 'B2', seq: 7, attempt: 2 });
    origins.note(fed);
    expect(journalEvents(L, [{ op: 'card.ended', cardSerial: 'T9', status: 'good', unit: 'output', batchId: 'B2' }], origins)[0]).toMatchObject({ step: 'stacked', seq: 7, attempt: 2 });
    origins.note([{ op: 'card.ended', cardSerial: 'T9', status: 'good', unit: 'output', batchId: 'B2' }]);
    expect(origins.size).toBe(0);
  });

  it('drops reasons that are not reason codes (free text)', () => {
    const [event] = journalEvents(L, [{ op: 'card.ended', cardSerial: 'T1', status: 'spoiled', unit: 'qa', reason: 'see Nguyễn Văn A', batchId: 'B1' }]);
    expect(event).toStrictEqual({ type: 'card', lineId: L, step: 'rejected', cardSerial: 'T1', batchId: 'B1', seq: null, attempt: null, unitId: 'qa' });
  });
});

// ---- no personal data, whatever the operations ------------------------------------------------

const PERSONAL = ['Nguyễn Văn An', 'NGUYEN<<VAN<AN', '079201001234', '1990-04-30', 'IDVNM0790012345<<<<<<<<<<<<<<<', '9004305M3412311VNM<<<<<<<<<<<6', 'Phường Bến Nghé'];

const personal = fc.constantFrom(...PERSONAL);
/** A free field: sometimes personal, sometimes a reason code, sometimes noise. */
const free = fc.oneof(personal, fc.constantFrom('CHIP_WRITE_FAILED', 'LASER_FAULT', 'INSPECTOR_REJECT'), fc.string({ maxLength: 8 }));
const serial = fc.integer({ min: 1, max: 99_999 }).map((n) => `T${String(n).padStart(6, '0')}`);
const batchId = fc.constantFrom('20261207-ab12cd', '20261207-ffee01');
const unit = fc.constantFrom('feeder', 'encoder-1', 'encoder-2', 'laser', 'qa', 'output', 'packer');
const small = fc.integer({ min: 0, max: 500 });
/** A machine snapshot or a detail object with personal data at any depth. */
const blob = fc.oneof(
  fc.record({ context: fc.record({ fullName: personal, pid: personal, mrz: fc.array(personal, { maxLength: 3 }), seq: small }) }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(personal, small, fc.array(personal, { maxLength: 2 }))),
);
const packChange: fc.Arbitrary<PackChange> = fc.oneof(
  fc.record({ kind: fc.constant('opened' as const), packId: fc.constant('P1'), office: personal, packNo: small, pocket: small }),
  fc.record({ kind: fc.constant('packed' as const), packId: fc.constant('P1'), card: fc.record({ cardSerial: serial, seq: small }), slot: small }),
  fc.record({ kind: fc.constant('removed' as const), packId: fc.constant('P1'), cardSerial: serial, reason: free, reopened: fc.boolean() }),
);
const op: fc.Arbitrary<JournalOp> = fc.oneof(
  fc.record({ op: fc.constant('card.fed' as const), cardSerial: serial, batchId, seq: small, attempt: small, unit }),
  fc.record({ op: fc.constant('card.unit' as const), cardSerial: serial, unit }),
  fc.record({ op: fc.constant('card.suspect' as const), cardSerial: serial }),
  fc.record({ op: fc.constant('card.ended' as const), cardSerial: serial, status: fc.constantFrom('good' as const, 'spoiled' as const), unit, reason: free, position: small, batchId: fc.option(batchId) }),
  fc.record({
    op: fc.constant('event' as const),
    event: fc.oneof(fc.constantFrom('card.fed', 'encoder.done', 'laser.done', 'qa.done', 'qa.passed', 'qa.failed', 'job.failed', 'card.reconciled', 'feeder.done'), personal),
    batchId: fc.option(batchId),
    seq: fc.option(small),
    attempt: fc.option(small),
    cardSerial: fc.option(serial),
    unit: fc.option(unit),
    reason: fc.option(free),
    detail: blob,
  }),
  fc.record({ op: fc.constant('station' as const), unit, event: fc.oneof(personal, fc.constant('state')), detail: blob }),
  fc.record({
    op: fc.constant('record' as const),
    batchId,
    seq: small,
    status: fc.constantFrom('queued' as const, 'in-line' as const, 'produced' as const, 'failed' as const),
    attempts: small,
    reasons: fc.array(fc.oneof(free, blob), { maxLength: 3 }),
    cardSerial: fc.option(serial),
    position: fc.option(small),
    machine: blob,
  }),
  fc.record({ op: fc.constant('batch.status' as const), batchId, status: fc.constantFrom('running', 'paused', 'completed'), actor: fc.constantFrom('op1', 'demo-operator'), detail: blob }),
  fc.record({ op: fc.constant('packs' as const), batchId, changes: fc.array(packChange, { maxLength: 4 }) }),
);

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('journalEvents never carries personal data', () => {
  it('over generated commit groups of every operation kind', () => {
    let produced = 0;
    fc.assert(
      fc.property(fc.array(fc.array(op, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }), (groups) => {
        const origins = new CardOrigins();
        for (const ops of groups) {
          const events = journalEvents(L, ops, origins);
          origins.note(ops);
          produced += events.length;
          const leaks = strings(events).filter((s) => PERSONAL.some((p) => s.includes(p)));
          if (leaks.length > 0) throw new Error(`events carry personal data: ${JSON.stringify(leaks)}`);
        }
      }),
      { numRuns: 300 },
    );
    // The property saw events, not an empty stream.
    expect(produced).toBeGreaterThan(500);
  });

  it('the generated operations do carry personal data (the property is not vacuous)', () => {
    const samples = fc.sample(fc.array(op, { minLength: 12, maxLength: 12 }), 50).flat();
    expect(samples.filter((o) => strings(o).some((s) => PERSONAL.some((p) => s.includes(p)))).length).toBeGreaterThan(100);
  });
});

import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { physicalCardMachine, physicalCardMachineWith, type PhysicalCardEvent, type PhysicalCardInput } from './physical-card.machine.ts';

const fed: PhysicalCardInput = { serial: 'C1', batchId: 'b', seq: 7, attempt: 1 };

function run(input: PhysicalCardInput, events: PhysicalCardEvent[]) {
  const actor = createActor(physicalCardMachine, { input }).start();
  for (const e of events) actor.send(e);
  return actor.getSnapshot();
}

describe('physical card machine', () => {
  it('a card the controller fed is trusted, and the units that report it are noted', () => {
    const s = run(fed, [{ type: 'card.seen', unit: 'enc-1' }, { type: 'card.seen', unit: 'laser-1' }]);
    expect(s.value).toBe('trusted');
    expect(s.context).toStrictEqual({ serial: 'C1', batchId: 'b', seq: 7, attempt: 1, reject: null, lastUnit: 'laser-1' });
  });

  it('a card in the line at a restart starts suspect, with the reason', () => {
    const s = run({ ...fed, suspect: { code: 'SUSPECT_AFTER_RESTART', detail: 'was at laser-1' }, lastUnit: 'laser-1' }, []);
    expect(s.value).toBe('suspect');
    expect(s.context.reject).toStrictEqual({ code: 'SUSPECT_AFTER_RESTART', detail: 'was at laser-1' });
    expect(s.context.lastUnit).toBe('laser-1');
  });

  it('a judge’s reject binds it for the reject bin; the first reason stays when its job is then lost', () => {
    const s = run(fed, [
      { type: 'card.reject', code: 'MRZ_MISMATCH', detail: 'line 2' },
      { type: 'card.reject', code: 'LINE_ABORTED', detail: 'aborted' },
      { type: 'card.suspect', code: 'JOB_LOST', detail: 'laser-1: timeout' },
    ]);
    expect(s.value).toBe('suspect');
    expect(s.context.reject).toStrictEqual({ code: 'MRZ_MISMATCH', detail: 'line 2' });
  });

  it('a lost job makes a trusted card suspect', () => {
    const s = run(fed, [{ type: 'card.suspect', code: 'JOB_TIMEOUT', detail: 'qa-1: no result' }]);
    expect(s.value).toBe('suspect');
    expect(s.context.reject).toStrictEqual({ code: 'JOB_TIMEOUT', detail: 'qa-1: no result' });
  });

  it('a suspect card is adopted only with its QA pass on record while it is its record’s current card', () => {
    const suspect = { ...fed, suspect: { code: 'SUSPECT_AFTER_RESTART', detail: 'in the line' } };
    expect(run(suspect, [{ type: 'card.adopted', qaPassedBefore: false, current: true }]).value).toBe('suspect');
    expect(run(suspect, [{ type: 'card.adopted', qaPassedBefore: true, current: false }]).value).toBe('suspect');
    const adopted = run(suspect, [{ type: 'card.adopted', qaPassedBefore: true, current: true }]);
    expect(adopted.value).toBe('trusted');
    expect(adopted.context.reject).toBeNull();
  });

  it('a card bound for the reject bin is never adopted: only a suspect one is', () => {
    const s = run(fed, [{ type: 'card.reject', code: 'CHIP_EMPTY', detail: 'no chip' }, { type: 'card.adopted', qaPassedBefore: true, current: true }]);
    expect(s.value).toBe('rejectBound');
  });

  it('a card that left the line takes no more events', () => {
    const s = run(fed, [{ type: 'card.ended' }, { type: 'card.suspect', code: 'JOB_LOST', detail: 'late' }]);
    expect(s.value).toBe('ended');
    expect(s.status).toBe('done');
    expect(s.context.reject).toBeNull();
  });

  it('leaving the line is its named action, taken once, whatever state the card left from', () => {
    const left: string[] = [];
    const machine = physicalCardMachineWith({ leftLine: (c) => left.push(`${c.serial}:${c.reject?.code ?? 'ok'}`) });
    for (const [input, events] of [
      [fed, [{ type: 'card.seen', unit: 'enc-1' }]],
      [fed, [{ type: 'card.reject', code: 'MRZ_OCR_MISMATCH', detail: 'ocr' }]],
      [{ ...fed, serial: 'C2', suspect: { code: 'SUSPECT_AFTER_RESTART', detail: 'restart' } }, []],
    ] as [PhysicalCardInput, PhysicalCardEvent[]][]) {
      const actor = createActor(machine, { input }).start();
      for (const e of events) actor.send(e);
      actor.send({ type: 'card.ended' });
      actor.send({ type: 'card.ended' });
    }
    expect(left).toStrictEqual(['C1:ok', 'C1:MRZ_OCR_MISMATCH', 'C2:SUSPECT_AFTER_RESTART']);
  });
});

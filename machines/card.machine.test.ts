import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { cardActorFrom, cardMachine, cardMachineWith, CARD_MACHINE_VERSION, type CardEvent } from './card.machine.ts';

function run(events: CardEvent[], maxAttempts = 3) {
  const actor = createActor(cardMachine, { input: { batchId: 'b', seq: 7, maxAttempts } }).start();
  for (const e of events) actor.send(e);
  return actor.getSnapshot();
}

const through = (serial: string): CardEvent[] => [
  { type: 'card.feeding', cardSerial: serial },
  { type: 'card.fed' },
  { type: 'card.at', station: 'encoder' },
  { type: 'card.at', station: 'laser' },
  { type: 'card.at', station: 'qa' },
  { type: 'qa.passed' },
  { type: 'card.at', station: 'output' },
];

describe('card machine', () => {
  it('takes a record through every station to the stacker', () => {
    const s = run([...through('C1'), { type: 'card.stacked', position: 12 }]);
    expect(s.value).toBe('produced');
    expect(s.context).toMatchObject({ attempt: 1, cardSerial: 'C1', position: 12, reasons: [], remake: false });
  });

  it.each(['feeding', 'fed', 'encoder', 'laser', 'qa', 'output'] as const)('a card rejected while at %s is re-made at top priority', (state) => {
    const steps = through('C1');
    const upTo = { feeding: 1, fed: 2, encoder: 3, laser: 4, qa: 5, output: 7 }[state];
    const s = run([...steps.slice(0, upTo), { type: 'card.rejected', station: 'laser', code: 'LASER_FAULT' }]);
    expect(s.value).toBe('queued');
    expect(s.context).toMatchObject({ remake: true, attempt: 1, cardSerial: null, reasons: [{ attempt: 1, cardSerial: 'C1', station: 'laser', code: 'LASER_FAULT' }] });
  });

  it('fails after the maximum attempts, keeping the reason of each', () => {
    const s = run([
      { type: 'card.feeding', cardSerial: 'C1' }, { type: 'card.rejected', station: 'feeder', code: 'BLANK_DEFECT' },
      { type: 'card.feeding', cardSerial: 'C2' }, { type: 'card.fed' }, { type: 'card.rejected', station: 'encoder', code: 'CHIP_WRITE_FAILED' },
      ...through('C3'), { type: 'card.rejected', station: 'qa', code: 'CHIP_EMPTY' },
    ]);
    expect(s.value).toBe('failed');
    expect(s.status).toBe('done');
    expect(s.context.reasons.map((r) => [r.attempt, r.cardSerial, r.code])).toStrictEqual([
      [1, 'C1', 'BLANK_DEFECT'],
      [2, 'C2', 'CHIP_WRITE_FAILED'],
      [3, 'C3', 'CHIP_EMPTY'],
    ]);
  });

  it('does not count a card scrapped by an abort of the line toward the maximum attempts', () => {
    const aborted = (serial: string): CardEvent[] => [{ type: 'card.feeding', cardSerial: serial }, { type: 'card.fed' }, { type: 'card.rejected', station: 'output', code: 'LINE_ABORTED', lineAborted: true }];
    const s = run([...aborted('C1'), ...aborted('C2'), ...aborted('C3'), ...through('C4'), { type: 'card.rejected', station: 'qa', code: 'CHIP_EMPTY' }]);
    expect(s.value).toBe('queued');
    expect(s.context).toMatchObject({ attempt: 4, aborted: 3, remake: true });
    expect(s.context.reasons.map((r) => r.code)).toStrictEqual(['LINE_ABORTED', 'LINE_ABORTED', 'LINE_ABORTED', 'CHIP_EMPTY']);
    const failed = run([...aborted('C1'), ...['C2', 'C3', 'C4'].flatMap((c): CardEvent[] => [{ type: 'card.feeding', cardSerial: c }, { type: 'card.rejected', station: 'feeder', code: 'BLANK_DEFECT' }])]);
    expect(failed.value).toBe('failed');
  });

  it('never stacks a card QA did not pass', () => {
    const steps = through('C1').filter((e) => e.type !== 'qa.passed');
    const s = run([...steps, { type: 'card.stacked', position: 3 }]);
    expect([s.value, s.context.at]).toStrictEqual(['inLine', 'output']);
  });

  it('sends a produced record back to re-make when an inspector rejects its card', () => {
    const s = run([...through('C1'), { type: 'card.stacked', position: 4 }, { type: 'qa.reject', code: 'INSPECTOR_REJECT', detail: 'scratch' }]);
    expect(s.value).toBe('queued');
    expect(s.context).toMatchObject({ remake: true, position: null, reasons: [{ station: 'inspector', code: 'INSPECTOR_REJECT', detail: 'scratch', cardSerial: 'C1' }] });
  });

  it('cancels a queued record, or one in the line, when the batch is aborted with cancel', () => {
    expect(run([{ type: 'batch.cancel' }]).value).toBe('cancelled');
    expect(run([...through('C1').slice(0, 4), { type: 'batch.cancel' }]).value).toBe('cancelled');
    expect(run([...through('C1'), { type: 'card.stacked', position: 1 }, { type: 'batch.cancel' }]).value).toBe('produced');
  });

  it('ignores events out of order (a station event for the wrong place)', () => {
    const s = run([{ type: 'card.feeding', cardSerial: 'C1' }, { type: 'card.at', station: 'laser' }]);
    expect(s.value).toBe('feeding');
  });

  it('moves only forward along the route of the station-kind table', () => {
    const s = run([...through('C1').slice(0, 4), { type: 'card.at', station: 'encoder' }]);
    expect(s.context.at).toBe('laser');
    const skipped = run([{ type: 'card.feeding', cardSerial: 'C1' }, { type: 'card.fed' }, { type: 'card.at', station: 'qa' }, { type: 'card.at', station: 'laser' }]);
    expect(skipped.context.at).toBe('qa');
  });

  it('takes the QA verdict only at the inspecting station', () => {
    const s = run([...through('C1').slice(0, 4), { type: 'qa.passed' }, { type: 'card.at', station: 'output' }, { type: 'card.stacked', position: 1 }]);
    expect([s.value, s.context.qaPassed]).toStrictEqual(['inLine', false]);
  });

  it('restores from a persisted snapshot', () => {
    const actor = createActor(cardMachine, { input: { batchId: 'b', seq: 1 } }).start();
    for (const e of through('C9').slice(0, 3)) actor.send(e);
    const saved = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as ReturnType<typeof actor.getPersistedSnapshot>;
    const restored = createActor(cardMachine, { input: { batchId: 'b', seq: 1 }, snapshot: saved }).start();
    expect([restored.getSnapshot().value, restored.getSnapshot().context.at]).toStrictEqual(['inLine', 'encoder']);
    restored.send({ type: 'card.rejected', station: 'line', code: 'SUSPECT_AFTER_RESTART' });
    expect(restored.getSnapshot().value).toBe('queued');
  });

  describe('declares its effects as named actions the composition root provides', () => {
    function withEffects(maxAttempts: number) {
      const calls: string[] = [];
      const machine = cardMachineWith({
        enqueueRemake: (c) => calls.push(`enqueueRemake ${c.seq}`),
        recordEnded: (c) => calls.push(`recordEnded ${c.seq}`),
        gaveUp: (c) => calls.push(`gaveUp ${c.seq} ${c.cardSerial}`),
      });
      const actor = createActor(machine, { input: { batchId: 'b', seq: 4, maxAttempts } }).start();
      return { machine, actor, calls };
    }

    it('a rejected card with attempts left: the record is enqueued for a re-make, nothing else', () => {
      const { actor, calls } = withEffects(3);
      for (const e of [...through('C1'), { type: 'card.rejected', station: 'output', code: 'JOB_LOST' } as const]) actor.send(e);
      expect(calls).toStrictEqual(['enqueueRemake 4']);
    });

    it('attempts used up: the record ended and gave up, naming its last card', () => {
      const { actor, calls } = withEffects(1);
      for (const e of [{ type: 'card.feeding', cardSerial: 'C1' }, { type: 'card.rejected', station: 'feeder', code: 'BLANK_DEFECT' }] as const) actor.send(e);
      expect([actor.getSnapshot().value, calls]).toStrictEqual(['failed', ['recordEnded 4', 'gaveUp 4 C1']]);
    });

    it('produced: the record ended; an inspector’s reject then enqueues its re-make', () => {
      const { actor, calls } = withEffects(3);
      for (const e of [...through('C1'), { type: 'card.stacked', position: 3 } as const]) actor.send(e);
      expect(calls.splice(0)).toStrictEqual(['recordEnded 4']);
      actor.send({ type: 'qa.reject', code: 'INSPECTOR_REJECT' });
      expect([actor.getSnapshot().value, calls]).toStrictEqual(['queued', ['enqueueRemake 4']]);
    });

    it('cancelled: ended and gave up with no card', () => {
      const { actor, calls } = withEffects(3);
      actor.send({ type: 'batch.cancel' });
      expect(calls).toStrictEqual(['recordEnded 4', 'gaveUp 4 null']);
    });

    it('a machine restored at a stable state takes no action again', () => {
      const { machine, actor, calls } = withEffects(1);
      for (const e of [{ type: 'card.feeding', cardSerial: 'C1' }, { type: 'card.rejected', station: 'feeder', code: 'BLANK_DEFECT' }] as const) actor.send(e);
      calls.length = 0;
      const restored = cardActorFrom({ version: CARD_MACHINE_VERSION, snapshot: actor.getPersistedSnapshot() }, { batchId: 'b', seq: 4 }, machine).start();
      expect([restored.getSnapshot().value, calls]).toStrictEqual(['failed', []]);
    });
  });
});

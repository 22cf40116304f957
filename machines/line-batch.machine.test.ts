import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { batchMachine, type BatchEvent } from './batch.machine.ts';
import { lineMachine, type LineEvent } from './line.machine.ts';

const line = (events: LineEvent[]) => {
  const a = createActor(lineMachine, { input: { lineId: 'demo' } }).start();
  for (const e of events) a.send(e);
  return a.getSnapshot();
};
const batch = (events: BatchEvent[]) => {
  const a = createActor(batchMachine, { input: { batchId: 'b1' } }).start();
  for (const e of events) a.send(e);
  return a.getSnapshot();
};

describe('line machine', () => {
  it.each([
    { events: [{ type: 'line.start', batchId: 'b' }], state: 'starting' },
    { events: [{ type: 'line.start', batchId: 'b' }, { type: 'line.ready' }], state: { running: 'producing' } },
    { events: [{ type: 'line.start', batchId: 'b' }, { type: 'line.ready' }, { type: 'line.starved' }], state: { running: 'suspended' } },
    { events: [{ type: 'line.start', batchId: 'b' }, { type: 'line.ready' }, { type: 'line.starved' }, { type: 'line.unsuspended' }], state: { running: 'producing' } },
    { events: [{ type: 'line.start', batchId: 'b' }, { type: 'line.ready' }, { type: 'line.pause' }], state: 'paused' },
    { events: [{ type: 'line.start', batchId: 'b' }, { type: 'line.ready' }, { type: 'line.pause' }, { type: 'line.resume' }], state: { running: 'producing' } },
    { events: [{ type: 'line.start', batchId: 'b' }, { type: 'line.ready' }, { type: 'line.abort', records: 'cancel' }, { type: 'line.empty' }], state: 'aborted' },
    { events: [{ type: 'line.start', batchId: 'b' }, { type: 'line.ready' }, { type: 'line.allEnded' }, { type: 'line.empty' }], state: 'completed' },
    { events: [{ type: 'line.start', batchId: 'b' }, { type: 'line.ready' }, { type: 'line.empty' }], state: { running: 'producing' } },
  ] as { events: LineEvent[]; state: unknown }[])('%#: $state', ({ events, state }) => {
    expect(line(events).value).toStrictEqual(state);
  });

  it('keeps the abort choice for the records in the line', () => {
    expect(line([{ type: 'line.start', batchId: 'b' }, { type: 'line.ready' }, { type: 'line.abort', records: 'requeue' }]).context).toMatchObject({ onAbort: 'requeue', batchId: 'b' });
  });
});

describe('batch machine', () => {
  it('runs imported → ready → running ⇄ paused → completed → reconciled → released', () => {
    const s = batch([
      { type: 'batch.prepared' }, { type: 'batch.start' }, { type: 'batch.pause' }, { type: 'batch.resume' },
      { type: 'batch.completed' }, { type: 'batch.reconcile', unaccounted: [] }, { type: 'batch.release', by: 'qa-lan' },
    ]);
    expect(s.value).toBe('released');
    expect(s.context.releasedBy).toBe('qa-lan');
  });

  it('refuses to reconcile (and so to release) while cards are unaccounted for', () => {
    const s = batch([{ type: 'batch.prepared' }, { type: 'batch.start' }, { type: 'batch.completed' }, { type: 'batch.reconcile', unaccounted: ['C7'] }, { type: 'batch.release', by: 'x' }]);
    expect(s.value).toBe('completed');
    expect(s.context.unaccounted).toStrictEqual(['C7']);
  });

  it('aborts from running or paused, and is reconciled before it can be released', () => {
    expect(batch([{ type: 'batch.prepared' }, { type: 'batch.start' }, { type: 'batch.abort' }]).value).toBe('aborted');
    expect(batch([{ type: 'batch.prepared' }, { type: 'batch.start' }, { type: 'batch.pause' }, { type: 'batch.abort' }]).value).toBe('aborted');
    expect(batch([{ type: 'batch.prepared' }, { type: 'batch.abort' }]).value).toBe('ready');
    expect(batch([{ type: 'batch.prepared' }, { type: 'batch.start' }, { type: 'batch.abort' }, { type: 'batch.reconcile', unaccounted: [] }]).value).toBe('reconciled');
  });
});

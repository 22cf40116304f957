import { describe, expect, it } from 'vitest';
import { batchTakes, isClosed, statusesTaking, stepBatch } from './batch-status.ts';

describe('batch status, as the batch machine steps it', () => {
  it.each([
    ['imported', { type: 'batch.start' }, 'running'],
    ['ready', { type: 'batch.start' }, 'running'],
    ['running', { type: 'batch.start' }, 'running'],
    ['paused', { type: 'batch.start' }, 'running'],
    ['aborted', { type: 'batch.start' }, 'running'],
    ['running', { type: 'batch.pause' }, 'paused'],
    ['paused', { type: 'batch.resume' }, 'running'],
    ['running', { type: 'batch.completed' }, 'completed'],
    ['completed', { type: 'batch.reconcile', unaccounted: [] }, 'reconciled'],
    ['completed', { type: 'batch.reconcile', unaccounted: ['C1'] }, 'completed'],
    ['aborted', { type: 'batch.reconcile', unaccounted: [], pending: 3 }, 'aborted'],
    ['reconciled', { type: 'batch.release', by: 'qa' }, 'released'],
    ['reconciled', { type: 'batch.reopen' }, 'ready'],
    ['completed', { type: 'batch.reopen' }, 'ready'],
  ] as const)('%s + %o → %s', (from, event, to) => {
    expect(stepBatch('b1', from, event)).toMatchObject({ ok: true, from, status: to, changed: from !== to });
  });

  it.each([
    ['released', { type: 'batch.start' }],
    ['completed', { type: 'batch.release', by: 'qa' }],
    ['running', { type: 'batch.reconcile', unaccounted: [] }],
    ['ready', { type: 'batch.reopen' }],
  ] as const)('refuses %s + %o with the reason', (from, event) => {
    const step = stepBatch('b1', from, event);
    expect(step.ok).toBe(false);
    expect(!step.ok && step.reason).toMatch(new RegExp(`^batch b1 is ${from}: ${event.type} is not a step a ${from} batch takes \\(it takes `));
  });

  it('answers what a status takes, and which statuses are closed', () => {
    expect(statusesTaking('batch.reopen')).toStrictEqual(['completed', 'reconciled']);
    expect(statusesTaking('batch.start')).toStrictEqual(['imported', 'ready', 'running', 'paused', 'aborted']);
    expect(batchTakes('released', 'batch.start')).toBe(false);
    expect(['reconciled', 'released', 'completed'].map(isClosed)).toStrictEqual([true, true, false]);
    expect(stepBatch('b1', 'lost', { type: 'batch.start' })).toStrictEqual({ ok: false, reason: "batch b1 has the unknown status 'lost'" });
  });
});

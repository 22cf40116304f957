// The ISA-18.2 state machine, every state and input: table-driven.
import { describe, expect, it } from 'vitest';
import { alarmStep, AlarmTransitionError, isActive, isOpen, type AlarmInput, type AlarmPhase } from './alarm-state.ts';

describe('alarmStep', () => {
  it.each<[AlarmPhase, AlarmInput, AlarmPhase | 'refused', boolean]>([
    // from, input, to, a new alarm raised
    ['normal', 'condition.active', 'active-unacknowledged', true],
    ['normal', 'condition.normal', 'normal', false],
    ['normal', 'acknowledge', 'refused', false],
    ['active-unacknowledged', 'condition.active', 'active-unacknowledged', false],
    ['active-unacknowledged', 'acknowledge', 'active-acknowledged', false],
    ['active-unacknowledged', 'condition.normal', 'cleared-unacknowledged', false],
    ['active-acknowledged', 'condition.active', 'active-acknowledged', false],
    ['active-acknowledged', 'condition.normal', 'cleared', false],
    ['active-acknowledged', 'acknowledge', 'refused', false],
    ['cleared-unacknowledged', 'acknowledge', 'cleared', false],
    ['cleared-unacknowledged', 'condition.normal', 'cleared-unacknowledged', false],
    // Re-raised before anybody saw it go away: the same alarm, unacknowledged again.
    ['cleared-unacknowledged', 'condition.active', 'active-unacknowledged', false],
    // Ended: the condition coming back is a new alarm.
    ['cleared', 'condition.active', 'active-unacknowledged', true],
    ['cleared', 'condition.normal', 'cleared', false],
    ['cleared', 'acknowledge', 'refused', false],
  ])('%s + %s → %s', (from, input, to, raised) => {
    if (to === 'refused') {
      expect(() => alarmStep(from, input)).toThrow(AlarmTransitionError);
      return;
    }
    const step = alarmStep(from, input);
    expect(step.to).toBe(to);
    expect(step.raised).toBe(raised);
    expect(step.changed).toBe(to !== from);
  });

  it('says why an acknowledgement is refused', () => {
    expect(() => alarmStep('active-acknowledged', 'acknowledge')).toThrow('acknowledged already');
    expect(() => alarmStep('cleared', 'acknowledge')).toThrow('has ended');
  });

  it.each<[AlarmPhase, boolean, boolean]>([
    ['normal', false, false],
    ['active-unacknowledged', true, true],
    ['active-acknowledged', true, true],
    ['cleared-unacknowledged', true, false],
    ['cleared', false, false],
  ])('%s: open %s, active %s', (state, open, active) => {
    expect(isOpen(state)).toBe(open);
    expect(isActive(state)).toBe(active);
  });

  it('a full life: raised, cleared unacknowledged, re-raised, acknowledged, cleared', () => {
    const inputs: AlarmInput[] = ['condition.active', 'condition.normal', 'condition.active', 'acknowledge', 'condition.active', 'condition.normal'];
    const states: AlarmPhase[] = [];
    let state: AlarmPhase = 'normal';
    for (const input of inputs) states.push((state = alarmStep(state, input).to));
    expect(states).toStrictEqual(['active-unacknowledged', 'cleared-unacknowledged', 'active-unacknowledged', 'active-acknowledged', 'active-acknowledged', 'cleared']);
  });
});

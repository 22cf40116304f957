import { createActor, fromPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { PACKML_STATES as S, type PackMLCommandName } from '../src/plc/packml.ts';
import { stationMachine } from './station.machine.ts';

/** The machine with a command actor that records commands and can refuse them. */
function harness(options: { autoRecover?: boolean; refuse?: PackMLCommandName[] } = {}) {
  const sent: PackMLCommandName[] = [];
  const machine = stationMachine.provide({
    actors: {
      sendCommand: fromPromise<void, { unitId: string; command: PackMLCommandName }>(({ input }) => {
        sent.push(input.command);
        if (options.refuse?.includes(input.command)) return Promise.reject(new Error(`${input.command} refused`));
        return Promise.resolve();
      }),
    },
    delays: { recover: 20, retry: 20 },
  });
  const actor = createActor(machine, { input: { unitId: 'laser', autoRecover: options.autoRecover ?? false } }).start();
  const state = (packml: number, stopReason = 0) => actor.send({ type: 'plc.state', state: packml, stopReason });
  const tick = () => new Promise((r) => setTimeout(r, 40));
  return { actor, sent, state, tick };
}

describe('station machine', () => {
  it('brings a stopped unit to Execute with Reset then Start', async () => {
    const { actor, sent, state, tick } = harness();
    actor.send({ type: 'plc.link.up' });
    state(S.Stopped);
    await tick();
    state(S.Resetting);
    state(S.Idle);
    await tick();
    state(S.Starting);
    state(S.Execute);
    expect(sent).toStrictEqual(['Reset', 'Start']);
    expect(actor.getSnapshot().value).toBe('settled');
  });

  it('holds on pause and unholds on produce', async () => {
    const { actor, sent, state, tick } = harness();
    state(S.Execute);
    actor.send({ type: 'line.pause' });
    await tick();
    state(S.Holding);
    state(S.Held, 5);
    actor.send({ type: 'line.produce' });
    await tick();
    expect(sent).toStrictEqual(['Hold', 'Unhold']);
  });

  it('waits in Held after a jam unless the line recovers by itself', async () => {
    const manual = harness();
    manual.state(S.Held, 1);
    await manual.tick();
    expect(manual.sent).toStrictEqual([]);
    expect(manual.actor.getSnapshot().value).toBe('held');
    const auto = harness({ autoRecover: true });
    auto.state(S.Held, 1);
    await auto.tick();
    expect(auto.sent).toStrictEqual(['Unhold']);
  });

  it('clears an emergency stop only when recovering by itself, then resets and starts', async () => {
    const { sent, state, tick } = harness({ autoRecover: true });
    state(S.Aborted, 2);
    await tick();
    state(S.Clearing);
    state(S.Stopped);
    await tick();
    state(S.Idle);
    await tick();
    expect(sent).toStrictEqual(['Clear', 'Reset', 'Start']);
  });

  it('goes offline when the link drops and decides again when the state comes back', async () => {
    const { actor, sent, state, tick } = harness();
    state(S.Execute);
    actor.send({ type: 'plc.link.down', reason: 'heartbeat stale' });
    expect(actor.getSnapshot().value).toBe('offline');
    expect(actor.getSnapshot().context.packml).toBeUndefined();
    state(S.Idle);
    await tick();
    expect(sent).toStrictEqual(['Start']);
  });

  it('retries after a refused command', async () => {
    const { actor, sent, state, tick } = harness({ refuse: ['Start'] });
    state(S.Idle);
    await tick();
    expect(actor.getSnapshot().context.lastError).toBe('Start refused');
    await tick();
    expect(sent.filter((c) => c === 'Start').length).toBeGreaterThanOrEqual(2);
  });

  it('stops on line.stop', async () => {
    const { actor, sent, state, tick } = harness();
    state(S.Execute);
    actor.send({ type: 'line.stop' });
    await tick();
    expect(sent).toStrictEqual(['Stop']);
    state(S.Stopping);
    state(S.Stopped);
    await tick();
    expect(sent).toStrictEqual(['Stop']);
  });
});

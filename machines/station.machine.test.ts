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
  it('moves on when the PLC changed state while its command was being answered (no stall in settled)', async () => {
    // The state change can reach the link before the command's write is answered (an OPC UA data
    // change ahead of the write response): the command's Done then lands with the new state already known.
    const sent: PackMLCommandName[] = [];
    const answers: (() => void)[] = [];
    const machine = stationMachine.provide({
      actors: {
        sendCommand: fromPromise<void, { unitId: string; command: PackMLCommandName }>(({ input }) => {
          sent.push(input.command);
          return new Promise<void>((resolve) => answers.push(resolve));
        }),
      },
    });
    const actor = createActor(machine, { input: { unitId: 'laser' } }).start();
    const settle = () => new Promise((r) => setTimeout(r, 10));
    actor.send({ type: 'plc.state', state: S.Stopped, stopReason: 0 });
    expect(actor.getSnapshot().value).toBe('resetting');
    actor.send({ type: 'plc.state', state: S.Resetting, stopReason: 0 });
    actor.send({ type: 'plc.state', state: S.Idle, stopReason: 0 });
    answers.shift()!();
    await settle();
    expect(sent).toStrictEqual(['Reset', 'Start']);
    expect(actor.getSnapshot().value).toBe('starting');
    // A command answered before the PLC moved still waits for the PLC's next state.
    answers.shift()!();
    await settle();
    expect(actor.getSnapshot().value).toBe('settled');
    actor.send({ type: 'plc.state', state: S.Execute, stopReason: 0 });
    expect(sent).toStrictEqual(['Reset', 'Start']);
    actor.stop();
  });

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

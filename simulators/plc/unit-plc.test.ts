/**
 * One unit's PLC program against the contract: PackML (table-driven from src/plc/packml.ts), the
 * heartbeat, and the card handshake in detail, over a stub Workcell (no line model).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StationKind } from '../../src/config/line-config.ts';
import { decodeResult, encodeJob, type Job } from '../../src/plc/job-data.ts';
import {
  COMMAND_TRANSITIONS,
  PACKML_STATES,
  STATE_COMPLETE,
  STOP_REASONS,
  type PackMLCommandName,
  type PackMLStateName,
} from '../../src/plc/packml.ts';
import { RESULT_CODES } from '../../src/plc/result-codes.ts';
import { dataCrc32, TagStore } from '../../src/plc/tag-store.ts';
import { COMMAND_RESULTS, type StationTags } from '../../src/plc/tags.ts';
import { Card } from '../model/card.ts';
import { SimClock } from '../model/clock.ts';
import type { WorkOutcome } from '../model/physics.ts';
import { UnitPlc, type UnitPlcTiming } from './unit-plc.ts';
import type { Workcell } from './workcell.ts';

interface Stub {
  readonly plc: UnitPlc;
  readonly store: TagStore;
  readonly clock: SimClock;
  readonly rejected: { serial: string; reason: string }[];
  readonly purged: { serial: string; reason: string }[];
  readonly events: { changes: Partial<StationTags>; by: string }[];
  blanks: number;
  blockage: 'Starved' | 'Blocked' | undefined;
  outcome: WorkOutcome;
  cycleMs: number;
}

const running: Stub[] = [];
afterEach(() => {
  for (const s of running.splice(0)) {
    s.plc.stop();
    s.clock.stop();
  }
});

function stubUnit(kind: StationKind = 'laser', timing: Partial<UnitPlcTiming> = {}): Stub {
  const clock = new SimClock(1000);
  const store = new TagStore(kind);
  let seq = 0;
  const stub = {
    rejected: [] as { serial: string; reason: string }[],
    purged: [] as { serial: string; reason: string }[],
    events: [] as { changes: Partial<StationTags>; by: string }[],
    blanks: 0,
    blockage: undefined as 'Starved' | 'Blocked' | undefined,
    outcome: { result: 0, data: { v: 1, kind: 'laser', engravedSha256: 'a'.repeat(64) }, left: false } as WorkOutcome,
    cycleMs: 100,
  };
  const cell: Workcell = {
    unitId: kind,
    kind,
    nextBlank: () => (stub.blanks > 0 ? `B${String(seq + 1).padStart(8, '0')}` : undefined),
    feed: (serial) => {
      stub.blanks -= 1;
      seq += 1;
      return new Card(serial, seq, 'lot', kind);
    },
    begin: () => ({ cycleMs: stub.cycleMs, finish: () => stub.outcome }),
    reject: (card, reason) => stub.rejected.push({ serial: card.serial, reason }),
    purge: (card, reason) => stub.purged.push({ serial: card.serial, reason }),
    blockage: () => stub.blockage ?? (kind === 'feeder' && stub.blanks === 0 ? 'Starved' : undefined),
    changed: () => queueMicrotask(() => plc.tick()),
  };
  store.onChange((changes, by) => stub.events.push({ changes, by }));
  const plc = new UnitPlc(store, cell, clock, { heartbeatMs: 20, actingMs: 200, noJobTimeoutMs: 3_600_000, jobDataGraceMs: 30, ...timing });
  const s = Object.assign(stub, { plc, store, clock });
  running.push(s);
  return s;
}

async function until(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const stateOf = (s: Stub): number => s.store.get('StateCurrent');

/** Where an acting state ends up when left alone. */
function settled(state: PackMLStateName): PackMLStateName {
  let at = state;
  for (let next = STATE_COMPLETE[at]; next !== undefined; next = STATE_COMPLETE[at]) at = next;
  return at;
}

async function toExecute(s: Stub): Promise<void> {
  expect(s.store.command('Reset')).toStrictEqual({ accepted: true });
  await until(() => stateOf(s) === PACKML_STATES.Idle, 'Idle');
  expect(s.store.command('Start')).toStrictEqual({ accepted: true });
  await until(() => stateOf(s) === PACKML_STATES.Execute, 'Execute');
}

/** Commands from power-up (Stopped) to each state; the last one lands in the state (acting) or settles into it. */
const PATHS: Record<Exclude<PackMLStateName, 'Undefined'>, PackMLCommandName[]> = {
  Stopped: [],
  Resetting: ['Reset'],
  Idle: ['Reset'],
  Starting: ['Reset', 'Start'],
  Execute: ['Reset', 'Start'],
  Completing: ['Reset', 'Start', 'Complete'],
  Complete: ['Reset', 'Start', 'Complete'],
  Holding: ['Reset', 'Start', 'Hold'],
  Held: ['Reset', 'Start', 'Hold'],
  Unholding: ['Reset', 'Start', 'Hold', 'Unhold'],
  Suspending: ['Reset', 'Start', 'Suspend'],
  Suspended: ['Reset', 'Start', 'Suspend'],
  Unsuspending: ['Reset', 'Start', 'Suspend', 'Unsuspend'],
  Stopping: ['Reset', 'Start', 'Stop'],
  Aborting: ['Abort'],
  Aborted: ['Abort'],
  Clearing: ['Abort', 'Clear'],
};

async function reach(s: Stub, state: PackMLStateName): Promise<void> {
  const path = PATHS[state as keyof typeof PATHS];
  for (const [i, command] of path.entries()) {
    expect(s.store.command(command).accepted, `${command} on the way to ${state}`).toBe(true);
    const landed = COMMAND_TRANSITIONS[command].to;
    if (i === path.length - 1 && landed === state) break; // stay in the acting state: test it now
    await until(() => stateOf(s) === PACKML_STATES[settled(landed)], `${settled(landed)} on the way to ${state}`);
  }
  expect(stateOf(s)).toBe(PACKML_STATES[state]);
}

const STATES = Object.keys(PATHS) as PackMLStateName[];
const COMMANDS = Object.keys(COMMAND_TRANSITIONS) as PackMLCommandName[];

describe('PackML', () => {
  it('powers up Stopped with StopReason None and a running heartbeat', async () => {
    const s = stubUnit();
    expect(s.store.tags).toMatchObject({ StateCurrent: PACKML_STATES.Stopped, StopReason: STOP_REASONS.None, UnitModeCurrent: 1, CardPresent: false, Done: false });
    await until(() => s.store.get('Heartbeat') >= 3, 'three heartbeats');
    s.plc.freezeHeartbeat(true);
    const frozen = s.store.get('Heartbeat');
    await new Promise((r) => setTimeout(r, 80));
    expect(s.store.get('Heartbeat')).toBe(frozen);
    s.plc.freezeHeartbeat(false);
    await until(() => s.store.get('Heartbeat') > frozen, 'the heartbeat again');
  });

  describe.each(STATES)('in %s', (state) => {
    it.each(COMMANDS)('%s', async (command) => {
      const s = stubUnit();
      await reach(s, state);
      const allowed = COMMAND_TRANSITIONS[command].from.includes(state);
      const outcome = s.store.command(command);
      if (allowed) {
        expect(outcome).toStrictEqual({ accepted: true });
        expect(s.store.get('LastCmdResult')).toBe(COMMAND_RESULTS.Accepted);
        const to = COMMAND_TRANSITIONS[command].to;
        expect(stateOf(s)).toBe(PACKML_STATES[to]);
        await until(() => stateOf(s) === PACKML_STATES[settled(to)], `${settled(to)} after ${command}`);
      } else {
        expect(outcome).toStrictEqual({ accepted: false, detail: expect.stringContaining(`${command} is not allowed in state ${state}`) });
        expect(s.store.get('LastCmdResult')).toBe(COMMAND_RESULTS.NotAllowedInState);
        expect(stateOf(s)).toBe(PACKML_STATES[state]);
      }
    });
  });

  it('StopReason: Operator for Stop/Hold/Abort by command, EmergencyStop for the e-stop, None again in Execute', async () => {
    const s = stubUnit();
    await toExecute(s);
    s.store.command('Hold');
    expect(s.store.get('StopReason')).toBe(STOP_REASONS.Operator);
    await until(() => stateOf(s) === PACKML_STATES.Held, 'Held');
    s.store.command('Unhold');
    await until(() => stateOf(s) === PACKML_STATES.Execute, 'Execute');
    expect(s.store.get('StopReason')).toBe(STOP_REASONS.None);
    s.plc.eStop();
    expect(s.store.tags).toMatchObject({ StateCurrent: PACKML_STATES.Aborting, StopReason: STOP_REASONS.EmergencyStop });
    await until(() => stateOf(s) === PACKML_STATES.Aborted, 'Aborted');
    s.plc.eStop(); // already aborted: stays
    expect(stateOf(s)).toBe(PACKML_STATES.Aborted);
  });

  it('suspends itself when starved and returns to Execute when the cause clears; a commanded Suspend waits for Unsuspend', async () => {
    const s = stubUnit('feeder');
    s.store.command('Reset');
    await until(() => stateOf(s) === PACKML_STATES.Idle, 'Idle');
    s.store.command('Start');
    await until(() => stateOf(s) === PACKML_STATES.Suspended, 'Suspended (starved)');
    expect(s.store.get('StopReason')).toBe(STOP_REASONS.Starved);
    s.blanks = 1;
    s.plc.tick();
    await until(() => s.store.get('CardPresent'), 'the blank presented');
    expect(s.store.tags).toMatchObject({ StateCurrent: PACKML_STATES.Execute, StopReason: STOP_REASONS.None });

    s.store.command('Suspend');
    await until(() => stateOf(s) === PACKML_STATES.Suspended, 'Suspended (commanded)');
    expect(s.store.get('StopReason')).toBe(STOP_REASONS.Operator);
    s.plc.tick();
    await new Promise((r) => setTimeout(r, 20));
    expect(stateOf(s)).toBe(PACKML_STATES.Suspended);
    s.store.command('Unsuspend');
    await until(() => stateOf(s) === PACKML_STATES.Execute, 'Execute after Unsuspend');
  });
});

function sendJob(store: TagStore, jobId: number, job: Job | Buffer, tamper: { size?: number; crc?: number } = {}): void {
  const data = Buffer.isBuffer(job) ? job : encodeJob(job);
  store.setHost({ JobId: jobId, JobData: data, JobDataSize: tamper.size ?? data.length, JobDataCrc32: tamper.crc ?? dataCrc32(data) });
  store.setHost({ JobReady: true });
}

const laserJob: Job = { v: 1, kind: 'laser', sides: [{ side: 'front', mediaType: 'image/png', data: Buffer.from('x') }] };

async function presentCard(s: Stub, serial = 'C00000001'): Promise<Card> {
  await toExecute(s);
  const card = new Card(serial, 1, 'lot', s.plc.unitId);
  s.plc.reserve(serial);
  s.plc.arrive(card);
  return card;
}

describe('the card handshake', () => {
  it('follows the contract: serial before presence, ack with presence off, one Done write with Done last', async () => {
    const s = stubUnit();
    await presentCard(s);
    const presented = s.events.find((e) => e.changes.CardPresent === true)!;
    expect(Object.keys(presented.changes)).toStrictEqual(['CardSerial', 'CardPresent']);
    expect(presented.changes.CardSerial).toBe('C00000001');

    sendJob(s.store, 7, laserJob);
    await until(() => s.store.get('JobAck') === 7, 'JobAck 7');
    const acked = s.events.find((e) => e.changes.JobAck === 7)!;
    expect(acked.changes).toStrictEqual({ JobAck: 7, CardPresent: false });

    await until(() => s.store.get('Done'), 'Done');
    const done = s.events.find((e) => e.changes.Done === true)!;
    const keys = Object.keys(done.changes);
    expect(keys.at(-1)).toBe('Done');
    // Only changed tags are in a change; Result stays 0 here.
    expect(keys).toEqual(expect.arrayContaining(['ResultData', 'ResultDataSize', 'ResultDataCrc32', 'ResultCardSerial', 'ResultJobId', 'ProdProcessedCount']));
    expect(done.changes.ResultCardSerial).toBe('C00000001');
    const t = s.store.tags;
    expect({ ResultJobId: t.ResultJobId, Result: t.Result, size: t.ResultDataSize, crc: t.ResultDataCrc32, processed: t.ProdProcessedCount }).toStrictEqual({
      ResultJobId: 7,
      Result: 0,
      size: t.ResultData.length,
      crc: dataCrc32(t.ResultData),
      processed: 1,
    });
    expect(decodeResult(t.ResultData)).toStrictEqual({ ok: true, value: s.outcome.data });

    expect(s.plc.readyCard()).toBeUndefined(); // the card moves only after DoneAck
    s.store.setHost({ DoneAck: true });
    await until(() => !s.store.get('Done'), 'Done cleared');
    expect(s.plc.readyCard()?.serial).toBe('C00000001');
  });

  it('stages the next card: presented at the infeed during a cycle, its job taken, its cycle started the moment the previous card finishes', async () => {
    const s = stubUnit();
    s.cycleMs = 200_000; // 200 ms real at time scale 1000
    await presentCard(s, 'C00000001');
    sendJob(s.store, 1, laserJob);
    await until(() => s.plc.status().positions.work === 'C00000001', 'the first card in work');
    expect(s.plc.canAccept()).toBe(true); // the infeed is free while the first card works
    s.plc.reserve('C00000002');
    expect(s.plc.canAccept()).toBe(false);
    s.plc.arrive(new Card('C00000002', 2, 'lot', 'laser'));
    expect(s.store.tags).toMatchObject({ CardPresent: true, CardSerial: 'C00000002', Done: false });
    sendJob(s.store, 2, laserJob);
    await until(() => s.store.get('JobAck') === 2, 'JobAck 2 during the first cycle');
    expect(s.plc.status().positions).toStrictEqual({ infeed: 'C00000002', work: 'C00000001', outfeed: null });
    expect(s.plc.cardPhase).toBe('working');

    await until(() => s.store.get('Done'), 'Done 1');
    // Done is not yet acknowledged: the first card waits at the outfeed, the second is already in work.
    expect(s.store.tags).toMatchObject({ ResultJobId: 1, ResultCardSerial: 'C00000001', CardSerial: 'C00000002' });
    await until(() => s.plc.status().positions.work === 'C00000002', 'the second card in work');
    expect(s.plc.status().positions).toStrictEqual({ infeed: null, work: 'C00000002', outfeed: 'C00000001' });
    expect(s.plc.readyCard()).toBeUndefined();
    s.store.setHost({ DoneAck: true });
    await until(() => s.plc.readyCard()?.serial === 'C00000001', 'the first card free to leave after DoneAck');
    expect(s.plc.release().serial).toBe('C00000001');
    s.store.setHost({ DoneAck: false });
    await until(() => s.store.get('Done') && s.store.get('ResultJobId') === 2, 'Done 2');
    expect(s.store.get('ResultCardSerial')).toBe('C00000002');
  });

  it('takes the job of the card at its infeed while held, and starts its work only after Unhold', async () => {
    const s = stubUnit();
    await toExecute(s);
    expect(s.store.command('Hold').accepted).toBe(true);
    await until(() => stateOf(s) === PACKML_STATES.Held, 'Held');
    s.plc.reserve('C00000001');
    s.plc.arrive(new Card('C00000001', 1, 'lot', 'laser'));
    sendJob(s.store, 1, laserJob);
    await until(() => s.store.get('JobAck') === 1, 'JobAck while held');
    await new Promise((r) => setTimeout(r, 30));
    expect(s.plc.status().positions).toStrictEqual({ infeed: 'C00000001', work: null, outfeed: null });
    expect(s.store.command('Unhold').accepted).toBe(true);
    await until(() => s.store.get('Done'), 'Done after Unhold');
    expect(s.store.get('ResultJobId')).toBe(1);
  });

  it('a finished card waits in the work position while the outfeed is taken, and the staged card waits for it', async () => {
    const s = stubUnit();
    s.cycleMs = 20_000;
    await presentCard(s, 'C00000001');
    sendJob(s.store, 1, laserJob);
    await until(() => s.plc.status().positions.work === 'C00000001', 'the first card in work');
    s.plc.reserve('C00000002');
    s.plc.arrive(new Card('C00000002', 2, 'lot', 'laser'));
    sendJob(s.store, 2, laserJob);
    await until(() => s.store.get('Done'), 'Done 1');
    s.store.setHost({ DoneAck: true });
    await until(() => !s.store.get('Done'), 'Done 1 cleared');
    s.store.setHost({ DoneAck: false });
    // Nobody takes the first card from the outfeed: the second finishes and stays in work.
    await until(() => s.store.get('Done') && s.store.get('ResultJobId') === 2, 'Done 2');
    s.plc.reserve('C00000003');
    s.plc.arrive(new Card('C00000003', 3, 'lot', 'laser'));
    sendJob(s.store, 3, laserJob);
    await until(() => s.store.get('JobAck') === 3, 'JobAck 3');
    await new Promise((r) => setTimeout(r, 40));
    expect(s.plc.status().positions).toStrictEqual({ infeed: 'C00000003', work: 'C00000002', outfeed: 'C00000001' });
    expect(s.plc.cardPhase).toBe('waiting');
    s.plc.release();
    await until(() => s.plc.status().positions.work === 'C00000003', 'the third card in work once the first left');
    expect(s.plc.status().positions.outfeed).toBe('C00000002');
  });

  it('ignores the last acknowledged JobId and a JobId left from an earlier card, even with JobReady still 1', async () => {
    const s = stubUnit();
    s.store.setHost({ JobId: 41, JobReady: true, JobData: encodeJob(laserJob) }); // left over from a card that left
    await presentCard(s);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.store.get('JobAck')).toBe(0);
    sendJob(s.store, 42, laserJob);
    await until(() => s.store.get('JobAck') === 42, 'JobAck 42');
    await until(() => s.store.get('Done'), 'Done');
    s.store.setHost({ DoneAck: true });
    await until(() => !s.store.get('Done'), 'Done cleared');
    s.store.setHost({ DoneAck: false });
    s.plc.release();
    // The next card: JobReady and JobId 42 are still there; the PLC must wait for a new job.
    s.plc.reserve('C00000002');
    s.plc.arrive(new Card('C00000002', 2, 'lot', 'laser'));
    await new Promise((r) => setTimeout(r, 20));
    expect(s.store.tags).toMatchObject({ CardPresent: true, JobAck: 42 });
    sendJob(s.store, 43, laserJob);
    await until(() => s.store.get('JobAck') === 43, 'JobAck 43');
  });

  it.each([
    ['a CRC that does not match', laserJob, { crc: 1 }, RESULT_CODES.JobDataInvalid],
    ['a size that does not match', laserJob, { size: 3 }, RESULT_CODES.JobDataInvalid],
    ['bytes that are not a job', Buffer.from('{"v":1,"kind":"laser"}'), {}, RESULT_CODES.JobDataInvalid],
    ['a job for another station kind', { v: 1, kind: 'inspect' }, {}, RESULT_CODES.JobRejected],
  ] as const)('acknowledges %s and rejects the card', async (_what, job, tamper, code) => {
    const s = stubUnit();
    await presentCard(s);
    sendJob(s.store, 5, job, tamper);
    await until(() => s.store.get('Done'), 'Done');
    expect(s.store.tags).toMatchObject({ JobAck: 5, ResultJobId: 5, Result: code, ResultDataSize: 0, ResultDataCrc32: 0, ProdDefectiveCount: 1 });
    expect(s.rejected).toStrictEqual([{ serial: 'C00000001', reason: code === RESULT_CODES.JobRejected ? 'JobRejected' : 'JobDataInvalid' }]);
  });

  it('takes a job whose data arrives after JobReady (a job file still being copied)', async () => {
    const s = stubUnit('laser', { jobDataGraceMs: 500 });
    await presentCard(s);
    const data = encodeJob(laserJob);
    s.store.setHost({ JobId: 9, JobDataSize: data.length, JobDataCrc32: dataCrc32(data), JobReady: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(s.store.get('JobAck')).toBe(0);
    s.store.setHost({ JobData: data });
    await until(() => s.store.get('Done'), 'Done');
    expect(s.store.get('Result')).toBe(RESULT_CODES.Good);
  });

  it('raises the next Done only after the host cleared DoneAck', async () => {
    const s = stubUnit();
    s.outcome = { result: 0, data: { v: 1, kind: 'skip' }, left: true };
    await presentCard(s);
    sendJob(s.store, 1, { v: 1, kind: 'skip' });
    await until(() => s.store.get('Done'), 'Done 1');
    s.store.setHost({ DoneAck: true });
    await until(() => !s.store.get('Done'), 'Done 1 cleared');
    // The host has not cleared DoneAck yet: the next card's Done must wait for it.
    s.plc.reserve('C00000002');
    s.plc.arrive(new Card('C00000002', 2, 'lot', 'laser'));
    sendJob(s.store, 2, { v: 1, kind: 'skip' });
    await until(() => s.store.get('JobAck') === 2, 'JobAck 2');
    await new Promise((r) => setTimeout(r, 30));
    expect(s.store.get('Done')).toBe(false);
    s.store.setHost({ DoneAck: false });
    await until(() => s.store.get('Done') && s.store.get('ResultJobId') === 2, 'Done 2');
  });

  it('rejects a card that gets no job in time: CardPresent off, Done with ResultJobId 0 and NoJobInTime', async () => {
    const s = stubUnit('laser', { noJobTimeoutMs: 30_000 }); // 30 ms real at time scale 1000
    await presentCard(s);
    await until(() => s.store.get('Done'), 'Done', 2000);
    expect(s.store.tags).toMatchObject({ CardPresent: false, ResultCardSerial: 'C00000001', ResultJobId: 0, Result: RESULT_CODES.NoJobInTime, JobAck: 0, ResultDataSize: 0 });
    expect(s.rejected).toStrictEqual([{ serial: 'C00000001', reason: 'NoJobInTime' }]);
  });

  it('the feeder presents a blank only in Execute and waits for its job without a timeout', async () => {
    const s = stubUnit('feeder', { noJobTimeoutMs: 10 });
    s.blanks = 2;
    s.plc.tick();
    expect(s.store.get('CardPresent')).toBe(false); // Stopped: no blank is presented
    await toExecute(s);
    await until(() => s.store.get('CardPresent'), 'a blank presented');
    expect(s.store.get('CardSerial')).toBe('B00000001');
    await new Promise((r) => setTimeout(r, 50));
    expect(s.store.tags).toMatchObject({ CardPresent: true, Done: false });
    expect(s.blanks).toBe(2); // presented, not fed: the blank is still in the magazine
    s.outcome = { result: 0, data: { v: 1, kind: 'feed' }, left: false };
    sendJob(s.store, 3, { v: 1, kind: 'feed', recordRef: 'r1' });
    await until(() => s.store.get('Done'), 'Done');
    expect(s.blanks).toBe(1);
  });
});

describe('abort', () => {
  it('no Done for the job in progress; after Clear the card is purged and Done reports Aborted for its job', async () => {
    const s = stubUnit();
    s.cycleMs = 3_600_000;
    await presentCard(s);
    sendJob(s.store, 11, laserJob);
    await until(() => s.store.get('JobAck') === 11, 'JobAck');
    s.plc.eStop();
    await until(() => stateOf(s) === PACKML_STATES.Aborted, 'Aborted');
    await new Promise((r) => setTimeout(r, 20));
    expect(s.store.get('Done')).toBe(false);
    expect(s.purged).toStrictEqual([]);
    expect(s.store.command('Clear').accepted).toBe(true);
    await until(() => stateOf(s) === PACKML_STATES.Stopped, 'Stopped');
    await until(() => s.store.get('Done'), 'Done');
    expect(s.store.tags).toMatchObject({ ResultJobId: 11, Result: RESULT_CODES.Aborted, ResultCardSerial: 'C00000001', StopReason: STOP_REASONS.EmergencyStop });
    expect(s.purged).toStrictEqual([{ serial: 'C00000001', reason: 'Aborted' }]);
  });

  it('purges every card inside after Clear: the reported one with 0, the one in work and the staged one with their jobs', async () => {
    const s = stubUnit();
    s.cycleMs = 20_000;
    await presentCard(s, 'C00000001');
    sendJob(s.store, 1, laserJob);
    await until(() => s.store.get('Done'), 'Done 1');
    s.store.setHost({ DoneAck: true });
    await until(() => !s.store.get('Done'), 'Done 1 cleared');
    s.store.setHost({ DoneAck: false });
    s.cycleMs = 3_600_000;
    s.plc.reserve('C00000002');
    s.plc.arrive(new Card('C00000002', 2, 'lot', 'laser'));
    sendJob(s.store, 2, laserJob);
    await until(() => s.plc.status().positions.work === 'C00000002', 'the second card in work');
    s.plc.reserve('C00000003');
    s.plc.arrive(new Card('C00000003', 3, 'lot', 'laser'));
    sendJob(s.store, 3, laserJob);
    await until(() => s.store.get('JobAck') === 3, 'JobAck 3');
    s.plc.eStop();
    await until(() => stateOf(s) === PACKML_STATES.Aborted, 'Aborted');
    expect(s.plc.cardPhase).toBe('stuck');
    s.store.command('Clear');
    const reports: { jobId: number; serial: string; result: number }[] = [];
    for (let i = 0; i < 3; i++) {
      await until(() => s.store.get('Done'), `purge report ${i + 1}`);
      const t = s.store.tags;
      reports.push({ jobId: t.ResultJobId, serial: t.ResultCardSerial, result: t.Result });
      s.store.setHost({ DoneAck: true });
      await until(() => !s.store.get('Done'), `purge report ${i + 1} cleared`);
      s.store.setHost({ DoneAck: false });
    }
    expect(reports).toStrictEqual([
      { jobId: 0, serial: 'C00000001', result: RESULT_CODES.Aborted },
      { jobId: 2, serial: 'C00000002', result: RESULT_CODES.Aborted },
      { jobId: 3, serial: 'C00000003', result: RESULT_CODES.Aborted },
    ]);
    expect(s.purged.map((p) => p.serial)).toStrictEqual(['C00000001', 'C00000002', 'C00000003']);
    expect(s.plc.status().positions).toStrictEqual({ infeed: null, work: null, outfeed: null });
  });

  it('a card aborted before its job is reported after Clear with ResultJobId 0', async () => {
    const s = stubUnit();
    await presentCard(s);
    s.store.command('Abort');
    expect(s.store.get('CardPresent')).toBe(false);
    await until(() => stateOf(s) === PACKML_STATES.Aborted, 'Aborted');
    expect(s.store.get('StopReason')).toBe(STOP_REASONS.Operator);
    s.store.command('Clear');
    await until(() => s.store.get('Done'), 'Done');
    expect(s.store.tags).toMatchObject({ ResultJobId: 0, Result: RESULT_CODES.Aborted, ResultCardSerial: 'C00000001' });
    expect(s.purged).toHaveLength(1);
  });
});

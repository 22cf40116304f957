/**
 * A tiny scripted "PLC" for transport tests and latency measurements: the PLC side of the job
 * handshake and PackML command handling on one TagStore, with nothing physical behind it (the
 * line simulator's unit PLC is the real one).
 * - JobReady → JobAck = JobId; after `workMs` (default: the next turn of the event loop) the result —
 *   ResultData, its size and CRC, ResultJobId, Result (JobDataInvalid when JobData does not match
 *   JobDataSize/JobDataCrc32) — then Done, counting ProdProcessedCount.
 * - DoneAck → Done cleared.
 * - Commands PackML allows move to the acting state, which completes after `settleMs` (0: at once,
 *   inside the command); others are refused with a detail.
 */
import { commandTarget, PACKML_STATES, STATE_COMPLETE, stateName, type PackMLState, type PackMLStateName } from '../../src/plc/packml.ts';
import { RESULT_CODES } from '../../src/plc/result-codes.ts';
import { dataCrc32, TagStore } from '../../src/plc/tag-store.ts';

export interface ScriptedPlcOptions {
  /** The result data of a job; default the job's bytes reversed. */
  readonly result?: (jobId: number, job: Buffer) => Buffer;
  /** How long the station "works" before Done, ms; default the next turn of the event loop. */
  readonly workMs?: number;
}

/** The default result: the job's bytes reversed, behind a small header naming the job. */
export function defaultResult(jobId: number, job: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`result of ${jobId}:`), Buffer.from(job).reverse()]);
}

/** Attaches the job handshake; returns the detach function. */
export function attachScriptedPlc(store: TagStore, options: ScriptedPlcOptions = {}): () => void {
  const timers = new Set<NodeJS.Timeout | NodeJS.Immediate>();
  let detached = false;
  const finish = (jobId: number, job: Buffer): void => {
    if (detached) return;
    const valid = job.length > 0 && job.length === store.get('JobDataSize') && dataCrc32(job) === store.get('JobDataCrc32');
    const data = valid ? (options.result?.(jobId, job) ?? Buffer.from(job).reverse()) : Buffer.alloc(0);
    store.setPlc({
      ResultData: data,
      ResultDataSize: data.length,
      ResultDataCrc32: dataCrc32(data),
      ResultJobId: jobId,
      Result: valid ? RESULT_CODES.Good : RESULT_CODES.JobDataInvalid,
      ProdProcessedCount: store.get('ProdProcessedCount') + 1,
      Done: true,
    });
  };
  const off = store.onChange((changes, by) => {
    if (by !== 'host' || detached) return;
    if (changes.JobReady === true) {
      const jobId = store.get('JobId');
      const job = store.get('JobData');
      store.setPlc({ JobAck: jobId, CardPresent: false });
      const timer: NodeJS.Timeout | NodeJS.Immediate = options.workMs
        ? setTimeout(() => (timers.delete(timer), finish(jobId, job)), options.workMs)
        : setImmediate(() => (timers.delete(timer), finish(jobId, job)));
      timers.add(timer);
    }
    if (changes.DoneAck === true) store.setPlc({ Done: false });
  });
  return () => {
    detached = true;
    off();
    for (const t of timers) {
      clearTimeout(t as NodeJS.Timeout);
      clearImmediate(t as NodeJS.Immediate);
    }
  };
}

/** PackML command handling on the store; returns the detach function. */
export function attachPackMLLogic(store: TagStore, settleMs = 5): () => void {
  const timers = new Set<NodeJS.Timeout>();
  store.setCommandHandler((command) => {
    const state = store.get('StateCurrent') as PackMLState;
    const target = commandTarget(state, command);
    if (target === undefined) return { accepted: false, detail: `${command} is not allowed in ${stateName(state)}` };
    const settled = STATE_COMPLETE[stateName(target) as PackMLStateName];
    if (settleMs === 0) {
      store.setPlc({ StateCurrent: settled ? PACKML_STATES[settled] : target });
      return { accepted: true };
    }
    store.setPlc({ StateCurrent: target });
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (settled !== undefined && store.get('StateCurrent') === target) store.setPlc({ StateCurrent: PACKML_STATES[settled] });
    }, settleMs);
    timers.add(timer);
    return { accepted: true };
  });
  return () => {
    for (const t of timers) clearTimeout(t);
    store.setCommandHandler(() => ({ accepted: false, detail: 'the station has no PLC logic attached' }));
  };
}

export interface ScriptedPlc {
  readonly store: TagStore;
  /** Stops reacting (the store keeps its values). */
  detach(): void;
}

/** A store with the job handshake (results from `result`) and immediate PackML transitions attached. */
export function scriptedPlc(store: TagStore = new TagStore('unit'), result: (jobId: number, job: Buffer) => Buffer = defaultResult): ScriptedPlc {
  const offJobs = attachScriptedPlc(store, { result });
  const offCommands = attachPackMLLogic(store, 0);
  return {
    store,
    detach: () => {
      offJobs();
      offCommands();
    },
  };
}

/**
 * A tiny scripted "PLC" for the OPC UA tests and measurements: the job handshake and PackML command
 * logic on one TagStore, with nothing physical behind it (the line simulator's station model is the
 * real one). Job: JobReady → JobAck = JobId; then, a moment later, ResultData / ResultDataSize /
 * ResultDataCrc32 / ResultJobId / Result and Done; DoneAck → Done cleared.
 */
import { commandTarget, PACKML_STATES, STATE_COMPLETE, stateName, type PackMLState } from '../../src/plc/packml.ts';
import { RESULT_CODES } from '../../src/plc/result-codes.ts';
import { dataCrc32, type TagStore } from '../../src/plc/tag-store.ts';

export interface ScriptedPlcOptions {
  /** The result data of a job; default: the job data, reversed. */
  readonly result?: (jobId: number, job: Buffer) => Buffer;
  /** How long the station "works" before Done, ms (default: the next turn of the event loop). */
  readonly workMs?: number;
}

/** Attaches the job handshake; returns the detach function. */
export function attachScriptedPlc(store: TagStore, options: ScriptedPlcOptions = {}): () => void {
  const timers = new Set<NodeJS.Timeout>();
  const off = store.onChange((changes, by) => {
    if (by !== 'host') return;
    if (changes.JobReady === true) {
      const jobId = store.get('JobId');
      const job = store.get('JobData');
      const valid = job.length === store.get('JobDataSize') && dataCrc32(job) === store.get('JobDataCrc32');
      store.setPlc({ JobAck: jobId });
      const timer = setTimeout(() => {
        timers.delete(timer);
        const result = valid ? (options.result?.(jobId, job) ?? Buffer.from(job).reverse()) : Buffer.alloc(0);
        store.setPlc({
          ResultData: result,
          ResultDataSize: result.length,
          ResultDataCrc32: dataCrc32(result),
          ResultJobId: jobId,
          Result: valid ? RESULT_CODES.Good : RESULT_CODES.JobDataInvalid,
          ProdProcessedCount: store.get('ProdProcessedCount') + 1,
          Done: true,
        });
      }, options.workMs ?? 0);
      timers.add(timer);
    }
    if (changes.DoneAck === true) store.setPlc({ Done: false });
  });
  return () => {
    off();
    for (const t of timers) clearTimeout(t);
  };
}

/**
 * PackML command handling: a command allowed in the current state moves to its acting state, which
 * completes (STATE_COMPLETE) after `settleMs`; a command not allowed is refused with a detail.
 */
export function attachPackMLLogic(store: TagStore, settleMs = 5): () => void {
  const timers = new Set<NodeJS.Timeout>();
  store.setCommandHandler((command) => {
    const state = store.get('StateCurrent') as PackMLState;
    const target = commandTarget(state, command);
    if (target === undefined) return { accepted: false, detail: `${command} is not allowed in ${stateName(state)}` };
    store.setPlc({ StateCurrent: target });
    const timer = setTimeout(() => {
      timers.delete(timer);
      const next = STATE_COMPLETE[stateName(target) as keyof typeof STATE_COMPLETE];
      if (next !== undefined && store.get('StateCurrent') === target) store.setPlc({ StateCurrent: PACKML_STATES[next] });
    }, settleMs);
    timers.add(timer);
    return { accepted: true };
  });
  return () => {
    for (const t of timers) clearTimeout(t);
    store.setCommandHandler(() => ({ accepted: false, detail: 'the station has no PLC logic attached' }));
  };
}

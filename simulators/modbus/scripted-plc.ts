/**
 * A tiny scripted "PLC" for the Modbus tests and the latency measurement: just enough PLC logic on
 * a TagStore to run the job handshake and PackML commands, without the line's physical model.
 *
 * - JobReady 0→1: JobAck = JobId; then, on the next turn of the event loop, the result:
 *   ResultData = `result(JobData)` with its size and CRC, ResultJobId, Result (0, or
 *   JobDataInvalid when JobData does not match JobDataSize/JobDataCrc32), then Done = 1.
 * - DoneAck 0→1: Done = 0.
 * - Commands: accepted when PackML allows them in the current state (the state moves to the
 *   command's acting state and straight on to its wait state), refused otherwise.
 */
import { commandTarget, PACKML_STATES, STATE_COMPLETE, stateName, type PackMLState, type PackMLStateName } from '../../src/plc/packml.ts';
import { RESULT_CODES } from '../../src/plc/result-codes.ts';
import { dataCrc32, TagStore } from '../../src/plc/tag-store.ts';

export interface ScriptedPlc {
  readonly store: TagStore;
  /** Stops reacting (the store keeps its values). */
  detach(): void;
}

/** The default result: the job's bytes reversed, behind a small header naming the job. */
export function defaultResult(jobId: number, job: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`result of ${jobId}:`), Buffer.from(job).reverse()]);
}

export function scriptedPlc(store: TagStore = new TagStore('unit'), result: (jobId: number, job: Buffer) => Buffer = defaultResult): ScriptedPlc {
  let detached = false;
  const off = store.onChange((changes, by) => {
    if (by !== 'host' || detached) return;
    if (changes.JobReady === true) {
      const jobId = store.get('JobId');
      const job = store.get('JobData');
      store.setPlc({ JobAck: jobId });
      setImmediate(() => {
        if (detached) return;
        const valid = job.length === store.get('JobDataSize') && dataCrc32(job) === store.get('JobDataCrc32') && job.length > 0;
        const data = valid ? result(jobId, job) : Buffer.alloc(0);
        store.setPlc({
          ResultJobId: jobId,
          Result: valid ? RESULT_CODES.Good : RESULT_CODES.JobDataInvalid,
          ResultData: data,
          ResultDataSize: data.length,
          ResultDataCrc32: dataCrc32(data),
        });
        store.setPlc({ Done: true, ProdProcessedCount: store.get('ProdProcessedCount') + 1 });
      });
    }
    if (changes.DoneAck === true) store.setPlc({ Done: false });
  });
  store.setCommandHandler((command) => {
    const target = commandTarget(store.get('StateCurrent') as PackMLState, command);
    if (target === undefined) return { accepted: false, detail: `${command} is not allowed in ${stateName(store.get('StateCurrent'))}` };
    const settled = STATE_COMPLETE[stateName(target) as PackMLStateName];
    store.setPlc({ StateCurrent: settled ? PACKML_STATES[settled] : target });
    return { accepted: true };
  });
  return {
    store,
    detach: () => {
      detached = true;
      off();
    },
  };
}

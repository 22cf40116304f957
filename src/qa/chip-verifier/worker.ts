/**
 * The body of a chip verification thread (pool.ts): verifies each chip image it is sent with
 * verifyLds against the trusted CSCA certificates it was started with (parsed once), and sends the
 * verdict back under the job's id. verifyLds never throws; a verdict that cannot be sent back
 * becomes an error answer, so no job goes unanswered while the thread lives.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { trustAnchors, verifyLds } from '../../domain/lds/verify.ts';
import type { VerifierData, VerifyAnswer, VerifyJob } from './messages.ts';

const port = parentPort;
if (port === null) throw new Error('src/qa/chip-verifier/worker.ts runs as a worker thread of ChipVerifierPool, not on its own');
const anchors = trustAnchors((workerData as VerifierData).csca);

port.on('message', (job: VerifyJob) => {
  void verifyLds(job.files, { csca: anchors, ...job.expectation }).then((verdict) => {
    try {
      port.postMessage({ id: job.id, verdict } satisfies VerifyAnswer);
    } catch (error) {
      port.postMessage({ id: job.id, error: `the verdict could not be sent back: ${(error as Error).message}` } satisfies VerifyAnswer);
    }
  });
});

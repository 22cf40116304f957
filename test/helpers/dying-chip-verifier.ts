/**
 * A chip verification thread (src/qa/chip-verifier/worker.ts) that dies on a marked job, for the
 * pool's tests: a file with fid `DEAD` makes it exit with code 7, one with fid `B00M` throws an
 * uncaught error; any other job is verified as usual.
 */
import { parentPort } from 'node:worker_threads';
import '../../src/qa/chip-verifier/worker.ts';
import type { VerifyJob } from '../../src/qa/chip-verifier/messages.ts';

parentPort!.on('message', (job: VerifyJob) => {
  const fids = Array.isArray(job.files) ? (job.files as { fid: string }[]).map((f) => f.fid) : [];
  if (fids.includes('DEAD')) process.exit(7);
  if (fids.includes('B00M')) throw new Error('a fault in the verification thread');
});

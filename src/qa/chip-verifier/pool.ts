/**
 * Chip verification (passive authentication, src/domain/lds/verify.ts) on worker threads, so the
 * controller's event loop does not stop for it. A verification is 10–20 ms of synchronous ASN.1
 * parsing (pkijs, asn1js); on the controller's thread it delayed every other station's Done → DoneAck
 * behind it (docs/line-control.md, "Throughput").
 *
 * A job carries only the chip's files and what they are checked against; the thread answers with
 * verifyLds's verdict, the same object the calling thread would get. A thread that dies fails the
 * jobs it held with a ChipVerifierError (none waits forever); the next job starts a new thread. An
 * idle thread does not keep the process alive, and close() lets the jobs in hand finish first.
 */
import { Worker } from 'node:worker_threads';
import type { LdsFiles, LdsVerdict } from '../../domain/lds/verify.ts';
import type { ChipExpectation, VerifierData, VerifyAnswer, VerifyJob } from './messages.ts';

export type { ChipExpectation } from './messages.ts';

export class ChipVerifierError extends Error {
  override name = 'ChipVerifierError';
}

export interface ChipVerifierPoolOptions {
  /** Trusted CSCA certificates (DER); each thread parses them once. */
  readonly csca: readonly Uint8Array[];
  /** Threads, 1 or 2 (default 1): one verifies a demo line's cards with most of its time idle. */
  readonly threads?: number;
  /** The threads' body (a TypeScript module); default worker.ts beside this file (a test gives one that dies). */
  readonly entry?: URL;
}

export const MAX_VERIFY_THREADS = 2;

/** The thread count, checked: a whole number from 1 to MAX_VERIFY_THREADS (RangeError naming it otherwise). */
export function verifyThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_VERIFY_THREADS) {
    throw new RangeError(`chip verification threads: ${threads}; give a whole number from 1 to ${MAX_VERIFY_THREADS}`);
  }
  return threads;
}

interface Pending {
  readonly resolve: (verdict: LdsVerdict) => void;
  readonly reject: (error: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** The uncaught error the thread died of, when it did. */
  failure?: Error;
}

export class ChipVerifierPool {
  private readonly threads: (Thread | undefined)[];
  private readonly data: VerifierData;
  /** The thread's bootstrap: the sources are TypeScript, and a thread does not inherit the loader the main thread registered (bin/cardline.js). */
  private readonly boot: string;
  private nextId = 1;
  private closing: Promise<void> | undefined;
  /** Settles with each job in hand, whatever its end. */
  private readonly inHand = new Set<Promise<void>>();

  constructor(options: ChipVerifierPoolOptions) {
    this.threads = Array.from({ length: verifyThreads(options.threads ?? 1) }, () => undefined);
    // Copied: the caller's buffers may be views of a larger one, which a message would copy whole.
    this.data = { csca: options.csca.map((der) => new Uint8Array(der)) };
    const entry = (options.entry ?? new URL('./worker.ts', import.meta.url)).href;
    this.boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  }

  /** Verifies one chip image on a thread; resolves to verifyLds's verdict, rejects with ChipVerifierError when no thread could give one. */
  verify(files: LdsFiles, expectation: ChipExpectation = {}): Promise<LdsVerdict> {
    if (this.closing) return Promise.reject(new ChipVerifierError('the chip verifier is closed: it verifies no chip after its run ended'));
    const index = this.leastBusy();
    const thread = this.threads[index] ?? this.start(index);
    const id = this.nextId++;
    const { job, transfer } = jobOf(id, files, expectation);
    const verdict = new Promise<LdsVerdict>((resolve, reject) => {
      try {
        thread.worker.postMessage(job, transfer);
      } catch (error) {
        reject(new ChipVerifierError(`a chip image could not be sent to its verification thread: ${(error as Error).message}`));
        return;
      }
      thread.pending.set(id, { resolve, reject });
      thread.worker.ref();
    });
    const settled = verdict.then(
      () => undefined,
      () => undefined,
    );
    this.inHand.add(settled);
    void settled.then(() => this.inHand.delete(settled));
    return verdict;
  }

  /** Starts the threads now, so the first chip does not wait for a thread to load (about a second on a busy host). */
  warm(): void {
    if (this.closing) return;
    for (let i = 0; i < this.threads.length; i++) if (!this.threads[i]) this.start(i);
  }

  /** Lets the jobs in hand finish, then stops the threads; later verify() calls are refused. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.inHand);
      await Promise.all(this.threads.flatMap((thread) => (thread ? [thread.worker.terminate()] : [])));
    })();
    return this.closing;
  }

  private leastBusy(): number {
    let best = 0;
    for (let i = 1; i < this.threads.length; i++) if ((this.threads[i]?.pending.size ?? 0) < (this.threads[best]?.pending.size ?? 0)) best = i;
    return best;
  }

  private start(index: number): Thread {
    const thread: Thread = { worker: new Worker(this.boot, { eval: true, workerData: this.data }), pending: new Map() };
    this.threads[index] = thread;
    thread.worker.unref();
    thread.worker.on('message', (answer: VerifyAnswer) => {
      const pending = thread.pending.get(answer.id);
      if (!pending) return;
      thread.pending.delete(answer.id);
      if (thread.pending.size === 0) thread.worker.unref();
      if ('verdict' in answer) pending.resolve(answer.verdict);
      else pending.reject(new ChipVerifierError(`chip verification thread: ${answer.error}`));
    });
    thread.worker.on('error', (error) => {
      thread.failure = error;
    });
    thread.worker.on('messageerror', (error) => {
      thread.failure = error;
      void thread.worker.terminate();
    });
    thread.worker.on('exit', (code) => {
      if (this.threads[index] === thread) this.threads[index] = undefined;
      if (thread.pending.size === 0) return;
      const why = thread.failure ? `: ${thread.failure.message}` : '';
      const error = new ChipVerifierError(
        `the chip verification thread stopped (exit code ${code}${why}) with ${thread.pending.size} chip(s) unverified; those cards have no QA verdict`,
      );
      const pending = [...thread.pending.values()];
      thread.pending.clear();
      for (const p of pending) p.reject(error);
    });
    return thread;
  }
}

/**
 * The job message: each file's bytes copied out of whatever buffer they are a view of, and those
 * copies transferred, not cloned again. Anything else verifyLds accepts (and names as a problem) goes
 * as it is.
 */
function jobOf(id: number, files: LdsFiles, expectation: ChipExpectation): { job: VerifyJob; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const own = (data: unknown): unknown => {
    if (!(data instanceof Uint8Array)) return data;
    const copy = new Uint8Array(data);
    transfer.push(copy.buffer);
    return copy;
  };
  const copied: LdsFiles =
    files instanceof Map
      ? new Map([...(files as ReadonlyMap<string, Uint8Array>)].map(([fid, data]) => [fid, own(data) as Uint8Array]))
      : Array.isArray(files)
        ? (files as readonly { readonly fid: string; readonly data: Uint8Array }[]).map((f) => (f instanceof Object ? { ...f, data: own(f.data) as Uint8Array } : f))
        : files;
  return { job: { id, files: copied, expectation }, transfer };
}

/**
 * The line controller: the composition of the card, station, line and batch machines with the
 * station links, data preparation, the QA judge and the store. The physical card drives it: a unit
 * announces a card, the controller answers with that card's job; a result is persisted (group
 * commit) before the PLC is acknowledged. Cards whose fate is uncertain (a lost job, a restart) are
 * never stacked: they are passed to the reject bin and their records re-made.
 *
 * This class is the operator's face of a run (run, pause, resume, abort, a planned stop, an
 * inspector's reject) and wires the parts, each in its own file of src/line/controller/
 * (docs/line-control.md, "The controller's parts"): line-run.ts (what they share), station-router.ts
 * (links → machines and answers), feeding.ts, card-results.ts, card-ends.ts, packer-results.ts,
 * recovery.ts, batch-lifecycle.ts, inspector-reject.ts, stall-watch.ts, and the record and card
 * machines' wrappers (record-machines.ts, line-card.ts).
 */
import type { BatchStatus } from '../../machines/batch.machine.ts';
import type { LineConfig } from '../config/line-config.ts';
import type { StationLink } from '../plc/station-link.ts';
import type { LineStore } from '../store/line-store.ts';
import { BatchLifecycle } from './controller/batch-lifecycle.ts';
import { CardResults } from './controller/card-results.ts';
import { Feeder } from './controller/feeding.ts';
import { rejectInRun, type RunningReject } from './controller/inspector-reject.ts';
import type { Progress, RunOutcome } from './controller/line-progress.ts';
import { LineRun, type ControllerOptions } from './controller/line-run.ts';
import type { JobPreparer, QaJudge } from './ports.ts';
import { loadBatch, reconcileWithLine } from './controller/recovery.ts';
import { StallWatch } from './controller/stall-watch.ts';
import { StationRouter } from './controller/station-router.ts';

export { CRASH_POINTS, CrashPoint } from './crash-point.ts';
export type { ControllerOptions } from './controller/line-run.ts';
export type { Progress, RunOutcome } from './controller/line-progress.ts';
export type { RunningReject } from './controller/inspector-reject.ts';

export class LineController {
  private readonly lineRun: LineRun;
  private readonly feeder: Feeder;
  private readonly lifecycle: BatchLifecycle;
  private readonly router: StationRouter;
  private readonly watch: StallWatch;

  constructor(config: LineConfig, links: ReadonlyMap<string, StationLink>, store: LineStore, preparer: JobPreparer, judge: QaJudge, options: ControllerOptions) {
    this.lineRun = new LineRun(config, links, store, preparer, judge, options);
    this.feeder = new Feeder(this.lineRun);
    this.lifecycle = new BatchLifecycle(this.lineRun);
    this.router = new StationRouter(this.lineRun, this.feeder, new CardResults(this.lineRun, this.feeder, this.lifecycle));
    this.watch = new StallWatch(this.lineRun, this.feeder);
  }

  /** Runs (or resumes) a batch to its end; resolves with the outcome. */
  async run(batchId: string, options: { resume: boolean; status: BatchStatus }): Promise<RunOutcome> {
    const judge = this.lineRun.judge;
    judge.open?.();
    try {
      return await this.drive(batchId, options);
    } finally {
      await judge.close?.();
    }
  }

  private async drive(batchId: string, options: { resume: boolean; status: BatchStatus }): Promise<RunOutcome> {
    const run = this.lineRun;
    run.startBatch(batchId);
    run.counters.startedAt = run.clock.now();
    run.batchStatus = options.status;
    await loadBatch(run, batchId, options.resume);
    if (options.resume) await reconcileWithLine(run);
    if (run.relinquished) throw run.relinquished;
    run.line.start();
    for (const [unitId, link] of run.links) this.router.attach(unitId, link);
    const done = new Promise<'completed' | 'aborted'>((resolve, reject) => {
      run.ending = { resolve, reject };
    });
    done.catch(() => undefined); // awaited below; handled here too in case connecting fails first
    // Connected only now that we listen: a result the PLC kept for a job of the previous process
    // is reported on the first read after connecting, and must reach us (and its failures, `done`).
    const connect = run.options.connect;
    if (connect) await Promise.all([...run.links].map(([unitId, link]) => connect(unitId, link)));
    run.line.send({ type: 'line.start', batchId });
    await this.lifecycle.step({ type: 'batch.start' });
    run.counters.producingSince = run.clock.now();
    for (const station of run.stations.values()) station.send({ type: 'line.produce' });
    // The PLCs may all be producing already (a simulator or line that outlived the last run): no
    // state change would tell us.
    this.router.checkReady();
    this.router.answerPresentCards();
    this.lifecycle.checkEnd();
    const stopWatching = this.watch.every(run.options.stallMs ?? 20_000);
    const status = await done.finally(stopWatching);
    const leftOver = this.feeder.takeAllDeferred();
    if (leftOver.length > 0) await run.store.journal.append(...leftOver);
    await run.store.journal.settled();
    this.router.detach();
    return { batchId, status, progress: this.progress(), failedRecords: run.records.failedRecords() };
  }

  /**
   * The operator's pause: no more blanks are fed and every station is held (PackML Hold; a cycle
   * under way ends, no new one starts); the batch is paused. False when the line is not running.
   */
  pause(): boolean {
    const run = this.lineRun;
    if (run.relinquished || !run.line.getSnapshot().matches('running')) return false;
    run.line.send({ type: 'line.pause' });
    for (const s of run.stations.values()) s.send({ type: 'line.pause' });
    this.lifecycle.stepLater({ type: 'batch.pause' });
    run.counters.paused(run.clock.now());
    run.report();
    return true;
  }

  /** The operator's resume after a pause: every station unheld, feeding again. False when not paused. */
  resume(): boolean {
    const run = this.lineRun;
    if (run.relinquished || !run.line.getSnapshot().matches('paused')) return false;
    run.line.send({ type: 'line.resume' });
    for (const s of run.stations.values()) s.send({ type: 'line.produce' });
    this.lifecycle.stepLater({ type: 'batch.resume' });
    run.counters.resumed(run.clock.now());
    run.report();
    // A feeder that ran out of blanks (or a stacker that filled) while the line was paused: the
    // line learns it now, as it would have while running.
    for (const [unitId, link] of run.links) {
      if (link.status) this.router.noteSuspension(unitId, link.status.state, link.status.stopReason);
    }
    this.router.checkReady();
    this.lifecycle.checkEnd();
    return true;
  }

  /**
   * Stops driving the line at once and leaves it as it is: no job, acknowledgement or command goes
   * to a PLC any more, and `run` rejects with `reason`. For a controller whose lease was taken over:
   * the line belongs to another controller now, and an abort would send the cards that controller is
   * working on to the reject bin. Results already read are still committed (they are what the PLCs
   * reported); the controller that took over finds their cards in the line, treats them as suspect,
   * and is reported again every result this one did not acknowledge.
   */
  relinquish(reason: Error): void {
    const run = this.lineRun;
    if (run.relinquished) return;
    run.relinquished = reason;
    this.router.detach();
    run.fail(reason);
  }

  /**
   * A planned stop (a server shutting down, an upgrade): no more blanks are fed, the stations go on,
   * so the cards in the line reach the stacker or the reject bin and progress().inLine falls to 0;
   * pause() then holds a line with no card inside, and a resumed run finds no card to suspect.
   */
  stopFeeding(): void {
    this.lineRun.feedingStopped = true;
  }

  /** Abort: no more feeding; the cards in the line go to the reject bin; their records are re-queued or cancelled. */
  abort(records: 'requeue' | 'cancel'): void {
    const run = this.lineRun;
    if (run.relinquished) return;
    run.line.send({ type: 'line.abort', records });
    if (records === 'cancel') {
      for (const seq of run.queue.drain()) run.cardEvent(seq, { type: 'batch.cancel' });
    }
    this.lifecycle.checkEnd();
  }

  /**
   * An inspector rejects a stacked (or packed) card of the running batch: spoiled, its record
   * re-made first in the feed queue (or failed when its attempts are used up), without stopping the
   * line. Throws RejectRefused when this run cannot take it (another batch, not a produced card, the
   * run ending). See inspector-reject.ts.
   */
  inspectorReject(cardSerial: string, input: { reason: string; by: string; note?: string }): Promise<RunningReject> {
    return rejectInRun(this.lineRun, { checkEnd: () => this.lifecycle.checkEnd(), feed: () => this.feeder.feed() }, cardSerial, input);
  }

  /** The batch this controller runs ('' before run()). */
  get batchId(): string {
    return this.lineRun.batchId;
  }

  progress(): Progress {
    return this.lineRun.progress();
  }
}

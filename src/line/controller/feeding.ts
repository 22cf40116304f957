/**
 * The feeder's side of the line: a blank presented at the feeder gets the job of the next record
 * (re-makes first: src/line/scheduler.ts) when the line may take another card — producing, under
 * its WIP limit, the feeder in Execute. The record's row changes in the commit of the feeder's
 * result, so a feed costs one commit; events about a card whose feed job is still being sent wait
 * for it.
 */
import { PACKML_STATES } from '../../plc/packml.ts';
import type { StationLink } from '../../plc/station-link.ts';
import type { JournalOp } from '../../store/line-store.ts';
import { feedJob } from '../../stations/kinds.ts';
import type { LineRun } from './line-run.ts';
import { defaultWip, underWipLimit } from '../scheduler.ts';

/** A feed prepared while the line was producing, withdrawn because it paused or stops meanwhile. */
class FeedWithdrawn extends Error {
  override name = 'FeedWithdrawn';
}

export class Feeder {
  /** The blank waiting at the feeder, if any. */
  private presented: string | undefined;
  private feeding = false;
  /**
   * The feed job being sent: the link may report its failure (or even its Done) before sendJob's
   * promise has resumed us, so events about this card wait for it.
   */
  private inFlight: { serial: string; sending: Promise<void> } | undefined;
  /** Journal ops of a card that are committed with its next result (its record's row at feeding). */
  private readonly deferred = new Map<string, JournalOp[]>();

  constructor(private readonly run: LineRun) {}

  /** A blank at the feeder: fed at once when the line may, else when it may again (feed()). */
  blankPresented(serial: string, link: StationLink): void {
    this.presented = serial;
    this.feed(link);
  }

  /** Feeds the present blank when the line may: producing, under the WIP limit, a record waiting. */
  feed(link?: StationLink): void {
    const run = this.run;
    const serial = this.presented;
    if (serial === undefined || this.feeding || run.relinquished || run.feedingStopped) return;
    if (!run.line.getSnapshot().matches({ running: 'producing' })) return;
    if (!underWipLimit(run.inLine(), run.options.wip ?? defaultWip(run.units.size))) return;
    const feeder = link ?? run.links.get(run.feederUnit!)!;
    // Held (a jam) or stopped, the feeder takes no job; its plc.state Execute feeds again.
    if (feeder.status?.state !== PACKML_STATES.Execute) return;
    const seq = run.queue.take();
    if (seq === undefined) return;
    this.feeding = true;
    this.presented = undefined;
    run.prestage();
    const sending = (async () => {
      try {
        await run.prepare(seq);
        const jobId = await run.nextJobId();
        if (run.relinquished) throw run.relinquished;
        // A pause or a planned stop that came while the job was prepared: this blank is not fed now
        // (a blank fed after the pause would be in the line unseen until the line runs again).
        if (run.feedingStopped || !run.line.getSnapshot().matches({ running: 'producing' })) throw new FeedWithdrawn();
        await feeder.sendJob({ jobId, cardSerial: serial, data: feedJob(`${run.batchId}:${seq}`) });
        const attempt = run.records.attempts(seq) + 1;
        run.admitCard({ serial, batchId: run.batchId, seq, attempt });
        // The record's row changes in the commit of the feeder's result: one commit a feed, not two.
        // Until the blank is fed the record is not in the line; a crash before then leaves it queued.
        const ops: JournalOp[] = [];
        run.cardEvent(seq, { type: 'card.feeding', cardSerial: serial }, ops);
        this.deferred.set(serial, ops);
      } catch (error) {
        // The blank was not fed: the record keeps its place at the front, and a blank still
        // presented is fed again when the line may (it is not presented anew).
        run.queue.remake(seq);
        if (feeder.cardPresent === serial) this.presented ??= serial;
        if (!(error instanceof FeedWithdrawn)) run.log(`feeder: feed job for ${serial} not sent: ${(error as Error).message}`);
      } finally {
        this.feeding = false;
        this.inFlight = undefined;
      }
    })();
    this.inFlight = { serial, sending };
  }

  /** The card's ops waiting for its next result (taken: they go into that result's commit). */
  takeDeferred(serial: string): JournalOp[] {
    const ops = this.deferred.get(serial) ?? [];
    this.deferred.delete(serial);
    return ops;
  }

  /** Every card's waiting ops (the run's end: committed on their own). */
  takeAllDeferred(): JournalOp[] {
    return [...this.deferred.keys()].flatMap((serial) => this.takeDeferred(serial));
  }

  /** While the card's feed job is being sent: when that is over. */
  afterFeedOf(serial: string): Promise<void> | undefined {
    return this.inFlight?.serial === serial ? this.inFlight.sending : undefined;
  }

  /** For the stall diagnosis. */
  describe(): string {
    return `feeder card ${this.presented ?? 'none'}${this.feeding ? ' (feeding)' : ''}`;
  }
}

/**
 * What the stations report about a card, turned into the card's and its record's next step: a job
 * accepted (the card is there), a Done (fed, judged, stacked, packed or spoiled by the unit's
 * reject gate) and a job lost or timed out (the card becomes suspect). A Done's consequences are
 * committed in one group commit before the PLC is acknowledged (DESIGN.md: persisted before
 * acknowledged); after it the line may feed again or end.
 */
import type { StationKind } from '../../config/line-config.ts';
import { decodeResult } from '../../plc/job-data.ts';
import type { StationLink } from '../../plc/station-link.ts';
import type { JournalOp } from '../../store/line-store.ts';
import { stationKind } from '../../stations/kinds.ts';
import type { BatchLifecycle } from './batch-lifecycle.ts';
import { adoptStackedCard, endCard, trackOf } from './card-ends.ts';
import type { Feeder } from './feeding.ts';
import type { LineCard } from './line-card.ts';
import type { LineRun } from './line-run.ts';
import { onPacked } from './packer-results.ts';
import { reasonOfResult, type ReasonCode } from '../reasons.ts';

export class CardResults {
  constructor(
    private readonly run: LineRun,
    private readonly feeder: Feeder,
    private readonly lifecycle: BatchLifecycle,
  ) {}

  /** A station took the card's job: its record's card is there. */
  onAccepted(unitId: string, serial: string): void {
    const run = this.run;
    const track = run.cards.get(serial);
    if (!track?.trusted || run.roleOf(unitId) === 'feed' || !run.records.isCurrent(track)) return;
    run.cardEvent(track.seq, { type: 'card.at', station: run.kindOf(unitId) });
  }

  async onDone(unitId: string, link: StationLink, jobId: number, serial: string, result: number, data: Buffer): Promise<void> {
    const run = this.run;
    run.crash.hit('after-done-before-persist');
    await this.feeder.afterFeedOf(serial);
    const kind = run.kindOf(unitId);
    const def = stationKind(kind);
    const feeds = def.role === 'feed';
    const sorts = def.role === 'sort';
    const packs = def.role === 'pack';
    const ops: JournalOp[] = this.feeder.takeDeferred(serial);
    let track = await trackOf(run, serial);
    if (feeds && !run.cards.has(serial) && !track) {
      // A blank fed for a job of an earlier controller process: accounted for, never trusted.
      track = run.admitCard({ serial, batchId: run.batchId, seq: 0, attempt: 0, suspect: { code: 'UNKNOWN_CARD', detail: 'fed while the controller was down' } });
    }
    ops.push({ op: 'event', event: `${kind}.done`, batchId: track?.batchId ?? null, seq: track?.seq ?? null, attempt: track?.attempt ?? null, cardSerial: serial || null, unit: unitId, reason: result === 0 ? null : reasonOfResult(result), detail: { jobId, result } });
    if (feeds && track) {
      ops.push({ op: 'card.fed', cardSerial: serial, batchId: track.batchId, seq: track.seq, attempt: track.attempt, unit: unitId });
      if (track.suspect) ops.push({ op: 'card.suspect', cardSerial: serial });
      if (result === 0 && !track.suspect) run.cardEvent(track.seq, { type: 'card.fed' }, ops);
    } else if (track && !track.ended) {
      ops.push({ op: 'card.unit', cardSerial: serial, unit: unitId });
      track.send({ type: 'card.seen', unit: unitId });
      // The card was at this station even if its acceptance went unseen.
      if (track.trusted && run.records.isCurrent(track)) run.cardEvent(track.seq, { type: 'card.at', station: kind }, ops);
    }

    if (track && !track.ended) {
      if (result !== 0) {
        // The station's reject gate took the card.
        endCard(run, track, 'spoiled', unitId, reasonOfResult(result), `result ${result}`, ops);
      } else if (def.judge && track.trusted) {
        await this.judge(track, kind, data, ops);
      } else if (sorts) {
        await this.onSorted(track, unitId, data, ops);
      } else if (packs) {
        await onPacked(run, track, unitId, data, ops);
      }
    } else if (!track && (sorts || packs)) {
      ops.push({ op: 'event', event: 'unknown.card', cardSerial: serial || null, unit: unitId, reason: 'UNKNOWN_CARD' });
    }

    await run.store.journal.append(...ops);
    if (run.relinquished) return;
    run.crash.hit('after-persist-before-ack');
    await link.acknowledgeDone(jobId).catch((error: unknown) => run.log(`${unitId}: acknowledgement of job ${jobId}: ${(error as Error).message}`));
    run.report();
    this.lifecycle.checkEnd();
    if (feeds || sorts || packs || result !== 0) this.feeder.feed();
  }

  /** A job lost or timed out: what happened to the card is not known; it is suspect from now on. */
  onJobFailed(unitId: string, serial: string, code: ReasonCode, reason: string): void {
    const run = this.run;
    const pending = this.feeder.afterFeedOf(serial);
    if (pending) {
      void pending.then(() => this.onJobFailed(unitId, serial, code, reason));
      return;
    }
    const track = run.cards.get(serial);
    if (!track || track.ended) return;
    track.send({ type: 'card.suspect', code, detail: `${unitId}: ${reason}` });
    run.journal(
      ...this.feeder.takeDeferred(serial),
      { op: 'card.suspect', cardSerial: serial },
      { op: 'event', event: 'job.failed', batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: serial, unit: unitId, reason: code, detail: { reason } },
    );
  }

  /** The sorting station's good Done: on to the packer, stacked, or in the reject bin. */
  private async onSorted(track: LineCard, unitId: string, data: Buffer, ops: JournalOp[]): Promise<void> {
    const run = this.run;
    const decoded = decodeResult(data);
    if (decoded.ok && decoded.value.kind === 'output' && decoded.value.bin === 'pass' && run.packer && track.trusted) {
      // On to the packer: the card stays in the line.
    } else if (decoded.ok && decoded.value.kind === 'output' && decoded.value.bin === 'stacker') {
      // A card stacked on the previous process's order (it crashed before persisting the
      // output's Done): that order was only ever given after QA passed the card, and the pass
      // is on record; the record takes the card as produced.
      if (track.suspect) await adoptStackedCard(run, track, ops);
      endCard(run, track, 'good', unitId, undefined, undefined, ops, decoded.value.position);
    } else {
      const reject = track.reject ?? { code: 'JOB_LOST' as ReasonCode, detail: 'output sent the card to the reject bin' };
      endCard(run, track, 'spoiled', unitId, reject.code, reject.detail, ops);
    }
  }

  /** The kind's judge on a good Done of a trusted card; an inspecting kind's verdict is the card's QA verdict. */
  private async judge(track: LineCard, kind: StationKind, data: Buffer, ops: JournalOp[]): Promise<void> {
    const run = this.run;
    const def = stationKind(kind);
    if (!run.records.isCurrentAttempt(track)) {
      track.send({ type: 'card.reject', code: 'SERIAL_DISCONTINUITY', detail: `${kind} saw another card than the record’s current one` });
      ops.push({ op: 'event', event: 'qa.verdict', batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial, reason: 'SERIAL_DISCONTINUITY' });
      return;
    }
    const verdict = await def.judge!({ prepared: await run.prepare(track.seq), data, qa: run.judge });
    const inspects = def.role === 'inspect';
    // The event names of the inspection are the QA verdict's (the store looks for qa.passed).
    const [passed, failed] = inspects ? ['qa.passed', 'qa.failed'] : [`${kind}.passed`, `${kind}.failed`];
    if (verdict.ok) {
      if (inspects) run.cardEvent(track.seq, { type: 'qa.passed' }, ops);
      ops.push({ op: 'event', event: passed, batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial });
    } else {
      track.send({ type: 'card.reject', code: verdict.code, detail: verdict.detail });
      ops.push({ op: 'event', event: failed, batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial, reason: verdict.code, detail: { detail: verdict.detail } });
    }
  }
}

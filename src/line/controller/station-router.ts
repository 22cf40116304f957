/**
 * The station links, routed: each unit's events go to its station machine and to the part of the
 * controller they concern — a PLC state to the line's readiness and suspension (the kind's
 * `suspends`), a card present to its answer (the card's job by the kind's role, or a skip job for
 * a card the controller does not trust), an accepted job, a Done or a lost job to the card results.
 * Every station event is journaled for the KPIs' time model.
 */
import { createActor, fromPromise } from 'xstate';
import { stationMachine } from '../../../machines/station.machine.ts';
import type { StationKind } from '../../config/line-config.ts';
import { JOB_TAKING_STATES, PACKML_STATES, STOP_REASONS, type PackMLCommandName } from '../../plc/packml.ts';
import type { StationEvent, StationLink } from '../../plc/station-link.ts';
import { SKIP_JOB, SORT_JOBS, stationKind } from '../../stations/kinds.ts';
import type { CardResults } from './card-results.ts';
import { trackOf } from './card-ends.ts';
import type { Feeder } from './feeding.ts';
import type { LineRun } from './line-run.ts';
import { planPacking } from './packer-results.ts';

export class StationRouter {
  /** Cards whose job is being prepared or sent (a card is answered once at a time). */
  private readonly answering = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly run: LineRun,
    private readonly feeder: Feeder,
    private readonly results: CardResults,
  ) {}

  /** A station machine for the unit, fed by its link's events from now on. */
  attach(unitId: string, link: StationLink): void {
    const run = this.run;
    const station = createActor(
      stationMachine.provide({
        actors: {
          sendCommand: fromPromise<void, { unitId: string; command: PackMLCommandName }>(({ input }) => link.command(input.command)),
        },
      }),
      { input: { unitId, autoRecover: run.options.autoRecover ?? false, recoverAfterMs: run.options.recoverAfterMs ?? 2000 }, clock: run.clock },
    ).start();
    run.stations.set(unitId, station);
    if (link.connected) station.send({ type: 'plc.link.up' });
    if (link.status) station.send({ type: 'plc.state', state: link.status.state, stopReason: link.status.stopReason });
    // The KPIs' time model starts from each unit's state at the run's start (src/kpi/time-model.ts).
    if (link.status) this.stationEvent(unitId, 'state', { state: link.status.state, stopReason: link.status.stopReason });
    this.unsubscribe.push(link.subscribe((event) => this.onLinkEvent(unitId, link, event)));
  }

  /** No more link events reach the controller; the station machines stop. */
  detach(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const station of this.run.stations.values()) station.stop();
  }

  /** Cards announced before the controller listened (it restarted with cards at the stations). */
  answerPresentCards(): void {
    for (const [unitId, link] of this.run.links) {
      if (link.cardPresent !== undefined) this.onCardPresent(unitId, link, link.cardPresent);
    }
  }

  /** A feeder starved or a stacker blocked (or back in Execute): the line machine's suspension (the kind's `suspends`). */
  noteSuspension(unitId: string, state: number, stopReason: number): void {
    const suspends = stationKind(this.run.kindOf(unitId)).suspends;
    if (!suspends) return;
    const reason = suspends === 'line.starved' ? STOP_REASONS.Starved : STOP_REASONS.Blocked;
    if (state === PACKML_STATES.Suspended && stopReason === reason) this.run.line.send({ type: suspends });
    else if (state === PACKML_STATES.Execute) this.run.line.send({ type: 'line.unsuspended' });
  }

  /** Every station producing (Execute, or Suspended starved/blocked): the line runs; a waiting blank is fed. */
  checkReady(): void {
    const ready = [...this.run.stations.values()].every((s) => {
      const p = s.getSnapshot().context.packml;
      return p === PACKML_STATES.Execute || p === PACKML_STATES.Suspended;
    });
    if (ready) this.run.line.send({ type: 'line.ready' });
    // A blank may have been waiting at the feeder for the line to produce.
    this.feeder.feed();
  }

  private onLinkEvent(unitId: string, link: StationLink, event: StationEvent): void {
    const run = this.run;
    const station = run.stations.get(unitId)!;
    if (run.options.trace) run.log(`trace ${unitId}: ${event.type}${event.type === 'plc.state' ? ` ${event.status.state}/${event.status.stopReason}` : ''} — line ${JSON.stringify(run.line.getSnapshot().value)}`);
    switch (event.type) {
      case 'plc.link.up':
        station.send({ type: 'plc.link.up' });
        this.stationEvent(unitId, 'link.up', link.status ? { state: link.status.state, stopReason: link.status.stopReason } : {});
        // The PLC's state may not have changed while the link was down: no plc.state would follow.
        if (link.status) station.send({ type: 'plc.state', state: link.status.state, stopReason: link.status.stopReason });
        break;
      case 'plc.link.down':
        station.send({ type: 'plc.link.down', reason: event.reason });
        this.stationEvent(unitId, 'link.down', { reason: event.reason });
        break;
      case 'plc.state':
        station.send({ type: 'plc.state', state: event.status.state, stopReason: event.status.stopReason });
        this.stationEvent(unitId, 'state', { state: event.status.state, stopReason: event.status.stopReason }, event.at);
        this.noteSuspension(unitId, event.status.state, event.status.stopReason);
        this.checkReady();
        // A card that waited at a stopped or aborted station's infeed gets its job once the station
        // takes jobs again (onCardPresent checks the state; the feeder feeds through checkReady).
        if (link.cardPresent !== undefined && run.roleOf(unitId) !== 'feed') this.onCardPresent(unitId, link, link.cardPresent);
        break;
      case 'plc.card.present':
        this.onCardPresent(unitId, link, event.cardSerial);
        break;
      case 'plc.job.accepted':
        this.results.onAccepted(unitId, event.cardSerial);
        break;
      case 'plc.job.done':
        this.results.onDone(unitId, link, event.jobId, event.cardSerial, event.result, event.data).catch((error: unknown) => run.fail(error));
        break;
      case 'plc.job.failed':
        this.results.onJobFailed(unitId, event.cardSerial, event.code === 'timeout' ? 'JOB_TIMEOUT' : 'JOB_LOST', event.reason);
        break;
      case 'plc.fault':
        run.log(`${unitId}: ${event.error.message}`);
        break;
    }
  }

  private onCardPresent(unitId: string, link: StationLink, serial: string): void {
    if (this.run.roleOf(unitId) === 'feed') {
      this.feeder.blankPresented(serial, link);
      return;
    }
    // A job sent to a station that takes none (stopped, aborted, starting) would time out and cost
    // the card: it waits at the infeed, and the station's next job-taking state answers it.
    if (link.status === undefined || !JOB_TAKING_STATES.includes(link.status.state)) return;
    if (this.answering.has(serial)) return;
    this.answering.add(serial);
    this.answer(unitId, this.run.kindOf(unitId), link, serial)
      .catch((error: unknown) => this.run.fail(error))
      .finally(() => this.answering.delete(serial));
  }

  /** The card's job at this unit, by the kind's role: the real job for a card the controller trusts, a skip or reject otherwise. */
  private async answer(unitId: string, kind: StationKind, link: StationLink, serial: string): Promise<void> {
    const run = this.run;
    const track = await trackOf(run, serial);
    // An aborted batch: every card still in the line goes on to the reject bin.
    if (track?.trusted && run.line.getSnapshot().matches('aborting')) {
      track.send({ type: 'card.reject', code: 'LINE_ABORTED', detail: 'the batch was aborted with the card in the line' });
    }
    const trusted = track?.trusted === true;
    const def = stationKind(kind);
    let data: Buffer;
    switch (def.role) {
      case 'sort':
        // The card is here: its record moves to this station before the record is asked whether it awaits it.
        if (trusted && run.records.qaPassed(track)) run.cardEvent(track.seq, { type: 'card.at', station: kind });
        // On a line with a packer, a good card goes on to it: it leaves the line there, in a pack.
        data = trusted && run.records.awaitsStacking(track) ? (run.packer ? SORT_JOBS.pass : SORT_JOBS.stacker) : SORT_JOBS.reject;
        break;
      case 'pack':
        data = trusted && run.records.qaPassed(track) ? planPacking(run, track, kind) : SKIP_JOB;
        break;
      case 'work':
      case 'inspect':
        data = trusted ? def.job!(await run.prepare(track.seq)) : SKIP_JOB;
        break;
      case 'feed':
        throw new Error(`${unitId}: a feeding station's card is fed by the feeder, not answered`);
    }
    await this.sendJob(link, serial, data, unitId);
  }

  private async sendJob(link: StationLink, serial: string, data: Buffer, unitId: string): Promise<void> {
    const jobId = await this.run.nextJobId();
    if (this.run.relinquished) return;
    try {
      await link.sendJob({ jobId, cardSerial: serial, data });
    } catch (error) {
      // The failure also comes as plc.job.failed when the job had reached the link; a refusal
      // before that (busy, not the present card) leaves the card to be presented again.
      this.run.log(`${unitId}: job for ${serial} not sent: ${(error as Error).message}`);
    }
  }

  /** `at`: when it happened (a state change: when the PLC made it, plc.state's `at`); otherwise now. */
  private stationEvent(unitId: string, event: string, detail: Record<string, unknown>, at?: number): void {
    this.run.journal({ op: 'station', unit: unitId, event, detail, at: new Date(at ?? this.run.clock.now()).toISOString() });
  }
}

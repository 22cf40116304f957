/**
 * The life of one personalization record on the line, across its physical cards: queued → fed →
 * in the line, station by station along the route of the station-kind table (encoder, laser, QA,
 * output …) → produced, or rejected → a re-make of the same
 * record at top priority, up to `maxAttempts` cards → failed with the reasons of every attempt.
 * A card an inspector rejects after output sends its record back to re-make too. A card scrapped
 * because the operator aborted the line is not the record's fault: that attempt does not count.
 *
 * No I/O here (house style): the line controller sends the events and reads the state; a snapshot
 * of this machine is what `run --resume` restores. What a step means outside the record is declared
 * here as named actions the machine takes — `enqueueRemake` (the record goes to the front of the
 * feed queue), `recordEnded` (its prepared data is needed no longer), `gaveUp` (it failed or was
 * cancelled: its delivery office waits for one card fewer) — and implemented by the composition
 * root with `cardMachine.provide({ actions })` (src/line/controller/record-machines.ts); here they do nothing.
 */
import { assign, createActor, setup } from 'xstate';
import { stationKind, type StationKind } from '../src/stations/kinds.ts';

/** Snapshots are kept at stable states only (queued, produced, failed, cancelled), which did not change with the route as data. */
export const CARD_MACHINE_VERSION = 1;

/** A station a card passes: a kind of the station-kind table (src/stations/kinds.ts). */
export type CardStation = StationKind;

export interface AttemptReason {
  readonly attempt: number;
  readonly cardSerial: string | null;
  readonly station: CardStation | 'inspector' | 'line';
  /** A reason code of src/line/reasons.ts. */
  readonly code: string;
  readonly detail?: string;
}

export interface CardContext {
  readonly batchId: string;
  readonly seq: number;
  readonly maxAttempts: number;
  /** Cards used so far (1 after the first feed). */
  readonly attempt: number;
  /** Of those, cards scrapped by an abort of the line: they do not count toward maxAttempts (absent in older snapshots). */
  readonly aborted?: number;
  /** The physical card of the current attempt. */
  readonly cardSerial: string | null;
  /** A re-make goes before records never tried. */
  readonly remake: boolean;
  readonly reasons: readonly AttemptReason[];
  /** Stacker position of the good card. */
  readonly position: number | null;
  /** The controller's QA verdict on the current card was good: only then may it be stacked. */
  readonly qaPassed: boolean;
  /** The last station the current card reached (in `inLine`); its route is the station-kind table. */
  readonly at?: CardStation | null;
}

export interface CardInput {
  readonly batchId: string;
  readonly seq: number;
  readonly maxAttempts?: number;
}

export type CardEvent =
  /** The feeder took the record's job for this blank. */
  | { readonly type: 'card.feeding'; readonly cardSerial: string }
  /** The feeder fed it (its Done, good). */
  | { readonly type: 'card.fed' }
  /** A station took the card's job (or reported its Done): the card is there, further along its route. */
  | { readonly type: 'card.at'; readonly station: CardStation }
  /** The controller's QA verdict: the chip, the MRZ and the print are right. */
  | { readonly type: 'qa.passed' }
  /** The card is going to the reject bin (any station's result, the QA verdict, a lost job). */
  | {
      readonly type: 'card.rejected';
      readonly station: CardStation | 'line';
      readonly code: string;
      readonly detail?: string;
      /** The card was scrapped because the line was aborted, not for a fault of its own. */
      readonly lineAborted?: boolean;
    }
  /** The output stacked the card (or, on a line with a packer, its pack closed with it inside: position in the pack). */
  | { readonly type: 'card.stacked'; readonly position: number }
  /** An inspector rejects a card the vision system passed. */
  | { readonly type: 'qa.reject'; readonly code: string; readonly detail?: string }
  /** The batch was aborted and the operator chose to cancel the records in the line. */
  | { readonly type: 'batch.cancel' };

/** A card in the line leaves it through the reject bin, or is cancelled with its batch. */
const leaveLine = {
  'card.rejected': { target: 'rejected', actions: 'recordRejection' },
  'batch.cancel': 'cancelled',
} as const;

function placeOf(station: CardStation | null | undefined): number {
  return station ? stationKind(station).place : Number.NEGATIVE_INFINITY;
}

export const cardMachine = setup({
  types: {
    context: {} as CardContext,
    input: {} as CardInput,
    events: {} as CardEvent,
  },
  guards: {
    canRemake: ({ context }) => context.attempt - (context.aborted ?? 0) < context.maxAttempts,
    /**
     * `card.at` moves a card forward to any later station of the route: a station's acceptance can
     * go unseen (a Modbus poll that finds the job already done), and the next station's news must
     * not be lost. Skipping the inspection never stacks a card: only `qa.passed` allows stacking.
     */
    movesForward: ({ context, event }) => event.type === 'card.at' && placeOf(event.station) > placeOf(context.at),
    atInspection: ({ context }) => context.at != null && stationKind(context.at).role === 'inspect',
    /**
     * Where a good card leaves the line (the sorting station, or the packing station of a line with
     * a packer) with the QA verdict good: the card may be stacked, or packed in a closed pack.
     */
    stackable: ({ context }) => context.qaPassed && context.at != null && ['sort', 'pack'].includes(stationKind(context.at).role),
  },
  actions: {
    startAttempt: assign({
      attempt: ({ context }) => context.attempt + 1,
      cardSerial: ({ event }) => (event.type === 'card.feeding' ? event.cardSerial : null),
      qaPassed: () => false,
      at: () => null,
    }),
    moveTo: assign({ at: ({ event }) => (event.type === 'card.at' ? event.station : null) }),
    markQaPassed: assign({ qaPassed: () => true }),
    recordRejection: assign({
      reasons: ({ context, event }) => {
        if (event.type !== 'card.rejected' && event.type !== 'qa.reject') return context.reasons;
        const station = event.type === 'qa.reject' ? ('inspector' as const) : event.station;
        return [
          ...context.reasons,
          { attempt: context.attempt, cardSerial: context.cardSerial, station, code: event.code, ...(event.detail ? { detail: event.detail } : {}) },
        ];
      },
      position: () => null,
      aborted: ({ context, event }) => (context.aborted ?? 0) + (event.type === 'card.rejected' && event.lineAborted ? 1 : 0),
    }),
    markRemake: assign({ remake: () => true, cardSerial: () => null, qaPassed: () => false, at: () => null }),
    recordPosition: assign({ position: ({ event }) => (event.type === 'card.stacked' ? event.position : null) }),
    /** Effect (provided): the record goes to the front of the feed queue, after earlier re-makes. */
    enqueueRemake: (_: { context: CardContext }) => undefined,
    /** Effect (provided): the record ended (produced, failed, cancelled); its prepared data can go. */
    recordEnded: (_: { context: CardContext }) => undefined,
    /** Effect (provided): the record failed or was cancelled; `context.cardSerial` was its last card. */
    gaveUp: (_: { context: CardContext }) => undefined,
  },
}).createMachine({
  id: 'card',
  initial: 'queued',
  context: ({ input }) => ({
    batchId: input.batchId,
    seq: input.seq,
    maxAttempts: input.maxAttempts ?? 3,
    attempt: 0,
    aborted: 0,
    cardSerial: null,
    remake: false,
    reasons: [],
    position: null,
    qaPassed: false,
    at: null,
  }),
  states: {
    queued: {
      description: 'Waiting for a blank; a re-make (context.remake) is fed before records never tried.',
      on: {
        'card.feeding': { target: 'feeding', actions: 'startAttempt' },
        'batch.cancel': 'cancelled',
      },
    },
    feeding: {
      description: 'The feeder holds the job for this record’s blank.',
      on: { 'card.fed': 'fed', ...leaveLine },
    },
    fed: {
      description: 'Fed; on its way to the first station after the feeder.',
      on: { 'card.at': { guard: 'movesForward', target: 'inLine', actions: 'moveTo' }, ...leaveLine },
    },
    inLine: {
      description:
        'At a station of the route (context.at), moving forward only; at the inspecting station QA may pass it; at the sorting station it is stacked only when the QA verdict passed it, otherwise sent to the reject bin.',
      on: {
        'card.at': { guard: 'movesForward', actions: 'moveTo' },
        'qa.passed': { guard: 'atInspection', actions: 'markQaPassed' },
        'card.stacked': { guard: 'stackable', target: 'produced', actions: 'recordPosition' },
        ...leaveLine,
      },
    },
    produced: {
      description: 'One good card in the stacker, or in a closed delivery pack. An inspector may still reject it.',
      entry: 'recordEnded',
      on: { 'qa.reject': { target: 'rejected', actions: 'recordRejection' } },
    },
    rejected: {
      description: 'The card went to the reject bin: re-make at top priority, or fail when attempts are used up.',
      always: [{ guard: 'canRemake', target: 'queued', actions: ['markRemake', 'enqueueRemake'] }, { target: 'failed' }],
    },
    failed: { type: 'final', entry: ['recordEnded', 'gaveUp'], description: 'Every attempt was rejected; the reasons of each are kept.' },
    cancelled: { type: 'final', entry: ['recordEnded', 'gaveUp'], description: 'The batch was aborted and the record cancelled.' },
  },
});

/** States in which the record has a physical card somewhere in the line. */
export const CARD_IN_LINE_STATES: readonly string[] = ['feeding', 'fed', 'inLine'];

/**
 * A record's card machine from what the store keeps of it (`{ version, snapshot }`, saved at stable
 * states): restored when it is a snapshot of this machine version, a fresh one (queued, no attempt)
 * when nothing usable was stored. Not started.
 */
export function cardActorFrom(stored: unknown, input: CardInput, machine: typeof cardMachine = cardMachine) {
  const saved = stored as { version?: number; snapshot?: unknown } | null | undefined;
  return saved?.version === CARD_MACHINE_VERSION && saved.snapshot ? createActor(machine, { input, snapshot: saved.snapshot as never }) : createActor(machine, { input });
}

/** The record's effects, as the composition root implements them (each takes the record's context). */
export interface CardEffects {
  enqueueRemake(context: CardContext): void;
  recordEnded(context: CardContext): void;
  gaveUp(context: CardContext): void;
}

/** The card machine with its declared effects implemented. */
export function cardMachineWith(effects: CardEffects): typeof cardMachine {
  return cardMachine.provide({
    actions: {
      enqueueRemake: ({ context }) => effects.enqueueRemake(context),
      recordEnded: ({ context }) => effects.recordEnded(context),
      gaveUp: ({ context }) => effects.gaveUp(context),
    },
  });
}

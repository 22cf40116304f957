/**
 * The life of one personalization record on the line, across its physical cards: queued → fed →
 * encoding → engraving → inspecting → output → produced, or rejected → a re-make of the same
 * record at top priority, up to `maxAttempts` cards → failed with the reasons of every attempt.
 * A card an inspector rejects after output sends its record back to re-make too. A card scrapped
 * because the operator aborted the line is not the record's fault: that attempt does not count.
 *
 * No I/O here (house style): the line controller sends the events and reads the state; a snapshot
 * of this machine is what `run --resume` restores.
 */
import { assign, createActor, setup } from 'xstate';

export const CARD_MACHINE_VERSION = 1;

export type CardStation = 'feeder' | 'encoder' | 'laser' | 'qa' | 'output';

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
  /** A station took the card's job. */
  | { readonly type: 'card.at'; readonly station: 'encoder' | 'laser' | 'qa' | 'output' }
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
  /** The output stacked the card. */
  | { readonly type: 'card.stacked'; readonly position: number }
  /** An inspector rejects a card the vision system passed. */
  | { readonly type: 'qa.reject'; readonly code: string; readonly detail?: string }
  /** The batch was aborted and the operator chose to cancel the records in the line. */
  | { readonly type: 'batch.cancel' };

const IN_LINE = ['fed', 'encoding', 'engraving', 'inspecting', 'output'] as const;

/** The stations a card passes, in order, and the state it is in at each. */
const ROUTE = [
  ['encoder', 'encoding'],
  ['laser', 'engraving'],
  ['qa', 'inspecting'],
  ['output', 'output'],
] as const;

/**
 * `card.at` moves a card forward to any later station: a station's acceptance can go unseen (a
 * Modbus poll that finds the job already done), and the next station's news must not be lost.
 * Skipping QA never stacks a card: only `qa.passed` in `inspecting` allows stacking.
 */
function forwardFrom(index: number) {
  return ROUTE.slice(index + 1).map(([station, target]) => ({ guard: ({ event }: { event: CardEvent }) => event.type === 'card.at' && event.station === station, target }));
}

/** A card in the line leaves it through the reject bin, or is cancelled with its batch. */
const leaveLine = {
  'card.rejected': { target: 'rejected', actions: 'recordRejection' },
  'batch.cancel': 'cancelled',
} as const;

export const cardMachine = setup({
  types: {
    context: {} as CardContext,
    input: {} as CardInput,
    events: {} as CardEvent,
  },
  guards: {
    canRemake: ({ context }) => context.attempt - (context.aborted ?? 0) < context.maxAttempts,
    qaPassed: ({ context }) => context.qaPassed,
  },
  actions: {
    startAttempt: assign({
      attempt: ({ context }) => context.attempt + 1,
      cardSerial: ({ event }) => (event.type === 'card.feeding' ? event.cardSerial : null),
      qaPassed: () => false,
    }),
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
    markRemake: assign({ remake: () => true, cardSerial: () => null, qaPassed: () => false }),
    recordPosition: assign({ position: ({ event }) => (event.type === 'card.stacked' ? event.position : null) }),
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
      description: 'On its way to a chip-encoding head.',
      on: { 'card.at': forwardFrom(-1), ...leaveLine },
    },
    encoding: {
      description: 'A head writes the chip.',
      on: { 'card.at': forwardFrom(0), ...leaveLine },
    },
    engraving: {
      description: 'The laser engraves both sides.',
      on: { 'card.at': forwardFrom(1), ...leaveLine },
    },
    inspecting: {
      description: 'QA reads the chip through BAC, the MRZ and the print; the controller judges.',
      on: {
        'qa.passed': { actions: 'markQaPassed' },
        'card.at': forwardFrom(2),
        ...leaveLine,
      },
    },
    output: {
      description: 'At the output station: stacked only when the QA verdict passed it, otherwise sent to the reject bin.',
      on: { 'card.stacked': { guard: 'qaPassed', target: 'produced', actions: 'recordPosition' }, ...leaveLine },
    },
    produced: {
      description: 'One good card in the stacker. An inspector may still reject it.',
      on: { 'qa.reject': { target: 'rejected', actions: 'recordRejection' } },
    },
    rejected: {
      description: 'The card went to the reject bin: re-make at top priority, or fail when attempts are used up.',
      always: [{ guard: 'canRemake', target: 'queued', actions: 'markRemake' }, { target: 'failed' }],
    },
    failed: { type: 'final', description: 'Every attempt was rejected; the reasons of each are kept.' },
    cancelled: { type: 'final', description: 'The batch was aborted and the record cancelled.' },
  },
});

/** States in which the record has a physical card somewhere in the line. */
export const CARD_IN_LINE_STATES: readonly string[] = ['feeding', ...IN_LINE];

/**
 * A record's card machine from what the store keeps of it (`{ version, snapshot }`, saved at stable
 * states): restored when it is a snapshot of this machine version, a fresh one (queued, no attempt)
 * when nothing usable was stored. Not started.
 */
export function cardActorFrom(stored: unknown, input: CardInput) {
  const saved = stored as { version?: number; snapshot?: unknown } | null | undefined;
  return saved?.version === CARD_MACHINE_VERSION && saved.snapshot ? createActor(cardMachine, { input, snapshot: saved.snapshot as never }) : createActor(cardMachine, { input });
}

/**
 * One physical card in the line, from its feed to the bin it leaves by: whether the controller
 * trusts it (its jobs are real) or it is bound for the reject bin (its jobs are skips), and why.
 *
 * Why a machine of its own and not the record's (card.machine.ts): the record's machine follows the
 * record's *current* card and is persisted at stable states; a physical card may belong to an
 * earlier attempt of its record (still leaving the line while the record is re-made), to another
 * batch (left in the line by an earlier run), or to no record at all (a blank fed while the
 * controller was down). Its trust is never persisted either: after a restart every card the store
 * holds in the line is suspect. The QA verdict is the record's (card.machine.ts `qaPassed`): only
 * the current card can be stacked, so only the record needs to know it.
 *
 * No I/O here (house style): the line controller sends the events and reads the state. Leaving
 * the line is the machine's named action `leftLine` (the controller forgets the card), provided by
 * the composition root with `physicalCardMachineWith` (src/line/controller/line-card.ts).
 */
import { assign, setup } from 'xstate';

/** Why a card is bound for the reject bin: a reason code of src/line/reasons.ts and what happened. */
export interface RejectReason {
  readonly code: string;
  readonly detail: string;
}

export interface PhysicalCardContext {
  readonly serial: string;
  readonly batchId: string;
  /** The record the card was fed for (0: a card fed for no known record). */
  readonly seq: number;
  /** The record's attempt the card is. */
  readonly attempt: number;
  /** Set once the card is bound for the reject bin (the first reason stays). */
  readonly reject: RejectReason | null;
  /** The unit that last reported the card (diagnosis, reconciliation). */
  readonly lastUnit: string | null;
}

export interface PhysicalCardInput {
  readonly serial: string;
  readonly batchId: string;
  readonly seq: number;
  readonly attempt: number;
  /** A card whose fate is uncertain from the start (in the line at a restart, fed unknown): why. */
  readonly suspect?: RejectReason;
  readonly lastUnit?: string;
}

export type PhysicalCardEvent =
  /** A station reported the card (its Done). */
  | { readonly type: 'card.seen'; readonly unit: string }
  /** The card is bad or not wanted any more (a judge failed it, another card was expected, the line is aborting). */
  | ({ readonly type: 'card.reject' } & RejectReason)
  /** The card's job was lost or timed out: what happened to the card is not known. */
  | ({ readonly type: 'card.suspect' } & RejectReason)
  /**
   * A suspect card found stacked or packed on an order of the previous process: trusted again when
   * the QA pass of this very card is on record and it is still its record's current card.
   */
  | { readonly type: 'card.adopted'; readonly qaPassedBefore: boolean; readonly current: boolean }
  /** The card left the line: stacked, packed or in the reject bin. */
  | { readonly type: 'card.ended' };

export const physicalCardMachine = setup({
  types: {
    context: {} as PhysicalCardContext,
    input: {} as PhysicalCardInput,
    events: {} as PhysicalCardEvent,
  },
  guards: {
    arrivesSuspect: ({ context }) => context.reject !== null,
    qaPassOnRecord: ({ event }) => event.type === 'card.adopted' && event.qaPassedBefore && event.current,
  },
  actions: {
    /** The first reason stays: a card bound for the reject bin for one reason is not re-judged. */
    keepFirstReject: assign({
      reject: ({ context, event }) => context.reject ?? (event.type === 'card.reject' || event.type === 'card.suspect' ? { code: event.code, detail: event.detail } : null),
    }),
    clearReject: assign({ reject: () => null }),
    noteUnit: assign({ lastUnit: ({ context, event }) => (event.type === 'card.seen' ? event.unit : context.lastUnit) }),
    /** Effect (provided): the card is out of the line; whoever kept it in view lets it go. */
    leftLine: (_: { context: PhysicalCardContext }) => undefined,
  },
}).createMachine({
  id: 'physicalCard',
  initial: 'arriving',
  context: ({ input }) => ({
    serial: input.serial,
    batchId: input.batchId,
    seq: input.seq,
    attempt: input.attempt,
    reject: input.suspect ?? null,
    lastUnit: input.lastUnit ?? null,
  }),
  on: {
    'card.seen': { actions: 'noteUnit' },
    'card.ended': '.ended',
  },
  states: {
    arriving: {
      description: 'Decides once, from the input, whether the card starts trusted or suspect.',
      always: [{ guard: 'arrivesSuspect', target: 'suspect' }, { target: 'trusted' }],
    },
    trusted: {
      description: 'The card is what the controller fed: stations get its real jobs.',
      on: {
        'card.reject': { target: 'rejectBound', actions: 'keepFirstReject' },
        'card.suspect': { target: 'suspect', actions: 'keepFirstReject' },
      },
    },
    rejectBound: {
      description: 'Known bad or unwanted (context.reject): every station skips it and the output puts it in the reject bin.',
      on: { 'card.suspect': { target: 'suspect', actions: 'keepFirstReject' } },
    },
    suspect: {
      description: 'Its fate is uncertain (a lost job, a restart): never stacked on its own; adopted only when it lies stacked or packed with its QA pass on record.',
      on: { 'card.adopted': { guard: 'qaPassOnRecord', target: 'trusted', actions: 'clearReject' } },
    },
    ended: {
      type: 'final',
      entry: 'leftLine',
      description: 'Out of the line: stacked, packed or in the reject bin.',
    },
  },
});

/** The physical-card machine with its effect implemented. */
export function physicalCardMachineWith(effects: { leftLine(context: PhysicalCardContext): void }): typeof physicalCardMachine {
  return physicalCardMachine.provide({ actions: { leftLine: ({ context }) => effects.leftLine(context) } });
}

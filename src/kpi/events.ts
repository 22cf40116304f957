/**
 * The journal's events as the KPIs read them (src/store/kpi-store.ts maps the stored rows onto
 * these): a run's boundaries, each unit's PackML state and link, each unit's Done, each card fed
 * and ended. Times are epoch milliseconds; events come in time order. No personal data: serials,
 * batch ids, sequence numbers, reason codes.
 */
export type KpiEvent =
  /** A batch's status changed on a line (`running` starts a run, `paused` pauses it, `completed`/`aborted` end it). */
  | { readonly type: 'run'; readonly at: number; readonly line: string; readonly batchId: string; readonly status: string }
  /** A unit's PackML state (StateCurrent) and StopReason. */
  | { readonly type: 'state'; readonly at: number; readonly line: string; readonly unit: string; readonly state: number; readonly stopReason: number }
  /** The controller's link to a unit went down or came up. */
  | { readonly type: 'link'; readonly at: number; readonly line: string; readonly unit: string; readonly up: boolean }
  /** A unit's Done for a card: result 0 is good, anything else sent the card to that unit's reject gate. */
  | {
      readonly type: 'done';
      readonly at: number;
      readonly line: string;
      readonly unit: string;
      /** The station kind (src/stations/kinds.ts), from the event name `<kind>.done`. */
      readonly kind: string;
      readonly batchId: string | null;
      readonly seq: number | null;
      readonly card: string | null;
      readonly result: number;
    }
  /** A blank entered the line (one blank consumed). */
  | { readonly type: 'fed'; readonly at: number; readonly line: string; readonly batchId: string; readonly seq: number; readonly card: string }
  /** A card left the line: good (stacked or packed) or spoiled (reject bin), at `unit`, for `reason`. */
  | {
      readonly type: 'ended';
      readonly at: number;
      readonly line: string;
      readonly unit: string | null;
      readonly batchId: string;
      readonly seq: number;
      readonly attempt: number;
      readonly card: string;
      readonly good: boolean;
      readonly reason: string | null;
    };

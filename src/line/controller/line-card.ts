/**
 * A physical card the controller knows in the line: its physical-card machine
 * (machines/physical-card.machine.ts), read through names the router uses. The machine decides
 * whether the card is trusted, bound for the reject bin or suspect; this only asks it.
 */
import { createActor, type Actor } from 'xstate';
import { physicalCardMachine, type PhysicalCardEvent, type PhysicalCardInput, type RejectReason } from '../../../machines/physical-card.machine.ts';
import type { ReasonCode } from '../reasons.ts';

export class LineCard {
  private readonly actor: Actor<typeof physicalCardMachine>;

  /** `machine`: the physical-card machine with its `leftLine` effect provided (physicalCardMachineWith). */
  constructor(input: PhysicalCardInput, machine: typeof physicalCardMachine = physicalCardMachine) {
    this.actor = createActor(machine, { input }).start();
  }

  get serial(): string {
    return this.context.serial;
  }

  get batchId(): string {
    return this.context.batchId;
  }

  get seq(): number {
    return this.context.seq;
  }

  get attempt(): number {
    return this.context.attempt;
  }

  /** What the controller fed, with nothing against it: stations get its real jobs. */
  get trusted(): boolean {
    return this.actor.getSnapshot().matches('trusted');
  }

  /** Its fate is uncertain (a lost job, a restart). */
  get suspect(): boolean {
    return this.actor.getSnapshot().matches('suspect');
  }

  /** Why it is bound for the reject bin (suspect or known bad); undefined while trusted. */
  get reject(): { code: ReasonCode; detail: string } | undefined {
    const reject: RejectReason | null = this.context.reject;
    return reject ? { code: reject.code as ReasonCode, detail: reject.detail } : undefined;
  }

  get ended(): boolean {
    return this.actor.getSnapshot().status === 'done';
  }

  get lastUnit(): string | undefined {
    return this.context.lastUnit ?? undefined;
  }

  send(event: PhysicalCardEvent): void {
    this.actor.send(event);
  }

  private get context() {
    return this.actor.getSnapshot().context;
  }
}

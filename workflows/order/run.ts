import { CancellationScope, condition } from '@temporalio/workflow';
import type { TimelineEntry } from '../../activities';
import type { CancelRequest, MerchantDecision, ShipmentProgress, ShipRequest } from '../../contract';
import { deriveStatus, parcelValue, type StepStatus } from '../../domain/ledger';
import type { OrderInput, PaymentView } from '../../domain/order';
import { initialOrderState, type OrderState, type SupportFlag } from '../../domain/order-state';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy';
import type { StockDecision } from '../../domain/shortage';
import { handedOver } from '../../domain/tracking';
import { canTransition, TERMINAL_STATUSES } from '../../domain/transitions';
import { db } from '../activities';
import type { Lifecycle } from '../shared/lifecycle';
import type { Parcel, ParcelInbox } from '../shared/parcel';
import { decidePatchesAtStart, PATCH } from './patches';

export const seconds = (s: number) => s * 1000;
export const nowIso = () => new Date().toISOString();
export type Entry = Omit<TimelineEntry, 'at'>;

/** Ends the order early: cancelled (by someone, or by a window) or rejected. */
export class OrderStop extends Error {
  constructor(
    readonly outcome: 'cancelled' | 'rejected',
    readonly reason: string,
    readonly actor: string,
  ) {
    super(reason);
  }
}

/** What the outside world told the order: handlers post here, the main flow consumes it. */
export interface Inbox {
  cancelRequest?: CancelRequest;
  /** Why the main flow refused the cancellation in progress (a shipment was handed over meanwhile). */
  cancelRefusal?: string;
  merchantDecision?: MerchantDecision;
  receipt?: { actor: string };
  riskAnswer?: { approved: boolean; actor: string; note: string };
  riskSettled: boolean;
  walletCapture?: { amount: number; eventId: string };
  stockDecision?: StockDecision;
  restocks: number;
  shipRequests: ShipRequest[];
  /** Extra wallet payments (a dearer substitute): expected amount, and the notification once it came. */
  extraPayments: Map<string, { amount: number; eventId?: string }>;
  progress: ShipmentProgress[];
}

/**
 * One order's run: its state, the inbox its handlers fill, how it moves and publishes, its waits and
 * its saga (compensations registered before each step, unwound in reverse when it stops early).
 */
export class OrderRun {
  readonly orderId: string;
  /** Orders started before a policy value existed get its default. */
  readonly policy: Policy;
  readonly paymentId: string;
  readonly state: OrderState;
  step: StepStatus = 'submitted';
  readonly inbox: Inbox = { riskSettled: false, restocks: 0, shipRequests: [], extraPayments: new Map(), progress: [] };
  /** Version 3: the parcels the order follows itself, by shipment id, in the order they were booked (parcels.ts). */
  readonly parcels = new Map<string, Parcel>();
  /** Tracking heard for parcels not booked yet, by shipment id, handed to each parcel when it is (decision 117). */
  readonly earlyTracking = new Map<string, ParcelInbox>();
  /** Support's window extensions: `open` while an extendable wait runs; each extension bumps `extensions`. */
  readonly windows = { open: false, extensions: 0, receiptExtraMs: 0 };
  supportRefunds = 0;
  refundInFlight = false;
  /**
   * Handlers that would act (a support refund, window extensions, an after-sales request) post their
   * work here and await it; the main flow carries it out at its next wait, so only the main flow acts.
   * Orders started before this ran such work inside the handler, and still do (replay).
   */
  readonly mailboxed: boolean;
  private readonly mailbox: Array<() => Promise<void>> = [];
  private readonly compensations: Array<() => Promise<void>> = [];

  /** `lifecycle`: the version the order's workflow type belongs to (workflows/order/patches.ts, ORDER_LIFECYCLE). */
  constructor(
    readonly input: OrderInput,
    readonly lifecycle: Lifecycle,
  ) {
    this.orderId = input.orderId;
    this.policy = { ...DEFAULT_POLICY, ...input.policy };
    this.paymentId = `pay-${input.orderId}`;
    this.state = initialOrderState(input);
    this.mailboxed = this.takes(PATCH.handlersPostToMailbox);
    decidePatchesAtStart(lifecycle);
  }

  /** Whether this order takes the change behind a patch of workflows/order/patches.ts (version 2: all of them). */
  takes(patchId: string): boolean {
    return this.lifecycle.takes(patchId);
  }

  /** A handler's work: carried out by the main flow (mailboxed orders) or at once (older orders); answers its result. */
  async act<T>(work: () => Promise<T>): Promise<T> {
    if (!this.mailboxed) return work();
    let outcome: { value: T } | { error: unknown } | undefined;
    this.mailbox.push(() =>
      work().then(
        (value) => void (outcome = { value }),
        (error: unknown) => void (outcome = { error }),
      ),
    );
    await condition(() => outcome !== undefined);
    if ('error' in outcome!) throw outcome.error;
    return outcome!.value;
  }

  private async serveMailbox() {
    while (this.mailbox.length > 0) await this.mailbox.shift()!();
  }

  /**
   * The main flow's wait: `condition`, which for mailboxed orders also carries out the handlers' work
   * posted meanwhile and goes on waiting until `done` holds or the time is up. True if `done` holds.
   */
  async until(done: () => boolean, timeoutMs?: number): Promise<boolean> {
    if (!this.mailboxed) return timeoutMs === undefined ? (await condition(done), true) : condition(done, timeoutMs);
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      const wake = () => done() || this.mailbox.length > 0;
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if (left !== undefined && left <= 0) return done();
      const woke = left === undefined ? (await condition(wake), true) : await condition(wake, left);
      await this.serveMailbox();
      if (done()) return true;
      if (!woke) return false;
    }
  }

  isTerminal = () => TERMINAL_STATUSES.includes(this.step);
  anyHandedOver = () => this.state.shipments.some((s) => handedOver(s.status));

  /** Registers the undo of the step about to run. */
  onStop(compensate: () => Promise<void>) {
    this.compensations.push(compensate);
  }

  /** Writes the read model (order row + one timeline entry). */
  async publish(entry: Entry) {
    this.state.status = deriveStatus(this.step, this.state.lines);
    this.state.version += 1;
    await db.projectOrder(this.state, { ...entry, at: nowIso() });
  }

  async moveTo(next: StepStatus, entry: Entry) {
    if (!canTransition(this.step, next)) throw new Error(`illegal order transition ${this.step} → ${next}`);
    this.step = next;
    await this.publish(entry);
  }

  /** Called between steps: a cancellation requested meanwhile takes effect here. */
  checkpoint() {
    const cancel = this.inbox.cancelRequest;
    if (cancel) throw new OrderStop('cancelled', cancel.reason, cancel.actor);
  }

  /** Waits for `done` up to `timeoutSeconds` (or for ever); a cancellation interrupts the wait. */
  async waitFor(done: () => boolean, timeoutSeconds?: number): Promise<boolean> {
    const settled = () => done() || this.inbox.cancelRequest !== undefined;
    const ok = await this.until(settled, timeoutSeconds === undefined ? undefined : seconds(timeoutSeconds));
    this.checkpoint();
    return ok;
  }

  /**
   * waitFor for a window support may extend: an extension wakes the wait, which then waits out the
   * rest of the new deadline. Without one it issues exactly waitFor's commands.
   */
  async waitForWindow(done: () => boolean, timeoutSeconds: number): Promise<boolean> {
    const windows = this.windows;
    windows.open = true;
    try {
      let seen = windows.extensions;
      await this.waitFor(() => done() || windows.extensions !== seen, timeoutSeconds);
      while (!done() && windows.extensions !== seen) {
        seen = windows.extensions;
        const left = Date.parse(this.state.pendingDecision!.until) - Date.now();
        if (left > 0) await this.waitFor(() => done() || windows.extensions !== seen, left / 1000);
      }
      return done();
    } finally {
      windows.open = false;
    }
  }

  /** Marks the order for support; the flag stays on the order (and its row) for good. */
  async raiseFlag(kind: SupportFlag['kind'], detail: Record<string, unknown>) {
    this.state.flags = [...(this.state.flags ?? []), { kind, at: nowIso(), detail }];
    await this.publish({ type: `flag.${kind}`, actor: 'system', detail });
  }

  /** Adds or replaces a payment on the order's view. */
  payment(view: PaymentView): PaymentView {
    const payments = this.state.payments;
    const i = payments.findIndex((p) => p.paymentId === view.paymentId);
    if (i >= 0) payments[i] = view;
    else payments.push(view);
    return view;
  }

  line(lineNo: number): OrderState['lines'][number] {
    return this.state.lines.find((l) => l.lineNo === lineNo)!;
  }

  /** What parcel `seq` collects on delivery: its units' paid price, the shipping fee on the first (docs/pricing.md). */
  codValueOf(seq: number, lines: Array<{ lineNo: number; quantity: number }>): number {
    return parcelValue(this.state.lines, this.state.shipments, seq, lines, this.input.totals.shippingFee);
  }

  receiptDeadline(): string {
    const { state, policy } = this;
    const extension = state.receiptExtended ? policy.receiptExtensionSeconds : 0;
    return new Date(
      Date.parse(state.deliveredAt!) + seconds(policy.autoConfirmSeconds + extension) + this.windows.receiptExtraMs,
    ).toISOString();
  }

  /** The saga: every registered compensation in reverse, not cancellable, then the final status. */
  async stop(s: OrderStop) {
    await this.serveMailbox(); // work accepted before the stop is carried out, then undone with the rest
    await CancellationScope.nonCancellable(async () => {
      for (const compensate of this.compensations.reverse()) await compensate();
    });
    this.state.pendingDecision = undefined;
    if (s.outcome === 'cancelled') this.state.cancellation = { reason: s.reason, actor: s.actor };
    else this.state.rejection = { reason: s.reason };
    await this.moveTo(s.outcome, { type: `order.${s.outcome}`, actor: s.actor, detail: { reason: s.reason } });
  }
}

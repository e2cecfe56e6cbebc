import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import {
  businessKey,
  canTransition,
  DEFAULT_POLICY,
  decisionProblems,
  defaultStockDecision,
  deriveStatus,
  giveUpShortUnits,
  substitute,
  unitsWanted,
  handedOver,
  initialOrderState,
  submittedEntry,
  isFinalShipmentStatus,
  TERMINAL_STATUSES,
  type OrderInput,
  type OrderState,
  type PaymentView,
  type Policy,
  type ShipmentLine,
  type ShipmentView,
  type ShortLine,
  type StepStatus,
  type StockDecision,
  type StockPiece,
  type SupportFlag,
  applyCapture,
  applyGiveBack,
  payerFor,
  refundableOf,
} from '../domain';
import type { RefundOutcome, TimelineEntry } from '../activities';
import type { StockOutcome } from '../activities/stock';
import { db, providers } from './activities';
import {
  cancelAsSupport,
  cancelOrder,
  cancelShipment,
  confirmReceipt,
  EXTENDABLE_WAITS,
  extendWindow,
  recallShipment,
  refundAsSupport,
  decideAsMerchant,
  decideStock,
  extendReceipt,
  FAILURE,
  invalid,
  refuse,
  orderState,
  paymentNotified,
  reviewRisk,
  shipmentProgressed,
  submitVerification,
  shipmentWorkflowId,
  shipOrder,
  stockReplenished,
  type CancelRequest,
  type MerchantDecision,
  type RiskReview,
  type VerificationResult,
  type ShipmentProgress,
  type ShipRequest,
} from '../contract';
import { hostAfterSales } from './order-after-sales';
import { shipmentWorkflow } from './shipment';

/** Completion credits points and keeps the order open for after-sales until its return window ends. */
const AFTER_SALES = 'order-after-sales-window';

/** Ends the order early: cancelled (by someone, or by a window) or rejected. */
class OrderStop extends Error {
  constructor(
    readonly outcome: 'cancelled' | 'rejected',
    readonly reason: string,
    readonly actor: string,
  ) {
    super(reason);
  }
}

/** Changes to the command sequence of existing paths, so that orders already running replay unchanged. */
const NEGOTIATES_SHORTAGE = 'order-negotiates-shortage';
const NOTIFIES_MERCHANT = 'order-notifies-merchant';
const FLAGS_MERCHANT_SLA = 'order-flags-merchant-sla';
/** Cards are authorized at payment and captured at the first hand-over (before: charged at once). */
const CARD_AUTHORIZES = 'order-card-authorizes';
/** What an undelivered shipment gives back appears on the timeline (before: only in the payment). */
const ANNOUNCES_SHIPMENT_REFUNDS = 'order-announces-shipment-refunds';

const seconds = (s: number) => s * 1000;

const nowIso = () => new Date().toISOString();

/**
 * One order's whole life (`order-<orderId>`, SPEC §3): reserve → risk → payment → stock check →
 * merchant → shipments (child workflows) → delivery → sign-off. Every step registers its
 * compensation before it runs; cancellation, declines and expired windows unwind them in reverse.
 */
export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  const { orderId } = input;
  // Orders started before a policy value existed get its default.
  const policy: Policy = { ...DEFAULT_POLICY, ...input.policy };
  let step: StepStatus = 'submitted';
  const state: OrderState = initialOrderState(input);
  const compensations: Array<() => Promise<void>> = [];

  // Inputs from the outside world, consumed by the main flow below.
  let cancelRequest: CancelRequest | undefined;
  let cancelRefusal: string | undefined;
  let merchantDecision: MerchantDecision | undefined;
  let receipt: { actor: string } | undefined;
  let riskAnswer: { approved: boolean; actor: string; note: string } | undefined;
  let riskSettled = false;
  let walletCapture: { amount: number; eventId: string } | undefined;
  let stockDecision: StockDecision | undefined;
  let restocks = 0;
  const shipRequests: ShipRequest[] = [];
  /** Extra wallet payments (a dearer substitute): expected amount, and the notification once it came. */
  const extraPayments = new Map<string, { amount: number; eventId?: string }>();
  const progress: ShipmentProgress[] = [];
  // Support operations (issue 6).
  let windowOpen = false; // an extendable wait is in progress
  let windowExtensions = 0; // bumped by every extension, so the wait re-arms its timer
  let receiptExtraMs = 0;
  let supportRefunds = 0;
  let refundInFlight = false;

  const isTerminal = () => TERMINAL_STATUSES.includes(step);
  const anyHandedOver = () => state.shipments.some((s) => handedOver(s.status));
  const paymentId = `pay-${orderId}`;

  setHandler(orderState, () => state);
  setHandler(paymentNotified, (n) => {
    if (n.paymentId === paymentId && n.type === 'payment.succeeded' && n.amount === input.totals.total) walletCapture ??= { amount: n.amount, eventId: n.eventId };
    const extra = extraPayments.get(n.paymentId);
    if (extra && n.type === 'payment.succeeded' && n.amount === extra.amount) extra.eventId ??= n.eventId;
  });
  setHandler(shipmentProgressed, (p) => void progress.push(p));
  setHandler(stockReplenished, () => void (restocks += 1));

  setHandler(
    decideStock,
    async (decision) => {
      stockDecision = decision;
      // Answered once the decision took effect: the order moved on, or asks the customer again (the
      // substitute is short too, or its price difference awaits a wallet payment).
      await condition(() => stockDecision === undefined && (step !== 'awaiting_stock_decision' || state.pendingDecision !== undefined));
      return state;
    },
    {
      validator: (d) => {
        if (step !== 'awaiting_stock_decision' || state.pendingDecision?.awaiting !== 'stock_decision' || stockDecision || !state.shortage)
          throw new Error(`order is ${state.status}, not awaiting a stock decision`);
        const problems = decisionProblems(state.lines, state.shortage, d);
        if (problems.length) throw invalid(problems);
      },
    },
  );

  setHandler(
    shipOrder,
    async (req) => {
      shipRequests.push(req);
      await condition(() => !shipRequests.includes(req) || isTerminal());
      return state;
    },
    {
      validator: (req) => {
        if (step !== 'fulfilling' || !state.unshipped?.length) throw new Error(`order is ${state.status}; nothing is waiting to be shipped`);
        if (cancelRequest) throw new Error('a cancellation is in progress');
        if (req.warehouseId && !state.unshipped.some((u) => u.warehouseId === req.warehouseId))
          throw invalid([{ field: 'warehouseId', message: `nothing waits to ship from ${req.warehouseId}` }]);
        if (!policy.couriers.includes(req.courier))
          throw invalid([{ field: 'courier', message: `${req.courier} is not one of this merchant's couriers (${policy.couriers.join(', ')})` }]);
      },
    },
  );
  const afterSales = hostAfterSales(input, state, publish);

  /** Hands a cancellation to the main flow and answers with its outcome: cancelled, or refused. */
  async function cancellation(request: CancelRequest): Promise<OrderState> {
    cancelRequest = request;
    await condition(() => isTerminal() || cancelRefusal !== undefined);
    if (cancelRefusal !== undefined) {
      const reason = cancelRefusal;
      cancelRequest = cancelRefusal = undefined;
      throw refuse(reason);
    }
    if (step !== 'cancelled') throw refuse(`order is ${state.status}`);
    return state;
  }

  setHandler(
    cancelOrder,
    (req) => cancellation(req),
    {
      validator: (req) => {
        if (isTerminal()) throw new Error(`order is already ${state.status}`);
        if (anyHandedOver() || ['partially_shipped', 'shipped', 'delivered'].includes(state.status))
          throw new Error('a shipment has been handed over to the courier; only support can cancel now');
        if (cancelRequest) throw new Error('a cancellation is already in progress');
        if (!req.reason?.trim()) throw new Error('reason is required');
      },
    },
  );

  setHandler(
    decideAsMerchant,
    async (decision) => {
      merchantDecision = decision;
      await condition(() => step !== 'awaiting_merchant');
      return state;
    },
    {
      validator: (d) => {
        if (step !== 'awaiting_merchant' || merchantDecision) throw new Error(`order is ${state.status}, not awaiting the merchant`);
        if (d.decision === 'reject' && !d.reason?.trim()) throw new Error('reason is required to reject');
      },
    },
  );

  setHandler(
    confirmReceipt,
    async (who) => {
      receipt = who;
      await condition(() => step === 'completed');
      return state;
    },
    { validator: (_who) => requireDelivered() },
  );

  setHandler(
    extendReceipt,
    async () => {
      state.receiptExtended = true;
      if (state.pendingDecision) state.pendingDecision.until = receiptDeadline();
      await publish({ type: 'receipt.extended', actor: 'platform', detail: { until: receiptDeadline() } });
      return state;
    },
    {
      validator: (_who) => {
        requireDelivered();
        if (state.receiptExtended) throw new Error('the receipt window has already been extended once');
      },
    },
  );

  // Risk holds: support reviews, the platform relays the customer's step-up verification.
  const riskHandler = (answer: (a: RiskReview | VerificationResult) => NonNullable<typeof riskAnswer>) => async (a: RiskReview | VerificationResult) => {
    riskAnswer = answer(a);
    await condition(() => riskSettled || isTerminal());
    return state;
  };
  const requireRiskHold = (awaiting: 'risk_review' | 'verification') => {
    if (state.pendingDecision?.awaiting !== awaiting || riskAnswer) {
      throw new Error(`order is ${state.status}${state.pendingDecision ? ` awaiting ${state.pendingDecision.awaiting}` : ''}, not awaiting ${awaiting === 'risk_review' ? 'a risk review' : 'step-up verification'}`);
    }
  };
  setHandler(reviewRisk, riskHandler((r) => ({ approved: (r as RiskReview).decision === 'approve', actor: r.actor, note: (r as RiskReview).reason })), {
    validator: (r) => {
      requireRiskHold('risk_review');
      if (!r.reason?.trim()) throw invalid('reason is required');
    },
  });
  setHandler(submitVerification, riskHandler((v) => {
    const { result, method, reference } = v as VerificationResult;
    return { approved: result === 'passed', actor: v.actor, note: `verification ${result}${method ? ` (${method}${reference ? ` ${reference}` : ''})` : ''}` };
  }), {
    validator: (v) => {
      requireRiskHold('verification');
      if (v.result !== 'passed' && v.result !== 'failed') throw invalid('result must be passed or failed');
    },
  });

  setHandler(
    refundAsSupport,
    async (req) => {
      const p = refundablePayment(req)!;
      supportRefunds += 1;
      refundInFlight = true;
      let given: RefundOutcome | null;
      try {
        given = await giveBack(p, req.amount, `support-refund-${supportRefunds}`, req.reason, req.actor, false);
        if (!given) throw refuse(`payment ${p.paymentId} has less than ${req.amount} left to refund`);
      } finally {
        refundInFlight = false;
      }
      // Announced once the refund is no longer in flight, so a waiting cancellation runs in the same order as before.
      await announceGiveBack(p, req.amount, req.reason, req.actor, given.released);
      return state;
    },
    {
      validator: (req) => {
        // A completed order stays open through its return window (after-sales): refunds are allowed then.
        if (step === 'cancelled' || step === 'rejected') throw new Error(`order is already ${state.status}`);
        if (refundInFlight || cancelRequest) throw new Error('a refund or a cancellation is already in progress');
        if (!refundablePayment(req)) throw new Error(`no captured payment${req.paymentId ? ` ${req.paymentId}` : ''} has ${req.amount} left to refund (captured − refunded, less what open after-sales requests reserve)`);
      },
    },
  );

  /** The payment a support refund draws on: the one named, else the first with enough left. */
  function refundablePayment(req: { amount: number; paymentId?: string }): PaymentView | undefined {
    if (!Number.isInteger(req.amount) || req.amount <= 0) return undefined;
    const reserved = (state.afterSales ?? []).reduce((t, r) => t + r.reservedAmount, 0);
    const free = state.payments.reduce((t, p) => t + refundableOf(p), 0) - reserved;
    if (free < req.amount) return undefined;
    return state.payments.find((p) => (!req.paymentId || p.paymentId === req.paymentId) && (p.status === 'captured' || p.status === 'authorized') && refundableOf(p) >= req.amount);
  }

  setHandler(
    extendWindow,
    async (req) => {
      const pending = state.pendingDecision!;
      pending.until = new Date(Date.parse(pending.until) + seconds(req.seconds)).toISOString();
      if (pending.awaiting === 'receipt_confirmation') receiptExtraMs += seconds(req.seconds);
      windowExtensions += 1;
      await publish({ type: 'window.extended', actor: req.actor, detail: { awaiting: pending.awaiting, until: pending.until, seconds: req.seconds, reason: req.reason } });
      return state;
    },
    {
      validator: (req) => {
        const pending = state.pendingDecision;
        if (isTerminal() || !pending) throw new Error(`order is ${state.status}: no window is open`);
        if (!(EXTENDABLE_WAITS as readonly string[]).includes(pending.awaiting))
          throw new Error(`the ${pending.awaiting} window cannot be extended${pending.awaiting === 'payment' ? ": the provider's payment action expires with it" : ''}`);
        if (!windowOpen) throw new Error(`order is ${state.status}: its ${pending.awaiting} window has just closed`);
        if (!Number.isInteger(req.seconds) || req.seconds <= 0) throw new Error('seconds must be a positive integer');
      },
    },
  );

  setHandler(
    cancelAsSupport,
    (req) => cancellation({ reason: req.reason, actor: req.actor, recall: true }),
    {
      validator: (_req) => {
        if (isTerminal()) throw new Error(`order is already ${state.status}`);
        if (state.lines.some((l) => l.delivered > 0)) throw new Error('goods have been delivered: use after-sales or a refund instead');
        if (cancelRequest) throw new Error('a cancellation is already in progress');
        if (refundInFlight) throw new Error('a refund is in progress');
      },
    },
  );

  function requireDelivered() {
    if (state.status !== 'delivered' || step !== 'fulfilling') throw new Error(`order is ${state.status}, not delivered`);
  }

  function receiptDeadline(): string {
    const extension = state.receiptExtended ? policy.receiptExtensionSeconds : 0;
    return new Date(Date.parse(state.deliveredAt!) + seconds(policy.autoConfirmSeconds + extension) + receiptExtraMs).toISOString();
  }

  /** Writes the read model (order row + one timeline entry). */
  async function publish(entry: Omit<TimelineEntry, 'at'>) {
    state.status = deriveStatus(step, state.lines);
    state.version += 1;
    await db.projectOrder(state, { ...entry, at: nowIso() });
  }

  async function moveTo(next: StepStatus, entry: Omit<TimelineEntry, 'at'>) {
    if (!canTransition(step, next)) throw new Error(`illegal order transition ${step} → ${next}`);
    step = next;
    await publish(entry);
  }

  /** Called between steps: a cancellation requested meanwhile takes effect here. */
  function checkpoint() {
    if (cancelRequest) throw new OrderStop('cancelled', cancelRequest.reason, cancelRequest.actor);
  }

  /** Waits for `done` up to `timeoutSeconds` (or for ever); a cancellation interrupts the wait. */
  async function waitFor(done: () => boolean, timeoutSeconds?: number): Promise<boolean> {
    const settled = () => done() || cancelRequest !== undefined;
    const ok = timeoutSeconds === undefined ? (await condition(settled), true) : await condition(settled, seconds(timeoutSeconds));
    checkpoint();
    return ok;
  }

  /** Marks the order for support; the flag stays on the order (and its row) for good. */
  async function raiseFlag(kind: SupportFlag['kind'], detail: Record<string, unknown>) {
    state.flags = [...(state.flags ?? []), { kind, at: nowIso(), detail }];
    await publish({ type: `flag.${kind}`, actor: 'system', detail });
  }

  /** Gives back part of what the customer paid (a shortage, a cheaper substitute); cash on delivery has nothing to give back yet. */
  async function refundPart(amount: number, step: string, reason: string) {
    const paid = payerFor(state.payments, amount);
    if (paid) await giveBack(paid, amount, `refund-${step}`, reason);
  }

  /**
   * Gives `amount` of one payment back through the refund guard, and books what it decided: a refund
   * of captured money, or (a card not captured yet) a release from its authorization. Null if refused.
   */
  async function giveBack(p: PaymentView, amount: number, step: string, reason: string, actor = 'system', announce = true): Promise<RefundOutcome | null> {
    const done = await providers.refundPayment({ orderId, paymentId: p.paymentId, idempotencyKey: businessKey(orderId, step), amount, reason });
    if (!done) return null;
    applyGiveBack(p, amount, done.released);
    if (announce) await announceGiveBack(p, amount, reason, actor, done.released);
    return done;
  }

  const announceGiveBack = (p: PaymentView, amount: number, reason: string, actor: string, released: boolean | undefined) =>
    publish({ type: released ? 'payment.released' : 'payment.refunded', actor, detail: { paymentId: p.paymentId, amount, reason } });

  /** The first hand-over takes the money: every card authorization is captured, less what was released. */
  async function captureAuthorized() {
    for (const p of state.payments.filter((p) => p.status === 'authorized')) {
      const { captured } = await providers.captureCard({ orderId, paymentId: p.paymentId, idempotencyKey: businessKey(orderId, `capture-${p.paymentId}`) });
      applyCapture(p, captured);
      await publish({ type: 'payment.captured', actor: 'payment-provider', detail: { paymentId: p.paymentId, amount: captured } });
    }
  }

  /**
   * waitFor for a window support may extend: an extension wakes the wait, which then waits out the
   * rest of the new deadline. Without one it issues exactly waitFor's commands.
   */
  async function waitForWindow(done: () => boolean, timeoutSeconds: number): Promise<boolean> {
    windowOpen = true;
    try {
      let seen = windowExtensions;
      await waitFor(() => done() || windowExtensions !== seen, timeoutSeconds);
      while (!done() && windowExtensions !== seen) {
        seen = windowExtensions;
        const left = Date.parse(state.pendingDecision!.until) - Date.now();
        if (left > 0) await waitFor(() => done() || windowExtensions !== seen, left / 1000);
      }
      return done();
    } finally {
      windowOpen = false;
    }
  }

  function payment(view: PaymentView) {
    const i = state.payments.findIndex((p) => p.paymentId === view.paymentId);
    if (i >= 0) state.payments[i] = view;
    else state.payments.push(view);
    return view;
  }

  // ── Compensations ────────────────────────────────────────────────────────────────────────────

  /** Refunds money captured and not yet refunded; a pending wallet payment is closed first. */
  async function settlePayments(reason: string) {
    if (refundInFlight) await condition(() => !refundInFlight); // a support refund finishes first
    for (const p of state.payments) {
      if (p.status === 'pending' && (p.method === 'wechat_pay' || p.method === 'alipay')) {
        const { capturedBeforeClose } = await providers.closeWalletPayment({ orderId, paymentId: p.paymentId, method: p.method, idempotencyKey: businessKey(orderId, p.paymentId === paymentId ? 'close-payment' : `close-${p.paymentId}`) });
        Object.assign(p, capturedBeforeClose ? { status: 'captured', captured: p.amount } : { status: 'cancelled' });
        delete p.action;
      }
      const refundable = refundableOf(p);
      if (refundable <= 0) continue;
      for (const l of state.lines) l.refunded = l.quantity - l.delivered;
      await giveBack(p, refundable, `refund-${p.paymentId}`, reason);
    }
  }

  // ── The lifecycle ────────────────────────────────────────────────────────────────────────────

  const needs = () => state.lines.map((l) => ({ lineNo: l.lineNo, sku: l.sku, quantity: unitsWanted(l) })).filter((n) => n.quantity > 0);
  const stockRequest = () => ({ orderId, needs: needs(), shippingProvince: input.shippingAddress.province });

  async function submitAndAssess() {
    await db.recordSubmission(input, state, submittedEntry(input));
    compensations.push(() => db.releaseStock({ orderId }).then(() => undefined));
    const paymentDeadline = new Date(Date.parse(input.submittedAt) + seconds(policy.paymentWindowSeconds)).toISOString();
    const reservation = await db.reserveStock({ ...stockRequest(), expiresAt: paymentDeadline });
    checkpoint();
    const risk = await db.assessOrderRisk({ orderId, customerId: input.customer.id, total: input.totals.total, submittedAt: input.submittedAt, policy, phone: input.customer.phone, address: input.shippingAddress });
    if (risk.decision === 'reject') throw new OrderStop('rejected', risk.reason, 'risk-control');
    checkpoint();
    if (risk.decision === 'review' || risk.decision === 'step_up') return { reservation, paymentDeadline: await holdForRisk({ decision: risk.decision, reason: risk.reason }) };
    return { reservation, paymentDeadline };
  }

  /**
   * `under_review` until support reviews (within the review SLA) or the customer verifies (within the
   * verification window); silence applies the policy's default. The stock stays reserved meanwhile,
   * and the payment window starts once the order is approved. Returns the new payment deadline.
   */
  async function holdForRisk(risk: { decision: 'review' | 'step_up'; reason: string }): Promise<string> {
    const review = risk.decision === 'review';
    const windowSeconds = review ? policy.riskReviewSlaSeconds : policy.riskVerificationWindowSeconds;
    const until = new Date(Date.now() + seconds(windowSeconds)).toISOString();
    state.risk = { ...risk };
    state.pendingDecision = review ? { awaiting: 'risk_review', actor: 'support', until } : { awaiting: 'verification', actor: 'platform', until };
    await moveTo('under_review', { type: review ? 'risk.review_requested' : 'risk.verification_requested', actor: 'risk-control', detail: { reason: risk.reason, until } });
    await waitFor(() => riskAnswer !== undefined, windowSeconds);
    const answer = riskAnswer ?? {
      approved: review && policy.riskReviewExpiryAction === 'approve',
      actor: 'policy:risk-window',
      note: `${review ? 'no review within the SLA' : 'no verification within the window'} (default: ${review ? policy.riskReviewExpiryAction : 'reject'})`,
    };
    state.pendingDecision = undefined;
    Object.assign(state.risk, { outcome: answer.approved ? 'approved' : 'rejected', decidedBy: answer.actor, note: answer.note });
    if (!answer.approved) throw new OrderStop('rejected', `${review ? 'risk review' : 'step-up verification'}: ${answer.note}`, answer.actor);
    await publish({ type: 'risk.approved', actor: answer.actor, detail: { note: answer.note } });
    riskSettled = true;
    return new Date(Date.now() + seconds(policy.paymentWindowSeconds)).toISOString();
  }

  async function pay(paymentDeadline: string) {
    compensations.push(() => settlePayments(cancelRequest?.reason ?? 'order cancelled'));
    const total = input.totals.total;
    const base = { orderId, paymentId, idempotencyKey: businessKey(orderId, 'payment'), amount: total, currency: input.totals.currency };
    if (input.paymentMethod === 'cod') {
      await moveTo('cod_pending', { type: 'risk.approved', actor: 'risk-control', detail: { payment: 'cash on delivery' } });
      return;
    }
    if (input.paymentMethod === 'card') {
      const view = await payByCard(base, 'payment declined');
      await moveTo('paid', { type: `payment.${view.status}`, actor: 'payment-provider', detail: { paymentId, amount: total } });
      return;
    }
    const method = input.paymentMethod;
    const action = await providers.createWalletPayment({ ...base, method, expiresAt: paymentDeadline });
    payment({ paymentId, method, status: 'pending', amount: total, captured: 0, refunded: 0, currency: base.currency, action });
    state.pendingDecision = { awaiting: 'payment', actor: 'customer', until: paymentDeadline };
    await moveTo('awaiting_payment', { type: 'payment.requested', actor: 'system', detail: { paymentId, method, action } });
    const remaining = Math.max(0, Date.parse(paymentDeadline) - Date.now()) / 1000;
    if (!(await waitFor(() => walletCapture !== undefined, remaining)))
      throw new OrderStop('cancelled', 'payment window ended without payment', 'system');
    await db.recordCapture({ ...base, method, amount: walletCapture!.amount });
    payment({ paymentId, method, status: 'captured', amount: total, captured: total, refunded: 0, currency: base.currency });
    state.pendingDecision = undefined;
    await moveTo('paid', { type: 'payment.captured', actor: 'payment-provider', detail: { paymentId, amount: total, eventId: walletCapture!.eventId } });
  }

  /** A card payment: authorized (captured at the first hand-over), or charged at once by orders older than that. */
  async function payByCard(base: { orderId: string; paymentId: string; idempotencyKey: string; amount: number; currency: string }, declined: string): Promise<PaymentView> {
    const authorizes = patched(CARD_AUTHORIZES);
    try {
      await (authorizes ? providers.authorizeCard : providers.chargeCard)({ ...base, token: input.cardToken! });
    } catch (err) {
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === FAILURE.paymentDeclined)
        throw new OrderStop('cancelled', `${declined}: ${err.cause.message}`, 'payment-provider');
      throw err;
    }
    const { paymentId: id, amount, currency } = base;
    return payment({ paymentId: id, method: 'card', status: authorizes ? 'authorized' : 'captured', amount, captured: authorizes ? 0 : amount, refunded: 0, currency });
  }

  function recordAllocation(held: readonly StockPiece[]) {
    for (const l of state.lines) l.allocated = held.filter((h) => h.lineNo === l.lineNo).reduce((t, h) => t + h.quantity, 0);
  }

  const describeShort = (short: readonly ShortLine[]) => short.map((s) => `${s.quantity} × ${s.sku}`).join(', ');

  /** Stock check (SPEC §3 step 4): reservations become allocations; a shortage is the customer's to decide. */
  async function allocate(): Promise<StockPiece[]> {
    let outcome = await db.allocateStock(stockRequest());
    recordAllocation(outcome.held);
    while (outcome.short.length > 0) {
      if (!patched(NEGOTIATES_SHORTAGE)) throw new OrderStop('cancelled', `out of stock: ${describeShort(outcome.short)}`, 'system');
      outcome = await resolveShortage(outcome);
    }
    checkpoint();
    return outcome.held;
  }

  async function resolveShortage(outcome: StockOutcome): Promise<StockOutcome> {
    const short = outcome.short;
    const until = new Date(Date.now() + seconds(policy.stockDecisionSeconds)).toISOString();
    state.shortage = short;
    state.pendingDecision = { awaiting: 'stock_decision', actor: 'customer', until };
    const asked = { type: 'stock.short', actor: 'system', detail: { short, until } };
    if (step === 'awaiting_stock_decision') await publish(asked);
    else await moveTo('awaiting_stock_decision', asked);
    await db.notify({ id: `${orderId}:customer.stock_short:${state.version}`, orderId, recipientType: 'customer', recipientId: input.customer.id, channel: 'sms', kind: 'stock.short', payload: { short, until } });

    const answered = await waitForWindow(() => stockDecision !== undefined, policy.stockDecisionSeconds);
    const d = answered ? stockDecision! : defaultStockDecision(policy.stockDecisionDefault, state.lines);
    state.pendingDecision = undefined;
    stockDecision = undefined;
    const decided = { type: 'stock.decided', actor: d.actor, detail: { decision: d.decision, substitutions: d.substitutions } };
    switch (d.decision) {
      case 'cancel':
        throw new OrderStop('cancelled', `out of stock: ${describeShort(short)}${answered ? '' : ' (no decision within the window)'}`, d.actor);
      case 'partial': {
        const value = giveUpShortUnits(state.lines, short);
        state.shortage = undefined;
        await publish(decided);
        await refundPart(value, 'shortage', `out of stock: ${describeShort(short)}`);
        return { held: outcome.held, short: [] };
      }
      case 'substitute': {
        const round = state.lines.filter((l) => l.substituteFor !== undefined).length;
        const delta = substitute(state.lines, short, d.substitutions!);
        state.totals = { ...state.totals, subtotal: state.totals.subtotal + delta, total: state.totals.total + delta };
        state.shortage = undefined;
        await publish({ ...decided, detail: { ...decided.detail, priceDifference: delta } });
        if (delta < 0) await refundPart(-delta, `substitution-${round}`, 'cheaper substitute');
        if (delta > 0) await collectExtra(delta, `substitution-${round}`);
        const next = await db.allocateStock(stockRequest());
        recordAllocation(next.held);
        return next;
      }
      case 'wait_for_restock':
        return waitForRestock(d.actor);
    }
  }

  /** `wait_for_restock`: the order joins each short SKU's queue; restocks serve the queue oldest order first. */
  async function waitForRestock(actor: string): Promise<StockOutcome> {
    const request = () => ({ ...stockRequest(), queuedAt: input.submittedAt });
    let outcome = await db.backorderStock(request());
    state.shortage = outcome.short;
    await moveTo('backordered', { type: 'stock.backordered', actor, detail: { short: outcome.short } });
    while (outcome.short.length > 0) {
      const seen = restocks;
      // A restock signals the order; the periodic look covers stock freed by cancellations and lost signals.
      await waitFor(() => restocks !== seen, policy.backorderRecheckSeconds);
      outcome = await db.backorderStock(request());
      state.shortage = outcome.short;
    }
    state.shortage = undefined;
    recordAllocation(outcome.held);
    await publish({ type: 'stock.restocked', actor: 'system', detail: { allocated: outcome.held } });
    return outcome;
  }

  /** A dearer substitute: the difference is charged (card), asked for (wallets), or collected at the door (COD). */
  async function collectExtra(amount: number, stepName: string) {
    if (input.paymentMethod === 'cod') return;
    const id = `${paymentId}-${stepName}`;
    const base = { orderId, paymentId: id, idempotencyKey: businessKey(orderId, `payment-${stepName}`), amount, currency: input.totals.currency };
    if (input.paymentMethod === 'card') {
      const view = await payByCard(base, 'payment for the substitute declined');
      await publish({ type: `payment.${view.status}`, actor: 'payment-provider', detail: { paymentId: id, amount } });
      return;
    }
    const method = input.paymentMethod;
    const until = new Date(Date.now() + seconds(policy.paymentWindowSeconds)).toISOString();
    extraPayments.set(id, { amount });
    const action = await providers.createWalletPayment({ ...base, method, expiresAt: until });
    payment({ paymentId: id, method, status: 'pending', amount, captured: 0, refunded: 0, currency: base.currency, action });
    state.pendingDecision = { awaiting: 'payment', actor: 'customer', until };
    await publish({ type: 'payment.requested', actor: 'system', detail: { paymentId: id, method, action } });
    if (!(await waitFor(() => extraPayments.get(id)?.eventId !== undefined, policy.paymentWindowSeconds)))
      throw new OrderStop('cancelled', 'the price difference of the substitute was not paid in time', 'system');
    await db.recordCapture({ ...base, method, amount });
    payment({ paymentId: id, method, status: 'captured', amount, captured: amount, refunded: 0, currency: base.currency });
    state.pendingDecision = undefined;
    await publish({ type: 'payment.captured', actor: 'payment-provider', detail: { paymentId: id, amount, eventId: extraPayments.get(id)!.eventId } });
  }

  async function merchantAccepts() {
    if (patched(NOTIFIES_MERCHANT)) {
      const lines = state.lines.filter((l) => l.allocated > 0).map((l) => ({ sku: l.sku, quantity: l.allocated }));
      await db.notify({ id: `${orderId}:merchant.new_order`, orderId, recipientType: 'merchant', recipientId: input.merchantId, channel: 'in_app', kind: 'order.new', payload: { lines, total: state.totals.total, autoAccepted: policy.autoAccept } });
    }
    if (policy.autoAccept) {
      await moveTo('fulfilling', { type: 'merchant.accepted', actor: 'policy:auto-accept' });
      return;
    }
    const until = new Date(Date.now() + seconds(policy.merchantSlaSeconds)).toISOString();
    state.pendingDecision = { awaiting: 'merchant_decision', actor: 'merchant', until };
    await moveTo('awaiting_merchant', { type: 'merchant.notified', actor: 'system', detail: { until } });
    if (!(await waitForWindow(() => merchantDecision !== undefined, policy.merchantSlaSeconds))) {
      if (!patched(FLAGS_MERCHANT_SLA)) throw new OrderStop('cancelled', 'merchant did not answer within the SLA', 'system');
      await raiseFlag('merchant_sla_expired', { until, action: policy.merchantSlaAction });
      if (policy.merchantSlaAction === 'cancel') throw new OrderStop('cancelled', 'merchant did not answer within the SLA', 'system');
      await waitFor(() => merchantDecision !== undefined);
    }
    state.pendingDecision = undefined;
    const d = merchantDecision!;
    if (d.decision === 'reject') throw new OrderStop('rejected', `merchant rejected: ${d.reason}`, d.actor);
    await moveTo('fulfilling', { type: 'merchant.accepted', actor: d.actor });
  }

  /** One shipment child per warehouse (split shipments), booked at once or when the merchant ships by hand. */
  async function ship(allocated: StockPiece[]) {
    const byWarehouse = new Map<string, ShipmentLine[]>();
    for (const { warehouseId, lineNo, sku, quantity } of allocated) byWarehouse.set(warehouseId, [...(byWarehouse.get(warehouseId) ?? []), { lineNo, sku, quantity }]);
    compensations.push(cancelUnshipped);

    async function startShipment(warehouseId: string, lines: ShipmentLine[], [courier, ...fallbackCouriers]: readonly string[]) {
      const seq = state.shipments.length + 1;
      const view: ShipmentView = { shipmentId: shipmentWorkflowId(orderId, seq), seq, warehouseId, status: 'booking', lines };
      state.shipments.push(view);
      const codAmount = input.paymentMethod === 'cod' ? valueOf(lines) : undefined;
      await startChild(shipmentWorkflow, {
        workflowId: view.shipmentId,
        args: [{ orderId, orderWorkflowId: workflowInfo().workflowId, shipmentId: view.shipmentId, seq, warehouseId, courier, fallbackCouriers, maxDeliveryAttempts: policy.deliveryAttempts, address: input.shippingAddress, lines, codAmount }],
      });
    }

    if (policy.autoShip) for (const [warehouseId, lines] of byWarehouse) await startShipment(warehouseId, lines, policy.couriers);
    else await awaitMerchantShipping(byWarehouse);

    let shipSlaFlagged = false;
    while ((state.unshipped?.length ?? 0) > 0 || !state.shipments.every((s) => isFinalShipmentStatus(s.status))) {
      const shipBy = state.unshipped?.length && !shipSlaFlagged ? Date.parse(state.pendingDecision!.until) - Date.now() : undefined;
      const wake = () => progress.length > 0 || cancelRequest !== undefined || shipRequests.length > 0;
      const woke = shipBy === undefined ? (await condition(wake), true) : await condition(wake, Math.max(shipBy, 1));
      if (shipBy !== undefined && !woke) {
        shipSlaFlagged = true;
        await raiseFlag('shipment_sla_expired', { until: state.pendingDecision!.until });
      }
      await applyProgress();
      while (shipRequests.length > 0 && !cancelRequest) {
        const req = shipRequests[0];
        const chosen = (state.unshipped ?? []).filter((u) => !req.warehouseId || u.warehouseId === req.warehouseId);
        state.unshipped = state.unshipped!.filter((u) => !chosen.includes(u));
        if (state.unshipped.length === 0) state.pendingDecision = state.unshipped = undefined;
        for (const u of chosen) await startShipment(u.warehouseId, u.lines, [req.courier, ...policy.couriers.filter((c) => c !== req.courier)]);
        await publish({ type: 'shipment.requested', actor: req.actor, detail: { courier: req.courier, warehouses: chosen.map((u) => u.warehouseId) } });
        shipRequests.shift();
      }
      if (cancelRequest) await (cancelRequest.recall ? recallAndCancel() : cancelBeforeHandOver());
    }
    if (state.lines.every((l) => l.delivered === 0)) throw new OrderStop('cancelled', 'no shipment was delivered', 'system');
  }

  /** Merchants that ship by hand: the allocations wait for POST /v1/orders/{id}/shipments. */
  async function awaitMerchantShipping(byWarehouse: Map<string, ShipmentLine[]>) {
    state.unshipped = [...byWarehouse].map(([warehouseId, lines]) => ({ warehouseId, lines }));
    const until = new Date(Date.now() + seconds(policy.merchantSlaSeconds)).toISOString();
    state.pendingDecision = { awaiting: 'shipment', actor: 'merchant', until };
    await publish({ type: 'shipment.awaiting_merchant', actor: 'system', detail: { warehouses: state.unshipped.map((u) => u.warehouseId), until } });
  }

  function valueOf(lines: Array<{ lineNo: number; quantity: number }>): number {
    return lines.reduce((t, sl) => t + sl.quantity * state.lines.find((l) => l.lineNo === sl.lineNo)!.unitPrice, 0);
  }

  async function applyProgress() {
    while (progress.length > 0) {
      const p = progress.shift()!;
      const shipment = state.shipments.find((s) => s.seq === p.seq)!;
      const wasHandedOver = handedOver(shipment.status);
      Object.assign(shipment, { status: p.status, courier: p.courier, trackingNumber: p.trackingNumber });
      if (p.deliveryAttempts) shipment.deliveryAttempts = p.deliveryAttempts;
      const forEachLine = (apply: (line: OrderState['lines'][number], quantity: number) => void) =>
        shipment.lines.forEach((sl) => apply(state.lines.find((l) => l.lineNo === sl.lineNo)!, sl.quantity));

      if (!wasHandedOver && handedOver(p.status)) {
        await db.shipStock({ orderId, warehouseId: shipment.warehouseId });
        forEachLine((l, q) => (l.shipped += q));
        await captureAuthorized();
      }
      if (p.status === 'delivered') forEachLine((l, q) => (l.delivered += q));
      if (p.status === 'cancelled' || p.status === 'returned_to_sender') await settleUndelivered(shipment);
      if (p.codCollected) await recordCod(shipment, p.codCollected.amount);
      await publish({ type: `shipment.${p.status}`, actor: p.event ? `courier:${p.courier}` : 'system', detail: { seq: p.seq, trackingNumber: p.trackingNumber, location: p.event?.location, signedBy: p.event?.signedBy } });
    }
  }

  /** A shipment that will never reach the customer: its stock goes back, its lines are refunded. */
  async function settleUndelivered(shipment: ShipmentView) {
    if (shipment.status === 'returned_to_sender') await db.restockReturned({ orderId, warehouseId: shipment.warehouseId });
    else await db.releaseStock({ orderId, warehouseId: shipment.warehouseId });
    const amount = valueOf(shipment.lines);
    for (const sl of shipment.lines) {
      const line = state.lines.find((l) => l.lineNo === sl.lineNo)!;
      line.allocated -= sl.quantity;
      if (shipment.status === 'returned_to_sender') line.shipped -= sl.quantity;
      line.refunded += sl.quantity;
    }
    const paid = payerFor(state.payments, amount);
    if (paid) await giveBack(paid, amount, `refund-shipment-${shipment.seq}`, `shipment ${shipment.seq} ${shipment.status}`, 'system', patched(ANNOUNCES_SHIPMENT_REFUNDS));
  }

  async function recordCod(shipment: ShipmentView, amount: number) {
    const expected = valueOf(shipment.lines);
    const id = `${paymentId}-cod-${shipment.seq}`;
    await db.recordCapture({ orderId, paymentId: id, idempotencyKey: businessKey(orderId, `cod-${shipment.seq}`), amount, currency: input.totals.currency, method: 'cod' });
    payment({ paymentId: id, method: 'cod', status: 'captured', amount, captured: amount, refunded: 0, currency: input.totals.currency });
    if (amount === expected) return;
    state.flags = [...(state.flags ?? []), { kind: 'cod_mismatch', at: nowIso(), detail: { seq: shipment.seq, expected, collected: amount } }];
    await publish({ type: 'payment.cod_mismatch', actor: 'system', detail: { seq: shipment.seq, expected, collected: amount } });
  }

  /**
   * The customer may cancel until the first hand-over. Each shipment decides for itself (its tracking
   * events are the truth); if one was picked up meanwhile, the cancellation is refused.
   */
  async function cancelBeforeHandOver() {
    if (!anyHandedOver()) {
      await cancelUnshipped();
      if (!anyHandedOver()) throw new OrderStop('cancelled', cancelRequest!.reason, cancelRequest!.actor);
    }
    cancelRefusal = 'a shipment has been handed over to the courier; only support can cancel now';
    await condition(() => cancelRequest === undefined);
  }

  /**
   * Support's cancellation after hand-over: shipments with the courier are recalled (the parcel comes
   * back, its stock returns, its value is refunded), the others cancelled; then the saga runs.
   */
  async function recallAndCancel() {
    const { reason, actor } = cancelRequest!;
    for (const s of state.shipments.filter((x) => !isFinalShipmentStatus(x.status)))
      await getExternalWorkflowHandle(s.shipmentId).signal(handedOver(s.status) ? recallShipment : cancelShipment, { reason });
    while (!state.shipments.every((s) => isFinalShipmentStatus(s.status))) {
      await condition(() => progress.length > 0);
      await applyProgress();
    }
    if (state.lines.every((l) => l.delivered === 0)) throw new OrderStop('cancelled', reason, actor);
    cancelRefusal = 'a shipment was delivered meanwhile; the others were recalled';
    await condition(() => cancelRequest === undefined);
  }

  async function cancelUnshipped() {
    const open = state.shipments.filter((s) => !isFinalShipmentStatus(s.status) && !handedOver(s.status));
    for (const s of open) await getExternalWorkflowHandle(s.shipmentId).signal(cancelShipment, { reason: cancelRequest?.reason ?? 'order cancelled' });
    while (!open.every((s) => s.status === 'cancelled' || handedOver(s.status) || isFinalShipmentStatus(s.status))) {
      await condition(() => progress.length > 0);
      await applyProgress();
    }
  }

  async function signOff() {
    state.deliveredAt = nowIso();
    state.pendingDecision = { awaiting: 'receipt_confirmation', actor: 'platform', until: receiptDeadline() };
    await publish({ type: 'order.delivered', actor: 'system' });
    windowOpen = true;
    while (!receipt) {
      const left = Date.parse(receiptDeadline()) - Date.now();
      if (left <= 0) break;
      const extended = state.receiptExtended;
      const extensions = windowExtensions;
      await condition(() => receipt !== undefined || state.receiptExtended !== extended || afterSales.pending() || windowExtensions !== extensions, left);
      await afterSales.apply();
    }
    windowOpen = false;
    state.pendingDecision = undefined;
    state.completedAt = nowIso();
    const points = patched(AFTER_SALES) ? { points: await afterSales.creditPoints() } : undefined;
    await moveTo('completed', { type: receipt ? 'receipt.confirmed' : 'receipt.auto_confirmed', actor: receipt?.actor ?? 'system', detail: points });
  }

  async function stop(s: OrderStop) {
    await CancellationScope.nonCancellable(async () => {
      for (const compensate of compensations.reverse()) await compensate();
    });
    state.pendingDecision = undefined;
    if (s.outcome === 'cancelled') state.cancellation = { reason: s.reason, actor: s.actor };
    else state.rejection = { reason: s.reason };
    await moveTo(s.outcome, { type: `order.${s.outcome}`, actor: s.actor, detail: { reason: s.reason } });
  }

  try {
    const { paymentDeadline } = await submitAndAssess();
    await pay(paymentDeadline);
    const allocated = await allocate();
    await merchantAccepts();
    await ship(allocated);
    await signOff();
    if (patched(AFTER_SALES)) await afterSales.afterCompletion();
  } catch (err) {
    if (!(err instanceof OrderStop)) throw err;
    await stop(err);
  }
  return state;
}

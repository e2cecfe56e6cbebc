import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import {
  businessKey,
  canTransition,
  deriveStatus,
  handedOver,
  initialOrderState,
  submittedEntry,
  isFinalShipmentStatus,
  TERMINAL_STATUSES,
  type OrderInput,
  type OrderState,
  type PaymentView,
  type ShipmentView,
  type StepStatus,
  type StockPiece,
} from '../domain';
import type { TimelineEntry } from '../activities';
import { db, providers } from './activities';
import {
  cancelOrder,
  cancelShipment,
  confirmReceipt,
  decideAsMerchant,
  extendReceipt,
  FAILURE,
  orderState,
  paymentNotified,
  shipmentProgressed,
  shipmentWorkflowId,
  type CancelRequest,
  type MerchantDecision,
  type ShipmentProgress,
} from './definitions';
import { shipmentWorkflow } from './shipment';

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

const seconds = (s: number) => s * 1000;
const nowIso = () => new Date().toISOString();

/**
 * One order's whole life (`order-<orderId>`, SPEC §3): reserve → risk → payment → stock check →
 * merchant → shipments (child workflows) → delivery → sign-off. Every step registers its
 * compensation before it runs; cancellation, declines and expired windows unwind them in reverse.
 */
export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  const { orderId, policy } = input;
  let step: StepStatus = 'submitted';
  const state: OrderState = initialOrderState(input);
  const compensations: Array<() => Promise<void>> = [];

  // Inputs from the outside world, consumed by the main flow below.
  let cancelRequest: CancelRequest | undefined;
  let cancelRefusal: string | undefined;
  let merchantDecision: MerchantDecision | undefined;
  let receipt: { actor: string } | undefined;
  let walletCapture: { amount: number; eventId: string } | undefined;
  const progress: ShipmentProgress[] = [];

  const isTerminal = () => TERMINAL_STATUSES.includes(step);
  const anyHandedOver = () => state.shipments.some((s) => handedOver(s.status));
  const paymentId = `pay-${orderId}`;

  setHandler(orderState, () => state);
  setHandler(paymentNotified, (n) => {
    if (n.paymentId === paymentId && n.type === 'payment.succeeded' && n.amount === input.totals.total) walletCapture ??= { amount: n.amount, eventId: n.eventId };
  });
  setHandler(shipmentProgressed, (p) => void progress.push(p));

  setHandler(
    cancelOrder,
    async (req) => {
      cancelRequest = req;
      await condition(() => isTerminal() || cancelRefusal !== undefined);
      if (cancelRefusal !== undefined) {
        const reason = cancelRefusal;
        cancelRequest = cancelRefusal = undefined;
        throw ApplicationFailure.create({ type: FAILURE.notAllowed, message: reason, nonRetryable: true });
      }
      if (step !== 'cancelled') throw ApplicationFailure.create({ type: FAILURE.notAllowed, message: `order is ${state.status}`, nonRetryable: true });
      return state;
    },
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

  function requireDelivered() {
    if (state.status !== 'delivered' || step !== 'fulfilling') throw new Error(`order is ${state.status}, not delivered`);
  }

  function receiptDeadline(): string {
    const extension = state.receiptExtended ? policy.receiptExtensionSeconds : 0;
    return new Date(Date.parse(state.deliveredAt!) + seconds(policy.autoConfirmSeconds + extension)).toISOString();
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

  /** Waits for `done` up to `timeoutSeconds`; a cancellation interrupts the wait. */
  async function waitFor(done: () => boolean, timeoutSeconds: number): Promise<boolean> {
    const ok = await condition(() => done() || cancelRequest !== undefined, seconds(timeoutSeconds));
    checkpoint();
    return ok;
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
    for (const p of state.payments) {
      if (p.status === 'pending' && (p.method === 'wechat_pay' || p.method === 'alipay')) {
        const { capturedBeforeClose } = await providers.closeWalletPayment({ orderId, paymentId: p.paymentId, method: p.method, idempotencyKey: businessKey(orderId, 'close-payment') });
        Object.assign(p, capturedBeforeClose ? { status: 'captured', captured: p.amount } : { status: 'cancelled' });
        delete p.action;
      }
      const refundable = p.captured - p.refunded;
      if (refundable <= 0) continue;
      await providers.refundPayment({ orderId, paymentId: p.paymentId, idempotencyKey: businessKey(orderId, `refund-${p.paymentId}`), amount: refundable, reason });
      p.refunded += refundable;
      for (const l of state.lines) l.refunded = l.quantity - l.delivered;
      await publish({ type: 'payment.refunded', actor: 'system', detail: { paymentId: p.paymentId, amount: refundable, reason } });
    }
  }

  // ── The lifecycle ────────────────────────────────────────────────────────────────────────────

  const needs = () => state.lines.map((l) => ({ lineNo: l.lineNo, sku: l.sku, quantity: l.quantity }));
  const stockRequest = () => ({ orderId, needs: needs(), shippingProvince: input.shippingAddress.province });

  async function submitAndAssess() {
    await db.recordSubmission(input, state, submittedEntry(input));
    compensations.push(() => db.releaseStock({ orderId }).then(() => undefined));
    const paymentDeadline = new Date(Date.parse(input.submittedAt) + seconds(policy.paymentWindowSeconds)).toISOString();
    const reservation = await db.reserveStock({ ...stockRequest(), expiresAt: paymentDeadline });
    checkpoint();
    const risk = await db.assessOrderRisk({ orderId, customerId: input.customer.id, total: input.totals.total, submittedAt: input.submittedAt, policy });
    if (risk.decision === 'reject') throw new OrderStop('rejected', risk.reason, 'risk-control');
    checkpoint();
    return { reservation, paymentDeadline };
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
      try {
        await providers.chargeCard({ ...base, token: input.cardToken! });
      } catch (err) {
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === FAILURE.paymentDeclined)
          throw new OrderStop('cancelled', `payment declined: ${err.cause.message}`, 'payment-provider');
        throw err;
      }
      payment({ paymentId, method: 'card', status: 'captured', amount: total, captured: total, refunded: 0, currency: base.currency });
      await moveTo('paid', { type: 'payment.captured', actor: 'payment-provider', detail: { paymentId, amount: total } });
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

  async function allocate(): Promise<StockPiece[]> {
    const allocation = await db.allocateStock(stockRequest());
    for (const l of state.lines) l.allocated = allocation.held.filter((h) => h.lineNo === l.lineNo).reduce((t, h) => t + h.quantity, 0);
    if (allocation.short.length > 0) {
      const detail = allocation.short.map((s) => `${s.quantity} × ${s.sku}`).join(', ');
      throw new OrderStop('cancelled', `out of stock: ${detail}`, 'system');
    }
    checkpoint();
    return allocation.held;
  }

  async function merchantAccepts() {
    if (policy.autoAccept) {
      await moveTo('fulfilling', { type: 'merchant.accepted', actor: 'policy:auto-accept' });
      return;
    }
    const until = new Date(Date.now() + seconds(policy.merchantSlaSeconds)).toISOString();
    state.pendingDecision = { awaiting: 'merchant_decision', actor: 'merchant', until };
    await moveTo('awaiting_merchant', { type: 'merchant.notified', actor: 'system', detail: { until } });
    if (!(await waitFor(() => merchantDecision !== undefined, policy.merchantSlaSeconds)))
      throw new OrderStop('cancelled', 'merchant did not answer within the SLA', 'system');
    state.pendingDecision = undefined;
    const d = merchantDecision!;
    if (d.decision === 'reject') throw new OrderStop('rejected', `merchant rejected: ${d.reason}`, d.actor);
    await moveTo('fulfilling', { type: 'merchant.accepted', actor: d.actor });
  }

  async function ship(allocated: StockPiece[]) {
    const byWarehouse = new Map<string, StockPiece[]>();
    for (const piece of allocated) byWarehouse.set(piece.warehouseId, [...(byWarehouse.get(piece.warehouseId) ?? []), piece]);
    compensations.push(cancelUnshipped);

    let seq = 0;
    for (const [warehouseId, pieces] of byWarehouse) {
      seq += 1;
      const lines = pieces.map(({ lineNo, sku, quantity }) => ({ lineNo, sku, quantity }));
      const view: ShipmentView = { shipmentId: shipmentWorkflowId(orderId, seq), seq, warehouseId, status: 'booking', lines };
      state.shipments.push(view);
      const codAmount = input.paymentMethod === 'cod' ? valueOf(lines) : undefined;
      await startChild(shipmentWorkflow, {
        workflowId: view.shipmentId,
        args: [{ orderId, orderWorkflowId: workflowInfo().workflowId, shipmentId: view.shipmentId, seq, warehouseId, courier: 'sf-express', address: input.shippingAddress, lines, codAmount }],
      });
    }

    while (!state.shipments.every((s) => isFinalShipmentStatus(s.status))) {
      await condition(() => progress.length > 0 || cancelRequest !== undefined);
      await applyProgress();
      if (cancelRequest) await cancelBeforeHandOver();
    }
    if (state.lines.every((l) => l.delivered === 0)) throw new OrderStop('cancelled', 'no shipment was delivered', 'system');
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
      const forEachLine = (apply: (line: OrderState['lines'][number], quantity: number) => void) =>
        shipment.lines.forEach((sl) => apply(state.lines.find((l) => l.lineNo === sl.lineNo)!, sl.quantity));

      if (!wasHandedOver && handedOver(p.status)) {
        await db.shipStock({ orderId, warehouseId: shipment.warehouseId });
        forEachLine((l, q) => (l.shipped += q));
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
    const paid = state.payments.find((p) => p.captured - p.refunded >= amount && p.method !== 'cod');
    if (!paid) return;
    await providers.refundPayment({ orderId, paymentId: paid.paymentId, idempotencyKey: businessKey(orderId, `refund-shipment-${shipment.seq}`), amount, reason: `shipment ${shipment.seq} ${shipment.status}` });
    paid.refunded += amount;
  }

  async function recordCod(shipment: ShipmentView, amount: number) {
    const expected = valueOf(shipment.lines);
    const id = `${paymentId}-cod-${shipment.seq}`;
    await db.recordCapture({ orderId, paymentId: id, idempotencyKey: businessKey(orderId, `cod-${shipment.seq}`), amount, currency: input.totals.currency, method: 'cod' });
    payment({ paymentId: id, method: 'cod', status: 'captured', amount, captured: amount, refunded: 0, currency: input.totals.currency });
    if (amount !== expected) await publish({ type: 'payment.cod_mismatch', actor: 'system', detail: { seq: shipment.seq, expected, collected: amount } });
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
    while (!receipt) {
      const left = Date.parse(receiptDeadline()) - Date.now();
      if (left <= 0) break;
      const extended = state.receiptExtended;
      await condition(() => receipt !== undefined || state.receiptExtended !== extended, left);
    }
    state.pendingDecision = undefined;
    state.completedAt = nowIso();
    await moveTo('completed', { type: receipt ? 'receipt.confirmed' : 'receipt.auto_confirmed', actor: receipt?.actor ?? 'system' });
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
  } catch (err) {
    if (!(err instanceof OrderStop)) throw err;
    await stop(err);
  }
  return state;
}

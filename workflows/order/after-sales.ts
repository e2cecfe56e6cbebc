import { allHandlersFinished, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import {
  afterSalesPolicy,
  claimableUnits,
  FINAL_AFTER_SALES,
  pointsFor,
  requestValue,
  type AfterSalesInput,
  type AfterSalesLine,
  type AfterSalesSummary,
  type OrderInput,
  type OrderState,
} from '../../domain';
import type { TimelineEntry } from '../../activities';
import { db } from '../activities';
import { afterSalesWorkflow } from '../after-sales';
import { afterSalesProgressed, afterSalesWorkflowId, invalidField, refuse, requestAfterSales, type AfterSalesCommand, type AfterSalesProgress } from '../../contract';

const seconds = (s: number) => s * 1000;
/** Shipments of request n are numbered from n × this, above the order's own. */
const SHIPMENT_SEQ_PER_REQUEST = 100;

/**
 * The order's side of after-sales (docs/after-sales.md), used by the order workflow once goods are delivered:
 * the `requestAfterSales` Update (window, lines and quantities checked before anything starts), one
 * child workflow per request, and the effects its children report — refunds on the payments, returned
 * and refunded units on the ledger, points reversed — published on the order's timeline.
 */
export interface HostPorts {
  publish(entry: Omit<TimelineEntry, 'at'>): Promise<void>;
  /** The order's wait (carries out handlers' work posted meanwhile). */
  until(done: () => boolean, timeoutMs?: number): Promise<boolean>;
  /** Has the main flow carry out a handler's work. */
  act<T>(work: () => Promise<T>): Promise<T>;
}

export function hostAfterSales(input: OrderInput, state: OrderState, { publish, until, act }: HostPorts) {
  const { orderId } = input;
  const policy = afterSalesPolicy(input.policy);
  const inbox: AfterSalesProgress[] = [];
  const isOpen = (r: AfterSalesSummary) => !FINAL_AFTER_SALES.includes(r.status);
  const windowEnd = () => Date.parse(state.deliveredAt!) + seconds(policy.returnWindowSeconds);
  const paidNet = () => state.payments.reduce((t, p) => t + p.captured - p.refunded, 0);
  /** Money not yet refunded nor held by an open request: what a new request may still claim. */
  const refundableLeft = () => paidNet() - state.afterSales.filter(isOpen).reduce((t, r) => t + r.reservedAmount, 0);

  setHandler(afterSalesProgressed, (p) => void inbox.push(p));

  /** Checks a request against the window and the ledger; returns its lines priced and placed. */
  function check(cmd: AfterSalesCommand): AfterSalesLine[] {
    if (!state.deliveredAt || !['delivered', 'completed'].includes(state.status)) throw refuse(`order is ${state.status}; after-sales requests start once it is delivered`);
    if (Date.now() > windowEnd()) throw refuse(`the return window ended at ${new Date(windowEnd()).toISOString()}`);
    const open = state.afterSales.filter(isOpen);
    const lines = cmd.lines.map((l, i) => {
      const line = state.lines.find((ol) => ol.sku === l.sku);
      if (!line) throw invalidField(`lines.${i}.sku`, `${l.sku} is not a line of this order`);
      const claimable = claimableUnits(line, open);
      if (l.quantity > claimable)
        throw invalidField(`lines.${i}.quantity`, `only ${Math.max(0, claimable)} of ${l.sku} can be claimed (delivered ${line.delivered}, returned ${line.returned}, in open requests ${line.delivered - line.returned - claimable})`);
      const shipment = state.shipments.find((s) => s.status === 'delivered' && s.lines.some((sl) => sl.lineNo === line.lineNo));
      return { lineNo: line.lineNo, sku: line.sku, name: line.name, unitPrice: line.unitPrice, quantity: l.quantity, warehouseId: shipment?.warehouseId ?? state.shipments[0].warehouseId };
    });
    if (cmd.compensation?.kind === 'refund' && cmd.compensation.amount > refundableLeft())
      throw invalidField('compensation.amount', `exceeds what can still be refunded (${Math.max(0, refundableLeft())})`);
    return lines;
  }

  setHandler(
    requestAfterSales,
    (cmd) => act(() => admit(cmd)),
    {
      validator: (cmd: AfterSalesCommand) => {
        if (!state.afterSales.some((r) => r.requestId === cmd.requestId)) check(cmd);
      },
    },
  );

  /** Records a request on the order and starts its child workflow; the same request id again answers the known one. */
  async function admit(cmd: AfterSalesCommand): Promise<AfterSalesSummary & { replayed?: boolean }> {
      const known = state.afterSales.find((r) => r.requestId === cmd.requestId);
      if (known) return { ...known, replayed: true }; // the same Idempotency-Key again
      const lines = check(cmd); // again: another request may have been admitted since validation
      const requestNo = state.afterSales.length + 1;
      const value = requestValue({ type: cmd.type, lines, compensation: cmd.compensation });
      const summary: AfterSalesSummary = {
        requestId: cmd.requestId,
        type: cmd.type,
        status: 'awaiting_decision',
        lines: lines.map(({ lineNo, sku, quantity }) => ({ lineNo, sku, quantity })),
        reservedAmount: Math.max(0, Math.min(value, refundableLeft())),
        refunded: 0,
        requestedAt: new Date().toISOString(),
      };
      state.afterSales.push(summary);
      inbox.push({ requestId: cmd.requestId, status: summary.status, entry: { type: 'after_sales.requested', actor: cmd.actor, detail: { type: cmd.type, reason: cmd.reason, lines: summary.lines, compensation: cmd.compensation } } });
      const childInput: AfterSalesInput = {
        requestId: cmd.requestId,
        orderId,
        orderWorkflowId: workflowInfo().workflowId,
        merchantId: state.merchantId,
        customerId: state.customerId,
        type: cmd.type,
        reason: cmd.reason,
        description: cmd.description,
        evidenceUrls: cmd.evidenceUrls,
        compensation: cmd.compensation,
        lines,
        currency: state.totals.currency,
        paymentMethod: state.paymentMethod,
        address: input.shippingAddress,
        policy,
        seqBase: requestNo * SHIPMENT_SEQ_PER_REQUEST,
        actor: cmd.actor,
        requestedAt: summary.requestedAt,
      };
      await startChild(afterSalesWorkflow, { workflowId: afterSalesWorkflowId(cmd.requestId), args: [childInput] });
      return summary;
  }

  /** Applies what the requests reported: money, ledger, points, and one timeline entry per step. */
  async function apply() {
    while (inbox.length > 0) {
      const p = inbox.shift()!;
      const summary = state.afterSales.find((r) => r.requestId === p.requestId);
      if (!summary) continue;
      summary.status = p.status;
      let refunded = 0;
      for (const r of p.refunds ?? []) {
        const payment = state.payments.find((x) => x.paymentId === r.paymentId);
        if (payment) payment.refunded += r.amount;
        refunded += r.amount;
      }
      summary.refunded += refunded;
      for (const u of p.returned ?? []) state.lines.find((l) => l.lineNo === u.lineNo)!.returned += u.quantity;
      for (const u of p.refundedUnits ?? []) state.lines.find((l) => l.lineNo === u.lineNo)!.refunded += u.quantity;
      // What an open request already refunded (an exchange's shortage) no longer needs reserving.
      summary.reservedAmount = isOpen(summary) ? Math.max(0, summary.reservedAmount - refunded) : 0;
      await publish({ type: p.entry.type, actor: p.entry.actor, detail: { requestId: p.requestId, ...p.entry.detail } });
      if (refunded > 0) await reversePoints(p.requestId);
    }
  }

  /** Points earned on refunded money are taken back (only once they were credited, at completion). */
  async function reversePoints(requestId: string) {
    const points = state.points;
    if (!points) return;
    const reverse = points.credited - points.reversed - pointsFor(paidNet());
    if (reverse <= 0) return;
    await db.recordPoints({ id: `${orderId}:points-reversal:${requestId}`, customerId: state.customerId, orderId, delta: -reverse, reason: `refund of after-sales request ${requestId}` });
    points.reversed += reverse;
    await publish({ type: 'points.reversed', actor: 'system', detail: { requestId, points: reverse } });
  }

  /** Completion credits the points of what the customer finally paid (docs/decisions/030-points.md); the completion entry shows them. */
  async function creditPoints(): Promise<number> {
    const credited = pointsFor(paidNet());
    state.points = { credited, reversed: 0 };
    if (credited > 0) await db.recordPoints({ id: `${orderId}:points-earned`, customerId: state.customerId, orderId, delta: credited, reason: 'order completed' });
    return credited;
  }

  return {
    /** Reports are waiting to be applied (the sign-off wait wakes for them). */
    pending: () => inbox.length > 0,
    apply,
    creditPoints,
    /**
     * After completion the order stays open until its return window has ended and every request on
     * it has finished, so late requests are still checked against its ledger.
     */
    async afterCompletion() {
      for (;;) {
        await apply();
        const left = windowEnd() - Date.now();
        const settled = () => !state.afterSales.some(isOpen) && allHandlersFinished();
        if (left <= 0 && settled()) break;
        if (left > 0) await until(() => inbox.length > 0, left);
        else await until(() => inbox.length > 0 || settled());
      }
    },
  };
}
export type AfterSalesHost = ReturnType<typeof hostAfterSales>;

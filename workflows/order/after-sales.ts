import { allHandlersFinished, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import {
  afterSalesPolicy,
  claimableUnits,
  FINAL_AFTER_SALES,
  pointsFor,
  requestValue,
  type AfterSalesInput,
  type AfterSalesLine,
  type AfterSalesPolicy,
  type AfterSalesSummary,
} from '../../domain/after-sales';
import { linePaid } from '../../domain/ledger';
import type { OrderInput } from '../../domain/order';
import type { OrderState } from '../../domain/order-state';
import { paidOfUnits } from '../../domain/pricing/allocate';
import type { TimelineEntry } from '../../activities';
import { db } from '../activities';
import { PATCH } from './patches';
import type { afterSalesWorkflow } from '../after-sales';
import type { Lifecycle } from '../shared/lifecycle';
import {
  afterSalesProgressed,
  afterSalesWorkflowId,
  invalidField,
  refuse,
  requestAfterSales,
  type AfterSalesCommand,
  type AfterSalesProgress,
} from '../../contract';

const seconds = (s: number) => s * 1000;
/** Shipments of request n are numbered from n × this, above the order's own. */
const SHIPMENT_SEQ_PER_REQUEST = 100;

/** What the order lends its after-sales host: its timeline, its wait, and its main flow for a handler's work. */
export interface HostPorts {
  publish(entry: Omit<TimelineEntry, 'at'>): Promise<void>;
  /** The order's wait (carries out handlers' work posted meanwhile). */
  until(done: () => boolean, timeoutMs?: number): Promise<boolean>;
  /** Has the main flow carry out a handler's work. */
  act<T>(work: () => Promise<T>): Promise<T>;
  /** The order's lifecycle version: its patches, and the type of its after-sales children. */
  lifecycle: Lifecycle;
}

/**
 * The order's side of after-sales (docs/after-sales.md), used by the order workflow once goods are
 * delivered: the `requestAfterSales` Update (window, lines and quantities checked before anything
 * starts), one child workflow per request, and the effects its children report — refunds on the
 * payments, returned and refunded units on the ledger, points reversed — published on the order's timeline.
 */
export function hostAfterSales(input: OrderInput, state: OrderState, ports: HostPorts): AfterSalesHost {
  const host = new AfterSalesHost(input, state, ports);
  setHandler(afterSalesProgressed, (p) => void host.inbox.push(p));
  setHandler(requestAfterSales, (cmd) => ports.act(() => host.admit(cmd)), {
    validator: (cmd: AfterSalesCommand) => {
      if (!state.afterSales.some((r) => r.requestId === cmd.requestId)) host.check(cmd);
    },
  });
  return host;
}

const isOpen = (r: AfterSalesSummary) => !FINAL_AFTER_SALES.includes(r.status);

export class AfterSalesHost {
  /** What the requests reported, applied by the order's main flow. */
  readonly inbox: AfterSalesProgress[] = [];
  private readonly orderId: string;
  private readonly policy: AfterSalesPolicy;

  constructor(
    private readonly input: OrderInput,
    private readonly state: OrderState,
    private readonly ports: HostPorts,
  ) {
    this.orderId = input.orderId;
    this.policy = afterSalesPolicy(input.policy);
  }

  private windowEnd = () => Date.parse(this.state.deliveredAt!) + seconds(this.policy.returnWindowSeconds);
  private paidNet = () => this.state.payments.reduce((t, p) => t + p.captured - p.refunded, 0);
  /** Money not yet refunded nor held by an open request: what a new request may still claim. */
  private refundableLeft = () =>
    this.paidNet() - this.state.afterSales.filter(isOpen).reduce((t, r) => t + r.reservedAmount, 0);

  /** Checks a request against the window and the ledger; returns its lines priced and placed. */
  check(cmd: AfterSalesCommand): AfterSalesLine[] {
    const { state } = this;
    if (!state.deliveredAt || !['delivered', 'completed'].includes(state.status))
      throw refuse(`order is ${state.status}; after-sales requests start once it is delivered`);
    if (Date.now() > this.windowEnd())
      throw refuse(`the return window ended at ${new Date(this.windowEnd()).toISOString()}`);
    const open = state.afterSales.filter(isOpen);
    const lines = cmd.lines.map((l, i) => {
      const line = state.lines.find((ol) => ol.sku === l.sku);
      if (!line) throw invalidField(`lines.${i}.sku`, `${l.sku} is not a line of this order`);
      const claimable = claimableUnits(line, open);
      if (l.quantity > claimable)
        throw invalidField(
          `lines.${i}.quantity`,
          `only ${Math.max(0, claimable)} of ${l.sku} can be claimed (delivered ${line.delivered}, returned ${line.returned}, in open requests ${line.delivered - line.returned - claimable})`,
        );
      const shipment = state.shipments.find(
        (s) => s.status === 'delivered' && s.lines.some((sl) => sl.lineNo === line.lineNo),
      );
      // The units after those already given back or held by open requests (docs/pricing.md); on a line without a discount, unitPrice × quantity.
      const paid = paidOfUnits(
        linePaid(line),
        line.quantity,
        line.refunded + (line.delivered - line.returned - claimable),
        l.quantity,
      );
      return {
        lineNo: line.lineNo,
        sku: line.sku,
        name: line.name,
        unitPrice: line.unitPrice,
        quantity: l.quantity,
        ...(line.discount ? { paid } : {}),
        warehouseId: shipment?.warehouseId ?? state.shipments[0].warehouseId,
      };
    });
    if (cmd.compensation?.kind === 'refund' && cmd.compensation.amount > this.refundableLeft())
      throw invalidField(
        'compensation.amount',
        `exceeds what can still be refunded (${Math.max(0, this.refundableLeft())})`,
      );
    return lines;
  }

  /** Records a request on the order and starts its child workflow; the same request id again answers the known one. */
  async admit(cmd: AfterSalesCommand): Promise<AfterSalesSummary & { replayed?: boolean }> {
    const { state } = this;
    const known = state.afterSales.find((r) => r.requestId === cmd.requestId);
    if (known) return { ...known, replayed: true }; // the same Idempotency-Key again
    const lines = this.check(cmd); // again: another request may have been admitted since validation
    const requestNo = state.afterSales.length + 1;
    const value = requestValue({ type: cmd.type, lines, compensation: cmd.compensation });
    const summary: AfterSalesSummary = {
      requestId: cmd.requestId,
      type: cmd.type,
      status: 'awaiting_decision',
      lines: lines.map(({ lineNo, sku, quantity }) => ({ lineNo, sku, quantity })),
      reservedAmount: Math.max(0, Math.min(value, this.refundableLeft())),
      refunded: 0,
      requestedAt: new Date().toISOString(),
    };
    state.afterSales.push(summary);
    this.inbox.push({
      requestId: cmd.requestId,
      status: summary.status,
      entry: {
        type: 'after_sales.requested',
        actor: cmd.actor,
        detail: { type: cmd.type, reason: cmd.reason, lines: summary.lines, compensation: cmd.compensation },
      },
    });
    await startChild<typeof afterSalesWorkflow>(this.ports.lifecycle.types.afterSales, {
      workflowId: afterSalesWorkflowId(cmd.requestId),
      args: [this.childInput(cmd, lines, summary, requestNo)],
    });
    return summary;
  }

  private childInput(
    cmd: AfterSalesCommand,
    lines: AfterSalesLine[],
    summary: AfterSalesSummary,
    requestNo: number,
  ): AfterSalesInput {
    const { state, input } = this;
    return {
      requestId: cmd.requestId,
      orderId: this.orderId,
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
      policy: this.policy,
      seqBase: requestNo * SHIPMENT_SEQ_PER_REQUEST,
      actor: cmd.actor,
      requestedAt: summary.requestedAt,
    };
  }

  /** Reports are waiting to be applied (the sign-off wait wakes for them). */
  pending() {
    return this.inbox.length > 0;
  }

  /** Applies what the requests reported: money, ledger, points, and one timeline entry per step. */
  async apply() {
    const { state, inbox } = this;
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
      await this.ports.publish({
        type: p.entry.type,
        actor: p.entry.actor,
        detail: { requestId: p.requestId, ...p.entry.detail },
      });
      if (refunded > 0) await this.reversePoints(p.requestId);
    }
  }

  /**
   * Points earned on refunded money are taken back (only once they were credited, at completion). The
   * ledger takes at most the balance (the customer may have spent them), so the order counts and reports
   * what was taken; what could not be taken is asked again at the next refund (docs/pricing.md).
   */
  private async reversePoints(requestId: string) {
    const { state, orderId } = this;
    const points = state.points;
    if (!points) return;
    const reverse = points.credited - points.reversed - pointsFor(this.paidNet());
    if (reverse <= 0) return;
    // Orders started before the patch counted what they asked (their histories replay unchanged).
    // Decided before the local activity, never right after one (workflows/order/patches.ts).
    const reportsTaken = this.ports.lifecycle.takes(PATCH.reportsPointsTaken);
    const taken = -(await db.recordPoints({
      id: `${orderId}:points-reversal:${requestId}`,
      customerId: state.customerId,
      orderId,
      delta: -reverse,
      reason: `refund of after-sales request ${requestId}`,
    }));
    const reported = reportsTaken ? taken : reverse;
    if (reported <= 0) return;
    points.reversed += reported;
    await this.ports.publish({ type: 'points.reversed', actor: 'system', detail: { requestId, points: reported } });
  }

  /** Completion credits the points of what the customer finally paid (docs/decisions/030-points.md); the completion entry shows them. */
  async creditPoints(): Promise<number> {
    const { state, orderId } = this;
    const credited = pointsFor(this.paidNet());
    state.points = { credited, reversed: 0 };
    if (credited > 0)
      await db.recordPoints({
        id: `${orderId}:points-earned`,
        customerId: state.customerId,
        orderId,
        delta: credited,
        reason: 'order completed',
      });
    return credited;
  }

  /**
   * After completion the order stays open until its return window has ended and every request on
   * it has finished, so late requests are still checked against its ledger.
   */
  async afterCompletion() {
    const { state, inbox } = this;
    for (;;) {
      await this.apply();
      const left = this.windowEnd() - Date.now();
      const settled = () => !state.afterSales.some(isOpen) && allHandlersFinished();
      if (left <= 0 && settled()) break;
      if (left > 0) await this.ports.until(() => inbox.length > 0, left);
      else await this.ports.until(() => inbox.length > 0 || settled());
    }
  }
}

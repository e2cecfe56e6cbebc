import { getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import {
  afterSalesProgressed,
  type AfterSalesDecision,
  type AfterSalesProgress,
  type ShipmentProgress,
} from '../../contract';
import {
  afterSalesPolicy,
  FINAL_AFTER_SALES,
  type AfterSalesInput,
  type AfterSalesResolution,
  type AfterSalesState,
  type AfterSalesStatus,
  type InspectionBody,
  type AfterSalesPolicy,
} from '../../domain/after-sales';
import type { StockDecision } from '../../domain/shortage';
import { db } from '../activities';
import type { Lifecycle } from '../shared/lifecycle';

export const seconds = (s: number) => s * 1000;
export const nowIso = () => new Date().toISOString();
export type Units = Array<{ lineNo: number; quantity: number }>;
export type Entry = AfterSalesProgress['entry'];
export type Effects = Omit<AfterSalesProgress, 'requestId' | 'status' | 'entry'>;
export type Refunds = AfterSalesResolution['refunds'];

/** What the outside world told the request: handlers post here, the main flow consumes it. */
export interface Inbox {
  decision?: AfterSalesDecision;
  inspection?: InspectionBody & { actor: string };
  /** An exchange's short replacement (docs/after-sales.md): the customer's answer, and restocks. */
  stockDecision?: StockDecision;
  restocks: number;
  progress: ShipmentProgress[];
}

/**
 * One after-sales request's run: its state, the inbox its handlers fill, and step(), which moves it:
 * the read model, the request's own timeline, the order (which applies the effects) and the customer.
 */
export class AfterSalesRun {
  readonly requestId: string;
  readonly orderId: string;
  /** Requests started before a policy value existed get its default. */
  readonly policy: AfterSalesPolicy;
  /** This workflow's id: its shipment children and restocks report here. */
  readonly self = workflowInfo().workflowId;
  readonly state: AfterSalesState;
  readonly inbox: Inbox = { restocks: 0, progress: [] };
  /** The last stock answer whose effect is published (the Update answers once its own answer is this one). */
  stockDecisionApplied?: StockDecision;
  private readonly order: ReturnType<typeof getExternalWorkflowHandle>;

  /** `lifecycle`: the version the request's workflow type belongs to (workflows/after-sales/patches.ts). */
  constructor(
    readonly input: AfterSalesInput,
    readonly lifecycle: Lifecycle,
  ) {
    this.requestId = input.requestId;
    this.orderId = input.orderId;
    this.policy = afterSalesPolicy(input.policy);
    this.order = getExternalWorkflowHandle(input.orderWorkflowId);
    this.state = {
      requestId: input.requestId,
      orderId: input.orderId,
      merchantId: input.merchantId,
      customerId: input.customerId,
      type: input.type,
      status: 'awaiting_decision',
      reason: input.reason,
      description: input.description,
      evidenceUrls: input.evidenceUrls,
      compensation: input.compensation,
      lines: input.lines.map((l) => ({ ...l })),
      currency: input.currency,
      shipments: [],
      timeline: [{ type: 'after_sales.requested', actor: input.actor, at: input.requestedAt }],
      requestedAt: input.requestedAt,
      version: 1,
    };
  }

  /**
   * Moves to a status: read model, the request's own timeline, and the order (which applies effects).
   * The customer's notice is keyed by the entry's type unless `notice` names another key (a step asked again).
   */
  async step(
    status: AfterSalesStatus,
    entry: Entry,
    effects: Effects = {},
    notice: { id?: string; payload?: Record<string, unknown> } = {},
  ) {
    const { state, requestId } = this;
    state.status = status;
    state.version += 1;
    state.timeline.push({ ...entry, at: nowIso() });
    if (FINAL_AFTER_SALES.includes(status)) {
      state.closedAt = nowIso();
      state.pendingDecision = undefined;
    }
    await db.projectAfterSales(state);
    await this.order.signal(afterSalesProgressed, { requestId, status, entry, ...effects });
    // The customer hears of every step through the outbox (docs/after-sales.md).
    await db.notify({
      id: notice.id ?? `${requestId}:customer.${entry.type}`,
      orderId: this.orderId,
      recipientType: 'customer',
      recipientId: this.input.customerId,
      channel: 'sms',
      kind: entry.type,
      payload: { requestId, status, ...notice.payload },
    });
  }

  /** The merchant is told when a request waits for it. */
  notifyMerchant(kind: string, until: string) {
    const { requestId, input } = this;
    return db.notify({
      id: `${requestId}:merchant.${kind}`,
      orderId: this.orderId,
      recipientType: 'merchant',
      recipientId: input.merchantId,
      channel: 'in_app',
      kind,
      payload: { requestId, type: input.type, until },
    });
  }

  /** Completes the request; `reported` are the refunds the order has not heard of yet (all, unless some were reported on the way). */
  async resolve(
    resolution: AfterSalesResolution,
    entry: Entry,
    returned: Units,
    refundedUnits: Units,
    reported = resolution.refunds,
  ) {
    this.state.resolution = resolution;
    await this.step('completed', entry, { refunds: asPayments(reported), returned, refundedUnits });
  }
}

export const total = (refunds: Refunds) => refunds.reduce((t, r) => t + r.amount, 0);
/** Refunds as the order books them on its payments. */
export const asPayments = (refunds: Refunds) => refunds.map(({ paymentId, amount }) => ({ paymentId, amount }));
export const unitsOf = (lines: ReadonlyArray<{ lineNo: number; quantity: number }>): Units =>
  lines.map(({ lineNo, quantity }) => ({ lineNo, quantity }));

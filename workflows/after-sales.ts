import { ApplicationFailure, condition, getExternalWorkflowHandle, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import {
  afterSalesWorkflowId,
  autoApproval,
  businessKey,
  defaultRefund,
  FINAL_AFTER_SALES,
  handedOver,
  isFinalShipmentStatus,
  type AfterSalesInput,
  type AfterSalesLine,
  type AfterSalesResolution,
  type AfterSalesState,
  type AfterSalesStatus,
  type InspectionBody,
  type ShipmentLine,
  type ShipmentView,
} from '../domain';
import { db, providers } from './activities';
import {
  afterSalesProgressed,
  afterSalesState,
  cancelShipment,
  decideAfterSales,
  FAILURE,
  inspectAfterSales,
  shipmentProgressed,
  type AfterSalesDecision,
  type AfterSalesProgress,
  type ShipmentProgress,
} from './definitions';
import { shipmentWorkflow } from './shipment';

const seconds = (s: number) => s * 1000;
const nowIso = () => new Date().toISOString();
type Units = Array<{ lineNo: number; quantity: number }>;

/** A validator's refusal of bad input (422) naming the field, as the API reads it (details[0]). */
export const invalid = (field: string, message: string) =>
  ApplicationFailure.create({ type: FAILURE.invalid, message: `${field} ${message}`, details: [[{ field, message }]], nonRetryable: true });

/**
 * One after-sales request (`after-sales-<requestId>`, child of its order, SPEC §7): merchant decision
 * (or auto-approval by policy) → the customer ships the goods back (a return shipment child, tracked
 * by the logistics webhooks) → merchant inspection → resolution by type: refund, replacement,
 * repaired goods back, or compensation. The order applies the money and ledger effects it reports.
 */
export async function afterSalesWorkflow(input: AfterSalesInput): Promise<AfterSalesState> {
  const { requestId, orderId, policy } = input;
  const self = workflowInfo().workflowId;
  const state: AfterSalesState = {
    requestId,
    orderId,
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
  let decision: AfterSalesDecision | undefined;
  let inspection: (InspectionBody & { actor: string }) | undefined;
  const progress: ShipmentProgress[] = [];
  const order = getExternalWorkflowHandle(input.orderWorkflowId);

  // Auto-approval is decided before anything can wait, so a merchant's decision never races it.
  const auto = autoApproval(input, policy);
  if (auto) decision = { decision: 'approve', reason: auto, actor: 'policy:auto-approve' };

  setHandler(afterSalesState, () => state);
  setHandler(shipmentProgressed, (p) => void progress.push(p));
  setHandler(
    decideAfterSales,
    async (d) => {
      decision = d;
      await condition(() => state.status !== 'awaiting_decision');
      return state;
    },
    {
      validator: (d) => {
        if (state.status !== 'awaiting_decision' || decision) throw new Error(`request is ${state.status}${state.decision ? ` (${state.decision.decision}d by ${state.decision.actor})` : ''}, not awaiting a decision`);
        if (d.decision === 'reject' && !d.reason?.trim()) throw invalid('reason', 'is required to reject');
      },
    },
  );
  setHandler(
    inspectAfterSales,
    async (i) => {
      inspection = i;
      await condition(() => state.status !== 'awaiting_inspection');
      return state;
    },
    { validator: (i) => checkInspection(i) },
  );

  function checkInspection(i: InspectionBody) {
    if (state.status !== 'awaiting_inspection' || inspection) throw new Error(`request is ${state.status}, not awaiting inspection`);
    i.lines.forEach((l, n) => {
      if (!state.lines.some((sl) => sl.sku === l.sku)) throw invalid(`lines.${n}.sku`, `${l.sku} is not part of this request`);
    });
    const missing = state.lines.find((sl) => !i.lines.some((l) => l.sku === sl.sku));
    if (missing) throw invalid('lines', `must give a condition for every returned sku; ${missing.sku} is missing`);
    const value = state.lines.reduce((t, l) => t + l.unitPrice * l.quantity, 0);
    if (i.refundAmount !== undefined && i.refundAmount > value) throw invalid('refundAmount', `must not exceed the value of the returned goods (${value})`);
  }

  /** Moves to a status: read model, the request's own timeline, and the order (which applies effects). */
  async function step(status: AfterSalesStatus, entry: AfterSalesProgress['entry'], effects: Omit<AfterSalesProgress, 'requestId' | 'status' | 'entry'> = {}) {
    state.status = status;
    state.version += 1;
    state.timeline.push({ ...entry, at: nowIso() });
    if (FINAL_AFTER_SALES.includes(status)) {
      state.closedAt = nowIso();
      state.pendingDecision = undefined;
    }
    await db.projectAfterSales(state);
    await order.signal(afterSalesProgressed, { requestId, status, entry, ...effects });
    // The customer hears of every step through the outbox (SPEC §8).
    await db.notify({ id: `${requestId}:customer.${entry.type}`, orderId, recipientType: 'customer', recipientId: input.customerId, channel: 'sms', kind: entry.type, payload: { requestId, status } });
  }

  /** The merchant is told when a request waits for it. */
  const notifyMerchant = (kind: string, until: string) =>
    db.notify({ id: `${requestId}:merchant.${kind}`, orderId, recipientType: 'merchant', recipientId: input.merchantId, channel: 'in_app', kind, payload: { requestId, type: input.type, until } });

  // ── Shipments (children reporting here, as they report to an order) ─────────────────────────

  function applyProgress() {
    while (progress.length > 0) {
      const p = progress.shift()!;
      const s = state.shipments.find((x) => x.seq === p.seq);
      if (s) Object.assign(s, { status: p.status, courier: p.courier ?? s.courier, trackingNumber: p.trackingNumber ?? s.trackingNumber });
    }
  }

  /** Waits until `done` holds for the shipment (or `timeoutMs` passes); true if it holds. */
  async function follow(s: ShipmentView, done: (s: ShipmentView) => boolean, timeoutMs?: number): Promise<boolean> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    while (!done(s)) {
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if (left !== undefined && left <= 0) return false;
      if (left === undefined) await condition(() => progress.length > 0);
      else if (!(await condition(() => progress.length > 0, left))) continue;
      applyProgress();
    }
    return true;
  }

  async function startShipment(direction: 'return' | 'outbound', n: number, warehouseId: string, lines: ShipmentLine[]) {
    // Within the request's block of shipment numbers: returns from 1, outbound parcels from 51.
    const seq = input.seqBase + (direction === 'return' ? 0 : 50) + n;
    const view: AfterSalesState['shipments'][number] = { shipmentId: `${afterSalesWorkflowId(requestId)}-${direction}-${n}`, seq, warehouseId, status: 'booking', lines, direction };
    state.shipments.push(view);
    // The address is the customer's: where a return is picked up, where an outbound parcel goes.
    await startChild(shipmentWorkflow, {
      workflowId: view.shipmentId,
      args: [{ orderId, orderWorkflowId: self, shipmentId: view.shipmentId, seq, warehouseId, courier: 'sf-express', address: input.address, lines }],
    });
    await follow(view, (s) => s.status !== 'booking');
    return view;
  }

  const shipmentLines = (lines: readonly AfterSalesLine[]): ShipmentLine[] => lines.map(({ lineNo, sku, quantity }) => ({ lineNo, sku, quantity }));
  const units = (lines: readonly AfterSalesLine[]): Units => lines.map(({ lineNo, quantity }) => ({ lineNo, quantity }));

  // ── Money ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Refunds up to `amount` to the order's payments (original method; COD payments become a recorded
   * bank transfer). Each refund is first a decision row under a row lock (refundPayment), so requests
   * running at once never refund more than was captured; one that lost a race re-reads and retries.
   */
  async function refund(amount: number, why: string): Promise<AfterSalesResolution['refunds']> {
    const done: AfterSalesResolution['refunds'] = [];
    let left = amount;
    for (let attempt = 1; left > 0 && attempt <= 3; attempt++) {
      const payments = (await db.refundablePayments({ orderId })).filter((p) => p.refundable > 0);
      if (payments.length === 0) break;
      for (const p of payments) {
        const take = Math.min(left, p.refundable);
        if (take <= 0) continue;
        const key = businessKey(orderId, `after-sales-${requestId}-refund-${p.paymentId}`, attempt);
        const result = await providers.refundPayment({ orderId, paymentId: p.paymentId, idempotencyKey: key, amount: take, reason: why });
        if (!result) continue;
        left -= take;
        done.push({ paymentId: p.paymentId, amount: take, method: p.method });
      }
    }
    return done;
  }

  const total = (refunds: AfterSalesResolution['refunds']) => refunds.reduce((t, r) => t + r.amount, 0);

  async function resolve(resolution: AfterSalesResolution, entry: AfterSalesProgress['entry'], returned: Units, refundedUnits: Units) {
    state.resolution = resolution;
    await step('completed', entry, { refunds: resolution.refunds.map(({ paymentId, amount }) => ({ paymentId, amount })), returned, refundedUnits });
  }

  // ── The request's life ───────────────────────────────────────────────────────────────────────

  async function decide(): Promise<boolean> {
    await db.projectAfterSales(state);
    if (!decision) {
      const until = new Date(Date.now() + seconds(policy.afterSalesDecisionSeconds)).toISOString();
      state.pendingDecision = { awaiting: 'merchant_decision', actor: 'merchant', until };
      state.version += 1;
      await db.projectAfterSales(state);
      await notifyMerchant('after_sales.awaiting_decision', until);
      if (!(await condition(() => decision !== undefined, seconds(policy.afterSalesDecisionSeconds))))
        decision = { decision: 'approve', reason: 'the merchant did not answer within the SLA', actor: 'system' };
      state.pendingDecision = undefined;
    }
    const d = decision!;
    state.decision = { ...d, at: nowIso() };
    if (d.decision === 'reject') {
      await step('rejected', { type: 'after_sales.rejected', actor: d.actor, detail: { reason: d.reason } });
      return false;
    }
    return true;
  }

  async function compensate() {
    const c = input.compensation!;
    const resolution: AfterSalesResolution = { outcome: 'compensated', refunded: 0, refunds: [] };
    if (c.kind === 'refund') {
      resolution.refunds = await refund(c.amount, `after-sales ${requestId}: compensation`);
      resolution.refunded = total(resolution.refunds);
    } else if (c.kind === 'coupon') {
      const { code } = await db.issueCoupon({ requestId, customerId: input.customerId, orderId, amount: c.amount, currency: input.currency });
      resolution.coupon = { code, amount: c.amount, currency: input.currency };
    } else {
      await db.recordPoints({ id: `${orderId}:after-sales-${requestId}:points`, customerId: input.customerId, orderId, delta: c.amount, reason: `after-sales ${requestId}: compensation` });
      resolution.points = c.amount;
    }
    await resolve(resolution, { type: 'after_sales.compensated', actor: 'system', detail: { kind: c.kind, amount: c.amount, refunded: resolution.refunded, coupon: resolution.coupon?.code } }, [], []);
  }

  /** The customer hands the goods to the courier before the deadline, and they reach the warehouse. */
  async function goodsComeBack(): Promise<boolean> {
    const warehouseId = state.lines[0].warehouseId;
    const ret = await startShipment('return', 1, warehouseId, shipmentLines(state.lines));
    const until = new Date(Date.now() + seconds(policy.returnShipSeconds)).toISOString();
    state.pendingDecision = { awaiting: 'return_shipment', actor: 'customer', until };
    await step('awaiting_return', { type: 'after_sales.approved', actor: state.decision!.actor, detail: { reason: state.decision!.reason, trackingNumber: ret.trackingNumber, courier: ret.courier, shipBy: until } });

    if (!(await follow(ret, (s) => handedOver(s.status) || isFinalShipmentStatus(s.status), seconds(policy.returnShipSeconds)))) {
      // Deadline: cancel the booking; a pick-up that arrived first still wins (the shipment decides).
      await getExternalWorkflowHandle(ret.shipmentId).signal(cancelShipment, { reason: 'the customer did not ship the goods back in time' });
      await follow(ret, (s) => handedOver(s.status) || isFinalShipmentStatus(s.status));
    }
    if (!handedOver(ret.status)) {
      await step('expired', { type: 'after_sales.expired', actor: 'system', detail: { reason: 'the customer did not ship the goods back before the deadline', until } });
      return false;
    }
    state.pendingDecision = undefined;
    await step('returning', { type: 'after_sales.return_picked_up', actor: `courier:${ret.courier}`, detail: { trackingNumber: ret.trackingNumber } });
    await follow(ret, (s) => isFinalShipmentStatus(s.status));
    if (ret.status !== 'delivered') {
      await step('cancelled', { type: 'after_sales.return_failed', actor: `courier:${ret.courier}`, detail: { trackingNumber: ret.trackingNumber, status: ret.status } });
      return false;
    }
    return true;
  }

  async function inspect() {
    const until = new Date(Date.now() + seconds(policy.inspectionSeconds)).toISOString();
    state.pendingDecision = { awaiting: 'inspection', actor: 'merchant', until };
    await step('awaiting_inspection', { type: 'after_sales.return_received', actor: `courier:${state.shipments[0].courier}`, detail: { warehouseId: state.shipments[0].warehouseId } });
    await notifyMerchant('after_sales.awaiting_inspection', until);
    if (!(await condition(() => inspection !== undefined, seconds(policy.inspectionSeconds))))
      inspection = { lines: state.lines.map((l) => ({ sku: l.sku, condition: 'ok' as const, note: 'not inspected within the SLA' })), actor: 'system' };
    const i = inspection!;
    for (const l of state.lines) Object.assign(l, { condition: i.lines.find((x) => x.sku === l.sku)!.condition, note: i.lines.find((x) => x.sku === l.sku)!.note });
    state.inspection = { actor: i.actor, refundAmount: i.refundAmount, at: nowIso() };
    state.pendingDecision = undefined;
    // Only resellable goods go back on the shelf; repaired goods go back to their owner.
    const resellable = state.type === 'repair' ? [] : state.lines.filter((l) => l.condition === 'ok');
    if (resellable.length > 0) await db.restockAfterSales({ requestId, lines: resellable.map(({ lineNo, sku, warehouseId, quantity }) => ({ lineNo, sku, warehouseId, quantity })) });
    await step('resolving', {
      type: 'after_sales.inspected',
      actor: i.actor,
      detail: { lines: state.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, condition: l.condition })), refundAmount: i.refundAmount, restocked: resellable.map((l) => ({ sku: l.sku, quantity: l.quantity })) },
    });
  }

  async function refundReturn() {
    const amount = state.inspection!.refundAmount ?? defaultRefund(state.lines);
    const refunds = amount > 0 ? await refund(amount, `after-sales ${requestId}: return`) : [];
    await resolve({ outcome: 'refunded', refunded: total(refunds), refunds }, { type: 'after_sales.refunded', actor: 'system', detail: { amount: total(refunds) } }, units(state.lines), units(state.lines));
  }

  /** Follows goods sent to the customer to the door; replacement units leave stock at hand-over. */
  async function deliver(s: ShipmentView, takesStock: boolean): Promise<ShipmentView> {
    const warehouseId = s.warehouseId;
    await follow(s, (x) => handedOver(x.status) || isFinalShipmentStatus(x.status));
    if (takesStock && handedOver(s.status) && s.status !== 'returned_to_sender') await db.shipStock({ orderId: requestId, warehouseId });
    await follow(s, (x) => isFinalShipmentStatus(x.status));
    return s;
  }

  async function exchange() {
    // Replacement units are allocated like an order's (holds keyed by the request).
    const needs = state.lines.map(({ lineNo, sku, quantity }) => ({ lineNo, sku, quantity }));
    const allocation = await db.allocateStock({ orderId: requestId, needs, shippingProvince: input.address.province });
    const byWarehouse = new Map<string, ShipmentLine[]>();
    for (const p of allocation.held) byWarehouse.set(p.warehouseId, [...(byWarehouse.get(p.warehouseId) ?? []), { lineNo: p.lineNo, sku: p.sku, quantity: p.quantity }]);
    await step('shipping_back', { type: 'after_sales.replacement_allocated', actor: 'system', detail: { held: allocation.held, short: allocation.short } });

    // What cannot be replaced is refunded instead (SPEC §3: a shortage's default action is a refund).
    const notReplaced: Units = allocation.short.map((s) => ({ lineNo: s.lineNo, quantity: s.quantity }));
    let n = 0;
    for (const [warehouseId, lines] of byWarehouse) {
      const s = await deliver(await startShipment('outbound', ++n, warehouseId, lines), true);
      if (s.status === 'delivered') continue;
      if (s.status === 'returned_to_sender') await db.restockReturned({ orderId: requestId, warehouseId });
      else await db.releaseStock({ orderId: requestId, warehouseId });
      notReplaced.push(...lines.map((l) => ({ lineNo: l.lineNo, quantity: l.quantity })));
    }
    const valueOf = (u: Units) => u.reduce((t, x) => t + x.quantity * state.lines.find((l) => l.lineNo === x.lineNo)!.unitPrice, 0);
    const amount = valueOf(notReplaced) + (state.inspection?.refundAmount ?? 0);
    const refunds = amount > 0 ? await refund(amount, `after-sales ${requestId}: exchange`) : [];
    await resolve(
      { outcome: 'exchanged', refunded: total(refunds), refunds, refundedInstead: notReplaced.length ? notReplaced : undefined },
      { type: 'after_sales.exchanged', actor: 'system', detail: { replaced: allocation.held, refundedInstead: notReplaced, refunded: total(refunds) } },
      notReplaced,
      notReplaced,
    );
  }

  async function repair() {
    const s = await startShipment('outbound', 1, state.lines[0].warehouseId, shipmentLines(state.lines));
    await step('shipping_back', { type: 'after_sales.repaired_goods_shipped', actor: 'system', detail: { trackingNumber: s.trackingNumber, courier: s.courier } });
    await deliver(s, false);
    const amount = state.inspection?.refundAmount ?? 0;
    const refunds = amount > 0 ? await refund(amount, `after-sales ${requestId}: repair`) : [];
    await resolve({ outcome: 'repaired', refunded: total(refunds), refunds }, { type: 'after_sales.repaired', actor: 'system', detail: { trackingNumber: s.trackingNumber, delivered: s.status === 'delivered' } }, [], []);
  }

  if (!(await decide())) return state;
  if (input.type === 'compensation') {
    await step('resolving', { type: 'after_sales.approved', actor: state.decision!.actor, detail: { reason: state.decision!.reason } });
    await compensate();
    return state;
  }
  if (!(await goodsComeBack())) return state;
  await inspect();
  if (input.type === 'return') await refundReturn();
  else if (input.type === 'exchange') await exchange();
  else await repair();
  return state;
}

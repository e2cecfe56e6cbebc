import { condition, getExternalWorkflowHandle, patched, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import {
  afterSalesPolicy,
  autoApproval,
  businessKey,
  decisionProblems,
  defaultRefund,
  defaultStockDecision,
  FINAL_AFTER_SALES,
  giveUpShortUnits,
  handedOver,
  isFinalShipmentStatus,
  newLedgerLine,
  substitute,
  unitsWanted,
  type AfterSalesInput,
  type AfterSalesLine,
  type AfterSalesResolution,
  type AfterSalesState,
  type AfterSalesStatus,
  type InspectionBody,
  type OrderLine,
  type ShipmentLine,
  type ShipmentView,
  type StockDecision,
  type StockPiece,
} from '../domain';
import type { StockOutcome } from '../activities/stock';
import { db, providers } from './activities';
import {
  afterSalesProgressed,
  afterSalesState,
  afterSalesWorkflowId,
  cancelShipment,
  decideAfterSales,
  decideAfterSalesStock,
  inspectAfterSales,
  invalid,
  invalidField,
  shipmentProgressed,
  stockReplenished,
  type AfterSalesDecision,
  type AfterSalesProgress,
  type ShipmentProgress,
} from '../contract';
import { shipmentWorkflow } from './shipment';

const seconds = (s: number) => s * 1000;
const nowIso = () => new Date().toISOString();
type Units = Array<{ lineNo: number; quantity: number }>;


/** Changes to the command sequence of existing paths, so that requests already running replay unchanged. */
const NEGOTIATES_SHORTAGE = 'after-sales-negotiates-shortage';

/**
 * One after-sales request (`after-sales-<requestId>`, child of its order, SPEC §7): merchant decision
 * (or auto-approval by policy) → the customer ships the goods back (a return shipment child, tracked
 * by the logistics webhooks) → merchant inspection → resolution by type: refund, replacement,
 * repaired goods back, or compensation. The order applies the money and ledger effects it reports.
 */
export async function afterSalesWorkflow(input: AfterSalesInput): Promise<AfterSalesState> {
  const { requestId, orderId } = input;
  // Requests started before a policy value existed get its default.
  const policy = afterSalesPolicy(input.policy);
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
  // An exchange's short replacement (SPEC §3 step 4): the customer's answer, restocks, answers applied.
  let stockDecision: StockDecision | undefined;
  let restocks = 0;
  /** The last answer whose effect is published (the Update answers once its own answer is this one). */
  let stockDecisionApplied: StockDecision | undefined;
  const progress: ShipmentProgress[] = [];
  const order = getExternalWorkflowHandle(input.orderWorkflowId);

  // Auto-approval is decided before anything can wait, so a merchant's decision never races it.
  const auto = autoApproval(input, policy);
  if (auto) decision = { decision: 'approve', reason: auto, actor: 'policy:auto-approve' };

  setHandler(afterSalesState, () => state);
  setHandler(shipmentProgressed, (p) => void progress.push(p));
  setHandler(stockReplenished, () => void (restocks += 1));
  setHandler(
    decideAfterSalesStock,
    async (d) => {
      stockDecision = d;
      // Answered once this decision took effect (the request moved on, or asks again: a substitute short too).
      await condition(() => stockDecisionApplied === d);
      return state;
    },
    {
      validator: (d) => {
        const asked = state.status === 'awaiting_stock_decision' && state.pendingDecision?.awaiting === 'stock_decision';
        if (stockDecision || !state.shortage || !state.replacement || !(asked || state.status === 'backordered'))
          throw new Error(`request is ${state.status}, not awaiting a stock decision`);
        if (!asked && d.decision !== 'cancel') throw new Error('the replacement is backordered: it can only be given up now (cancel: a refund instead)');
        // One home for the rules: the order's shortage validation, with no dearer substitute (nothing to charge it to).
        const problems = decisionProblems(state.replacement, state.shortage, d, { dearer: false });
        if (problems.length) throw invalid(problems);
      },
    },
  );
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
        if (d.decision === 'reject' && !d.reason?.trim()) throw invalidField('reason', 'is required to reject');
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
      if (!state.lines.some((sl) => sl.sku === l.sku)) throw invalidField(`lines.${n}.sku`, `${l.sku} is not part of this request`);
    });
    const missing = state.lines.find((sl) => !i.lines.some((l) => l.sku === sl.sku));
    if (missing) throw invalidField('lines', `must give a condition for every returned sku; ${missing.sku} is missing`);
    const value = state.lines.reduce((t, l) => t + l.unitPrice * l.quantity, 0);
    if (i.refundAmount !== undefined && i.refundAmount > value) throw invalidField('refundAmount', `must not exceed the value of the returned goods (${value})`);
  }

  /**
   * Moves to a status: read model, the request's own timeline, and the order (which applies effects).
   * The customer's notice is keyed by the entry's type unless `notice` names another key (a step asked again).
   */
  async function step(
    status: AfterSalesStatus,
    entry: AfterSalesProgress['entry'],
    effects: Omit<AfterSalesProgress, 'requestId' | 'status' | 'entry'> = {},
    notice: { id?: string; payload?: Record<string, unknown> } = {},
  ) {
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
    await db.notify({ id: notice.id ?? `${requestId}:customer.${entry.type}`, orderId, recipientType: 'customer', recipientId: input.customerId, channel: 'sms', kind: entry.type, payload: { requestId, status, ...notice.payload } });
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
   * `stepName` keeps the keys of several refunds of one request apart (an exchange's shortage).
   */
  async function refund(amount: number, why: string, stepName = 'refund'): Promise<AfterSalesResolution['refunds']> {
    const done: AfterSalesResolution['refunds'] = [];
    let left = amount;
    for (let attempt = 1; left > 0 && attempt <= 3; attempt++) {
      const payments = (await db.refundablePayments({ orderId })).filter((p) => p.refundable > 0);
      if (payments.length === 0) break;
      for (const p of payments) {
        const take = Math.min(left, p.refundable);
        if (take <= 0) continue;
        const key = businessKey(orderId, `after-sales-${requestId}-${stepName}-${p.paymentId}`, attempt);
        const result = await providers.refundPayment({ orderId, paymentId: p.paymentId, idempotencyKey: key, amount: take, reason: why });
        if (!result) continue;
        left -= take;
        done.push({ paymentId: p.paymentId, amount: take, method: p.method });
      }
    }
    return done;
  }

  const total = (refunds: AfterSalesResolution['refunds']) => refunds.reduce((t, r) => t + r.amount, 0);

  /** Completes the request; `reported` are the refunds the order has not heard of yet (all, unless some were reported on the way). */
  async function resolve(resolution: AfterSalesResolution, entry: AfterSalesProgress['entry'], returned: Units, refundedUnits: Units, reported = resolution.refunds) {
    state.resolution = resolution;
    await step('completed', entry, { refunds: reported.map(({ paymentId, amount }) => ({ paymentId, amount })), returned, refundedUnits });
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

  // ── Exchange: a replacement allocated from stock like an order (holds keyed by the request) ──

  /** The replacement's ledger: one line per returned line, at its price; a substitute adds a line. */
  const replacement: OrderLine[] = [];
  const wanted = () => replacement.map((l) => ({ lineNo: l.lineNo, sku: l.sku, quantity: unitsWanted(l) })).filter((n) => n.quantity > 0);
  const replacementRequest = () => ({ orderId: requestId, needs: wanted(), shippingProvince: input.address.province });
  const lineOf = (lineNo: number) => replacement.find((l) => l.lineNo === lineNo);
  /** Ledger bookkeeping of the replacement (shown in the request's view). */
  const book = (lines: Units, apply: (line: OrderLine, quantity: number) => void) =>
    lines.forEach((u) => {
      const line = lineOf(u.lineNo);
      if (line) apply(line, u.quantity);
    });
  function recordAllocation(held: readonly StockPiece[]) {
    for (const l of replacement) l.allocated = held.filter((h) => h.lineNo === l.lineNo).reduce((t, h) => t + h.quantity, 0);
  }
  /** Units of replacement lines as units of the order's lines (a substitute counts for the line it replaces). */
  function onOrderLines(units: Units): Units {
    const merged: Units = [];
    for (const u of units) {
      let line = lineOf(u.lineNo);
      while (line?.substituteFor !== undefined) line = lineOf(line.substituteFor);
      const lineNo = line?.lineNo ?? u.lineNo;
      const m = merged.find((x) => x.lineNo === lineNo);
      if (m) m.quantity += u.quantity;
      else merged.push({ lineNo, quantity: u.quantity });
    }
    return merged;
  }
  const replacementValue = (u: Units) => u.reduce((t, x) => t + x.quantity * (lineOf(x.lineNo) ?? state.lines.find((l) => l.lineNo === x.lineNo)!).unitPrice, 0);
  /** What the shortage negotiation settled on the way: refunds (already reported to the order) and units refunded instead. */
  const settled: { refunds: AfterSalesResolution['refunds']; refundedInstead: Units } = { refunds: [], refundedInstead: [] };
  const asPayments = (refunds: AfterSalesResolution['refunds']) => refunds.map(({ paymentId, amount }) => ({ paymentId, amount }));

  async function exchange() {
    replacement.push(...state.lines.map((l) => newLedgerLine(l.lineNo, l.sku, l.name, l.unitPrice, l.quantity)));
    state.replacement = replacement;
    let allocation = await db.allocateStock(replacementRequest());
    recordAllocation(allocation.held);
    // A short replacement is the customer's to decide, like an order's shortage (SPEC §3 step 4).
    // Requests recorded before this change refund the short units at once, and replay that way.
    if (allocation.short.length > 0 && patched(NEGOTIATES_SHORTAGE)) {
      const negotiated = await negotiateShortage(allocation);
      if (!negotiated) return;
      allocation = negotiated;
    }
    const byWarehouse = new Map<string, ShipmentLine[]>();
    for (const p of allocation.held) byWarehouse.set(p.warehouseId, [...(byWarehouse.get(p.warehouseId) ?? []), { lineNo: p.lineNo, sku: p.sku, quantity: p.quantity }]);
    await step('shipping_back', { type: 'after_sales.replacement_allocated', actor: 'system', detail: { held: allocation.held, short: allocation.short } });

    // What cannot be replaced is refunded instead.
    const notReplaced: Units = allocation.short.map((s) => ({ lineNo: s.lineNo, quantity: s.quantity }));
    let n = 0;
    for (const [warehouseId, lines] of byWarehouse) {
      const s = await deliver(await startShipment('outbound', ++n, warehouseId, lines), true);
      const units = lines.map((l) => ({ lineNo: l.lineNo, quantity: l.quantity }));
      if (s.status === 'delivered') {
        book(units, (l, q) => Object.assign(l, { shipped: l.shipped + q, delivered: l.delivered + q }));
        continue;
      }
      if (s.status === 'returned_to_sender') await db.restockReturned({ orderId: requestId, warehouseId });
      else await db.releaseStock({ orderId: requestId, warehouseId });
      book(units, (l, q) => Object.assign(l, { allocated: l.allocated - q, refunded: l.refunded + q }));
      notReplaced.push(...units);
    }
    const amount = replacementValue(notReplaced) + (state.inspection?.refundAmount ?? 0);
    const refunds = amount > 0 ? await refund(amount, `after-sales ${requestId}: exchange`) : [];
    const allRefunds = [...settled.refunds, ...refunds];
    const instead = onOrderLines([...settled.refundedInstead, ...notReplaced]);
    const undelivered = onOrderLines(notReplaced);
    await resolve(
      { outcome: 'exchanged', refunded: total(allRefunds), refunds: allRefunds, refundedInstead: instead.length ? instead : undefined },
      { type: 'after_sales.exchanged', actor: 'system', detail: { replaced: allocation.held, refundedInstead: instead, refunded: total(allRefunds) } },
      undelivered,
      undelivered,
      refunds,
    );
  }

  /** Each answer is told to the customer once, even when a short substitute asks again (round) or a wait is given up. */
  const decidedNotice = (round: number, suffix?: string) => ({ id: `${requestId}:customer.after_sales.stock_decided:${round}${suffix ? `:${suffix}` : ''}` });

  /** The request's timeline entry for an answer to its shortage, and the answer as the request shows it. */
  function stockDecided(d: StockDecision, refunded: number, detail: Record<string, unknown> = {}): AfterSalesProgress['entry'] {
    state.stockDecision = { decision: d.decision, substitutions: d.substitutions, actor: d.actor, at: nowIso(), refunded };
    return { type: 'after_sales.stock_decided', actor: d.actor, detail: { decision: d.decision, substitutions: d.substitutions, short: state.shortage, refunded, ...detail } };
  }

  /**
   * SPEC §3 step 4 for a replacement: the customer decides about the missing units within the
   * window, else the policy's default applies — wait for a restock, a substitute (same price or
   * cheaper: the difference is refunded), partial (replace what exists, refund the rest) or cancel
   * (nothing replaced, everything refunded). A substitute that is short too asks again. Returns the
   * allocation to ship, or undefined when the exchange was given up (the request is then resolved).
   */
  async function negotiateShortage(first: StockOutcome): Promise<StockOutcome | undefined> {
    let outcome = first;
    let previous: StockDecision | undefined;
    for (let round = 1; outcome.short.length > 0; round++) {
      const short = outcome.short;
      const until = new Date(Date.now() + seconds(policy.stockDecisionSeconds)).toISOString();
      state.shortage = short;
      state.pendingDecision = { awaiting: 'stock_decision', actor: 'customer', until };
      await step(
        'awaiting_stock_decision',
        { type: 'after_sales.stock_short', actor: 'system', detail: { short, held: outcome.held, until } },
        {},
        { id: `${requestId}:customer.after_sales.stock_short:${round}`, payload: { short, until } },
      );
      stockDecisionApplied = previous; // a short substitute took effect: the customer is asked again
      await condition(() => stockDecision !== undefined, seconds(policy.stockDecisionSeconds));
      // An answer accepted as the window ended still counts.
      const d = stockDecision ?? defaultStockDecision(policy.stockDecisionDefault, replacement);
      previous = d;
      stockDecision = undefined;
      state.pendingDecision = undefined;
      switch (d.decision) {
        case 'cancel':
          await giveUpReplacement(d, round);
          return undefined;
        case 'partial': {
          const units = short.map(({ lineNo, quantity }) => ({ lineNo, quantity }));
          const refunds = await refundStock(giveUpShortUnits(replacement, short), 'replacement out of stock', round);
          settled.refundedInstead.push(...units);
          const entry = stockDecided(d, total(refunds));
          state.shortage = undefined;
          await step('resolving', entry, { refunds: asPayments(refunds), returned: onOrderLines(units), refundedUnits: onOrderLines(units) }, decidedNotice(round));
          outcome = { held: outcome.held, short: [] };
          break;
        }
        case 'substitute': {
          const delta = substitute(replacement, short, d.substitutions!); // never above 0: the validator refuses dearer substitutes
          const refunds = await refundStock(-delta, 'cheaper substitute', round);
          const entry = stockDecided(d, total(refunds), { priceDifference: delta });
          state.shortage = undefined;
          await step('resolving', entry, { refunds: asPayments(refunds) }, decidedNotice(round));
          outcome = await db.allocateStock(replacementRequest());
          recordAllocation(outcome.held);
          break;
        }
        case 'wait_for_restock': {
          const served = await waitForRestock(d, round);
          if (!served) return undefined;
          outcome = served;
          break;
        }
      }
    }
    state.shortage = undefined;
    stockDecisionApplied = previous;
    return outcome;
  }

  /** A refund settled by a shortage decision, under its own key (`stock-<round>`), counted as settled. */
  async function refundStock(amount: number, why: string, round: number) {
    const refunds = amount > 0 ? await refund(amount, `after-sales ${requestId}: ${why}`, `stock-${round}`) : [];
    settled.refunds.push(...refunds);
    return refunds;
  }

  /** `cancel`: nothing is replaced; held replacement units go back to stock, every unit is refunded instead. */
  async function giveUpReplacement(d: StockDecision, round: number) {
    await db.releaseStock({ orderId: requestId });
    const all = wanted();
    const units = all.map(({ lineNo, quantity }) => ({ lineNo, quantity }));
    const refunds = await refundStock(giveUpShortUnits(replacement, all), 'exchange given up', round);
    for (const l of replacement) l.allocated = 0;
    settled.refundedInstead.push(...units);
    const entry = stockDecided(d, total(refunds));
    state.shortage = undefined;
    await step('resolving', entry, { refunds: asPayments(refunds), returned: onOrderLines(units), refundedUnits: onOrderLines(units) }, decidedNotice(round, d.decision));
    const instead = onOrderLines(settled.refundedInstead);
    await resolve(
      { outcome: 'refunded', refunded: total(settled.refunds), refunds: settled.refunds, refundedInstead: instead },
      { type: 'after_sales.refunded', actor: 'system', detail: { amount: total(settled.refunds), refundedInstead: instead } },
      [],
      [],
      [],
    );
    stockDecisionApplied = d;
  }

  /**
   * `wait_for_restock`: the missing units join each SKU's backorder queue, FIFO with orders (by the
   * time the request was made, as orders go by submission); a restock wakes the request, and it
   * looks at the queue every backorderRecheckSeconds too. While it waits it may still be given up.
   */
  async function waitForRestock(d: StockDecision, round: number): Promise<StockOutcome | undefined> {
    const request = () => ({ ...replacementRequest(), queuedAt: input.requestedAt, forOrder: orderId, wake: self });
    let outcome = await db.backorderStock(request());
    recordAllocation(outcome.held);
    const entry = stockDecided(d, 0);
    state.shortage = outcome.short;
    await step('backordered', entry, {}, decidedNotice(round));
    stockDecisionApplied = d;
    while (outcome.short.length > 0) {
      const seen = restocks;
      await condition(() => restocks !== seen || stockDecision !== undefined, seconds(policy.backorderRecheckSeconds));
      if (stockDecision) {
        const giveUp = stockDecision;
        stockDecision = undefined;
        await giveUpReplacement(giveUp, round);
        return undefined;
      }
      outcome = await db.backorderStock(request());
      recordAllocation(outcome.held);
      state.shortage = outcome.short;
    }
    if (stockDecision) {
      // Given up while the last look was being served: the customer's answer wins, the units go back.
      const giveUp = stockDecision;
      stockDecision = undefined;
      await giveUpReplacement(giveUp, round);
      return undefined;
    }
    state.shortage = undefined;
    await step('resolving', { type: 'after_sales.restocked', actor: 'system', detail: { allocated: outcome.held } });
    return outcome;
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

// In-memory stand-ins for every activity of the engine, for the fast workflow tests (test/flows/):
// no database, no providers. Each test plants what it needs (stock per SKU, a declining card, a wallet
// paid just before it was closed, a courier whose booking fails, an activity held at a gate) and
// asserts on the calls recorded, in order.
import { ApplicationFailure } from '@temporalio/common';
import type { Activities, RefundOutcome, TimelineEntry } from '../../activities';
import { stepRunner } from '../../activities/steps';
import type { StockOutcome, StockRequest } from '../../activities/stock';
import type {
  AfterSalesState,
  OrderState,
  PaymentAction,
  PaymentMethod,
  RiskOutcome,
  StockNeed,
  StockPiece,
} from '../../domain';

export type ActivityName = keyof Activities;

export interface RecordedCall {
  name: ActivityName;
  /** The order the call belongs to (after-sales requests and shipments count for their order). */
  orderId?: string;
  args: any[];
}

/** How the outside world answers for one order; absent values are the happy path. */
export interface Behaviour {
  /** Risk control's verdict (default approve). */
  risk?: RiskOutcome;
  /** The card is declined at authorization (and charge), with this provider message. */
  cardDeclines?: string;
  /** The customer paid the wallet just before the engine closed the payment. */
  walletPaidBeforeClose?: boolean;
  /** Couriers whose booking keeps failing (a retryable error, like a timeout). */
  bookingFails?: string[];
  /** A database step that refuses this order with a failure that must not be retried (a broken invariant). */
  refusedStep?: ActivityName;
}

interface Hold {
  sku: string;
  lineNo: number;
  warehouseId: string;
  quantity: number;
  state: 'reserved' | 'allocated' | 'shipped' | 'returned';
}

interface PaymentRow {
  orderId: string;
  method: PaymentMethod;
  amount: number;
  status: 'pending' | 'authorized' | 'captured' | 'voided' | 'cancelled' | 'failed';
  captured: number;
  refunded: number;
  voided: number;
}

/** One activity call held until the test lets it go (e.g. to make a race happen deterministically). */
export interface Gate {
  /** Resolves when the call reached the gate. */
  reached: Promise<void>;
  release(): void;
}

export const WAREHOUSE = 'wh-shanghai';

export interface StubActivities {
  activities: Activities;
  calls: RecordedCall[];
  /** Calls of one order, optionally of one activity only, in the order they ran. */
  callsFor(orderId: string, name?: ActivityName): RecordedCall[];
  /** Names of the order's calls in order (a compact trace to assert sequences on). */
  namesFor(orderId: string): ActivityName[];
  /** The order's timeline as the workflow published it (projectOrder / recordSubmission). */
  timelineOf(orderId: string): Array<TimelineEntry & { status: string; version: number }>;
  /** The after-sales request's projections, as written. */
  afterSalesOf(requestId: string): AfterSalesState[];
  behave(orderId: string, behaviour: Behaviour): void;
  /** Puts units of a SKU on a warehouse's shelf (a restock). */
  stock(sku: string, units: number, warehouseId?: string): void;
  available(sku: string, warehouseId?: string): number;
  /** The next call of `name` for this order waits at a gate until released. */
  gate(orderId: string, name: ActivityName): Gate;
  payment(paymentId: string): PaymentRow | undefined;
}

export function createStubActivities(): StubActivities {
  const calls: RecordedCall[] = [];
  const behaviours = new Map<string, Behaviour>();
  const inventory = new Map<string, Map<string, number>>(); // sku → warehouse → available
  const holds = new Map<string, Hold[]>(); // holder (order or after-sales request) → holds
  const payments = new Map<string, PaymentRow>();
  const refunds = new Map<string, RefundOutcome | null>(); // idempotency key → decision
  const timelines = new Map<string, Array<TimelineEntry & { status: string; version: number }>>();
  const afterSales = new Map<string, AfterSalesState[]>();
  const shipmentOrders = new Map<string, string>(); // shipmentId → orderId
  const requestOrders = new Map<string, string>(); // after-sales requestId → orderId
  const gates = new Map<string, { open: Promise<void>; arrived: () => void }>();

  const behaviour = (orderId: string | undefined) => (orderId && behaviours.get(orderId)) || {};
  const orderOfHolder = (holder: string) => requestOrders.get(holder) ?? holder;

  function orderOf(args: any[]): string | undefined {
    const a = args[0] ?? {};
    if (typeof a.shipmentId === 'string' && shipmentOrders.has(a.shipmentId)) return shipmentOrders.get(a.shipmentId);
    if (typeof a.requestId === 'string' && requestOrders.has(a.requestId)) return requestOrders.get(a.requestId);
    if (typeof a.orderId === 'string') return orderOfHolder(a.orderId);
    return undefined;
  }

  /** Records the call, then waits at its gate if a test set one. */
  async function enter(name: ActivityName, args: any[]) {
    const orderId = orderOf(args);
    // Local activities are retried on failure: a retry of the same call is recorded again, as it ran again.
    calls.push({ name, orderId, args: JSON.parse(JSON.stringify(args)) });
    if (behaviour(orderId).refusedStep === name)
      throw ApplicationFailure.create({ type: 'Refused', message: `${name} refused`, nonRetryable: true });
    const key = `${orderId}:${name}`;
    const g = gates.get(key);
    if (g) {
      gates.delete(key);
      g.arrived();
      await g.open;
    }
  }

  const shelf = (sku: string) => {
    let m = inventory.get(sku);
    if (!m) inventory.set(sku, (m = new Map()));
    return m;
  };
  const holdsOf = (holder: string) => {
    let h = holds.get(holder);
    if (!h) holds.set(holder, (h = []));
    return h;
  };
  const stillNeeded = (needs: readonly StockNeed[], holder: string): StockNeed[] =>
    needs
      .map((n) => ({
        ...n,
        quantity:
          n.quantity -
          holdsOf(holder)
            .filter((h) => h.sku === n.sku && (h.state === 'reserved' || h.state === 'allocated'))
            .reduce((t, h) => t + h.quantity, 0),
      }))
      .filter((n) => n.quantity > 0);

  /** Takes what the shelves have for what is still missing, like activities/stock.ts (without its SQL guards). */
  function acquire(req: StockRequest, state: 'reserved' | 'allocated'): StockOutcome {
    for (const need of stillNeeded(req.needs, req.orderId)) {
      let missing = need.quantity;
      for (const [warehouseId, available] of [...shelf(need.sku)].sort(([a], [b]) => a.localeCompare(b))) {
        const take = Math.min(missing, available);
        if (take <= 0) continue;
        shelf(need.sku).set(warehouseId, available - take);
        const existing = holdsOf(req.orderId).find(
          (h) => h.sku === need.sku && h.warehouseId === warehouseId && h.state === state,
        );
        if (existing) existing.quantity += take;
        else holdsOf(req.orderId).push({ sku: need.sku, lineNo: need.lineNo, warehouseId, quantity: take, state });
        missing -= take;
      }
    }
    return outcome(req, state);
  }

  function outcome(req: StockRequest, state: 'reserved' | 'allocated'): StockOutcome {
    const held: StockPiece[] = holdsOf(req.orderId)
      .filter((h) => h.state === state)
      .map((h) => ({
        lineNo: req.needs.find((n) => n.sku === h.sku)?.lineNo ?? h.lineNo,
        sku: h.sku,
        warehouseId: h.warehouseId,
        quantity: h.quantity,
      }));
    return { held, short: stillNeeded(req.needs, req.orderId) };
  }

  function openPayment(req: { orderId: string; paymentId: string; amount: number }, method: PaymentMethod): PaymentRow {
    let p = payments.get(req.paymentId);
    if (!p)
      payments.set(
        req.paymentId,
        (p = {
          orderId: req.orderId,
          method,
          amount: req.amount,
          status: 'pending',
          captured: 0,
          refunded: 0,
          voided: 0,
        }),
      );
    return p;
  }

  function declineIfPlanned(orderId: string) {
    const message = behaviour(orderId).cardDeclines;
    if (message) throw ApplicationFailure.nonRetryable(message, 'PaymentDeclined', { code: 'card_declined' });
  }

  const steps: Omit<Activities, 'runSteps'> = {
    // ── Projection ─────────────────────────────────────────────────────────────────────────────
    async recordSubmission(input, state, entry) {
      await enter('recordSubmission', [input, state, entry]);
      if (!timelines.has(input.orderId))
        timelines.set(input.orderId, [{ ...entry, status: state.status, version: state.version }]);
    },
    async projectOrder(state: OrderState, entry: TimelineEntry) {
      await enter('projectOrder', [{ orderId: state.orderId, status: state.status, version: state.version }, entry]);
      const timeline = timelines.get(state.orderId) ?? [];
      // A retried projection writes once, as the real one keeps the newest version.
      if (!timeline.some((e) => e.version === state.version))
        timeline.push({ ...entry, status: state.status, version: state.version });
      timelines.set(state.orderId, timeline);
    },

    // ── Risk ───────────────────────────────────────────────────────────────────────────────────
    async assessOrderRisk(req) {
      await enter('assessOrderRisk', [req]);
      return behaviour(req.orderId).risk ?? { decision: 'approve' };
    },

    // ── Stock ──────────────────────────────────────────────────────────────────────────────────
    async reserveStock(req) {
      await enter('reserveStock', [req]);
      return acquire(req, 'reserved');
    },
    async allocateStock(req) {
      await enter('allocateStock', [req]);
      for (const h of holdsOf(req.orderId)) if (h.state === 'reserved') h.state = 'allocated';
      return acquire(req, 'allocated');
    },
    async backorderStock(req) {
      await enter('backorderStock', [req]);
      return acquire(req, 'allocated');
    },
    async releaseStock({ orderId, warehouseId }) {
      await enter('releaseStock', [{ orderId, warehouseId }]);
      let released = 0;
      const keep: Hold[] = [];
      for (const h of holdsOf(orderId)) {
        if ((h.state === 'reserved' || h.state === 'allocated') && (!warehouseId || h.warehouseId === warehouseId)) {
          shelf(h.sku).set(h.warehouseId, (shelf(h.sku).get(h.warehouseId) ?? 0) + h.quantity);
          released += h.quantity;
        } else keep.push(h);
      }
      holds.set(orderId, keep);
      return released;
    },
    async shipStock({ orderId, warehouseId }) {
      await enter('shipStock', [{ orderId, warehouseId }]);
      for (const h of holdsOf(orderId))
        if (h.warehouseId === warehouseId && h.state === 'allocated') h.state = 'shipped';
    },
    async restockReturned({ orderId, warehouseId }) {
      await enter('restockReturned', [{ orderId, warehouseId }]);
      for (const h of holdsOf(orderId)) {
        if (h.warehouseId !== warehouseId || h.state !== 'shipped') continue;
        h.state = 'returned';
        shelf(h.sku).set(h.warehouseId, (shelf(h.sku).get(h.warehouseId) ?? 0) + h.quantity);
      }
    },

    // ── Payments ───────────────────────────────────────────────────────────────────────────────
    async chargeCard(req) {
      await enter('chargeCard', [req]);
      const p = openPayment(req, 'card');
      declineIfPlanned(req.orderId);
      Object.assign(p, { status: 'captured', captured: req.amount });
      return { providerRef: `card-${req.paymentId}` };
    },
    async authorizeCard(req) {
      await enter('authorizeCard', [req]);
      const p = openPayment(req, 'card');
      try {
        declineIfPlanned(req.orderId);
      } catch (err) {
        p.status = 'failed';
        throw err;
      }
      p.status = 'authorized';
      return { providerRef: `card-${req.paymentId}` };
    },
    async captureCard(req) {
      await enter('captureCard', [req]);
      const p = payments.get(req.paymentId);
      if (!p) throw ApplicationFailure.nonRetryable(`no payment ${req.paymentId}`, 'NotAllowedInState');
      if (p.status === 'authorized') Object.assign(p, { status: 'captured', captured: p.amount - p.voided });
      return { captured: p.captured };
    },
    async createWalletPayment(req): Promise<PaymentAction> {
      await enter('createWalletPayment', [req]);
      openPayment(req, req.method);
      return { type: 'qr_code', url: `https://wallet.test/pay/${req.paymentId}`, expiresAt: req.expiresAt };
    },
    async closeWalletPayment(req) {
      await enter('closeWalletPayment', [req]);
      const p = payments.get(req.paymentId)!;
      if (behaviour(req.orderId).walletPaidBeforeClose) {
        if (p.status === 'pending') Object.assign(p, { status: 'captured', captured: p.amount });
        return { capturedBeforeClose: true };
      }
      if (p.status === 'pending') p.status = 'cancelled';
      return { capturedBeforeClose: false };
    },
    async recordCapture(req) {
      await enter('recordCapture', [req]);
      const p = openPayment(req, req.method);
      if (p.status === 'pending') Object.assign(p, { status: 'captured', captured: req.amount });
    },
    /** The refund guard: once per key, never above what is left; an authorization is lowered instead (release). */
    async refundPayment(req) {
      await enter('refundPayment', [req]);
      if (refunds.has(req.idempotencyKey)) return refunds.get(req.idempotencyKey)!;
      const p = payments.get(req.paymentId);
      let decided: RefundOutcome | null = null;
      if (p && req.amount > 0) {
        const release = p.status === 'authorized';
        const left = release ? p.amount - p.voided : p.captured - p.refunded;
        if (left >= req.amount) {
          if (release) {
            p.voided += req.amount;
            if (p.voided === p.amount) p.status = 'voided';
            decided = { providerRef: `card-${req.paymentId}`, status: 'succeeded', released: true };
          } else {
            p.refunded += req.amount;
            decided = {
              providerRef: `refund-${req.idempotencyKey}`,
              status: p.method === 'card' || p.method === 'cod' ? 'succeeded' : 'pending',
            };
          }
        }
      }
      refunds.set(req.idempotencyKey, decided);
      return decided;
    },

    // ── Refund confirmation and reconciliation (workflows not driven by these tests) ─────────────
    async refundToConfirm(req) {
      await enter('refundToConfirm', [req]);
      return { status: 'succeeded', amount: 0, confirmSeconds: 60 };
    },
    async requestRefundAgain(req) {
      await enter('requestRefundAgain', [req]);
      return { status: 'succeeded' };
    },
    async confirmRefund(req) {
      await enter('confirmRefund', [req]);
    },
    async reconcilePayments(req) {
      await enter('reconcilePayments', [req]);
      return { runId: req.runId, capturesChecked: 0, refundsChecked: 0, differences: 0 };
    },

    // ── Shipping ───────────────────────────────────────────────────────────────────────────────
    async bookShipment(req) {
      shipmentOrders.set(req.shipmentId, orderOfHolder(req.orderId));
      await enter('bookShipment', [req]);
      if (behaviour(orderOfHolder(req.orderId)).bookingFails?.includes(req.courier))
        throw new Error(`${req.courier}: booking timed out`);
      return { courier: req.courier, trackingNumber: `TN-${req.shipmentId}` };
    },
    async requestReturnToSender(req) {
      await enter('requestReturnToSender', [req]);
    },
    async cancelBooking(req) {
      await enter('cancelBooking', [req]);
    },
    async recordTracking(req) {
      await enter('recordTracking', [req]);
    },

    // ── Notifications ──────────────────────────────────────────────────────────────────────────
    async notify(msg) {
      await enter('notify', [msg]);
    },

    // ── After-sales ────────────────────────────────────────────────────────────────────────────
    async projectAfterSales(state: AfterSalesState) {
      requestOrders.set(state.requestId, state.orderId);
      await enter('projectAfterSales', [
        { requestId: state.requestId, orderId: state.orderId, status: state.status, version: state.version },
      ]);
      afterSales.set(state.requestId, [...(afterSales.get(state.requestId) ?? []), JSON.parse(JSON.stringify(state))]);
    },
    async refundablePayments({ orderId }) {
      await enter('refundablePayments', [{ orderId }]);
      return [...payments]
        .filter(([, p]) => p.orderId === orderId && p.status === 'captured')
        .map(([paymentId, p]) => ({ paymentId, method: p.method, refundable: p.captured - p.refunded }));
    },
    async restockAfterSales(req) {
      await enter('restockAfterSales', [req]);
      for (const l of req.lines) shelf(l.sku).set(l.warehouseId, (shelf(l.sku).get(l.warehouseId) ?? 0) + l.quantity);
    },
    async recordPoints(req) {
      await enter('recordPoints', [req]);
      return req.delta; // an in-memory ledger with balance enough
    },
    async issueCoupon(req) {
      await enter('issueCoupon', [req]);
      return { code: `COUPON-${req.requestId}` };
    },
  };
  // Version 4 runs batch their database steps (docs/decisions/107): each step still records its call.
  const activities: Activities = { ...steps, runSteps: stepRunner(steps) };

  return {
    activities,
    calls,
    callsFor: (orderId, name) => calls.filter((c) => c.orderId === orderId && (!name || c.name === name)),
    namesFor: (orderId) => calls.filter((c) => c.orderId === orderId).map((c) => c.name),
    timelineOf: (orderId) => timelines.get(orderId) ?? [],
    afterSalesOf: (requestId) => afterSales.get(requestId) ?? [],
    behave: (orderId, b) => void behaviours.set(orderId, { ...behaviours.get(orderId), ...b }),
    stock: (sku, units, warehouseId = WAREHOUSE) =>
      void shelf(sku).set(warehouseId, (shelf(sku).get(warehouseId) ?? 0) + units),
    available: (sku, warehouseId = WAREHOUSE) => shelf(sku).get(warehouseId) ?? 0,
    gate(orderId, name) {
      let release!: () => void;
      let arrived!: () => void;
      const open = new Promise<void>((r) => (release = r));
      const reached = new Promise<void>((r) => (arrived = r));
      gates.set(`${orderId}:${name}`, { open, arrived });
      return { reached, release };
    },
    payment: (paymentId) => payments.get(paymentId),
  };
}

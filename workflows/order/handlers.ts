import { condition, setHandler } from '@temporalio/workflow';
import type { RefundOutcome } from '../../activities';
import {
  cancelAsSupport,
  cancelOrder,
  confirmReceipt,
  decideAsMerchant,
  decideStock,
  extendReceipt,
  extendWindow,
  invalid,
  invalidField,
  orderState,
  paymentNotified,
  refundAsSupport,
  refuse,
  reviewRisk,
  shipmentProgressed,
  shipOrder,
  stockReplenished,
  submitVerification,
  type CancelRequest,
  type MerchantDecision,
  type RiskReview,
  type ShipRequest,
  type SupportExtension,
  type SupportRefund,
  type VerificationResult,
} from '../../contract';
import { actionRefusal, freeToRefund, type OrderAction } from '../../domain/actions';
import { refundableOf } from '../../domain/money';
import type { PaymentView } from '../../domain/order';
import type { OrderState } from '../../domain/order-state';
import { decisionProblems, type StockDecision } from '../../domain/shortage';
import { hostAfterSales, type AfterSalesHost } from './after-sales';
import { listenForParcels } from './parcels';
import { announceGiveBack, giveBack } from './payment';
import { seconds, type OrderRun } from './run';

/**
 * Every signal, update and query of the order. Signals and most updates only post to the run's inbox
 * and await the main flow's answer; validators refuse at once (409/422) without changing anything.
 */
export function registerHandlers(run: OrderRun): AfterSalesHost {
  const { state, inbox } = run;
  setHandler(orderState, () => state);
  setHandler(paymentNotified, (n) => {
    if (n.paymentId === run.paymentId && n.type === 'payment.succeeded' && n.amount === run.input.totals.total)
      inbox.walletCapture ??= { amount: n.amount, eventId: n.eventId };
    const extra = inbox.extraPayments.get(n.paymentId);
    if (extra && n.type === 'payment.succeeded' && n.amount === extra.amount) extra.eventId ??= n.eventId;
  });
  setHandler(shipmentProgressed, (p) => void inbox.progress.push(p));
  listenForParcels(run);
  setHandler(stockReplenished, () => void (inbox.restocks += 1));
  registerFulfilmentUpdates(run);
  const afterSales = hostAfterSales(run.input, state, {
    publish: (entry) => run.publish(entry),
    until: (done, timeoutMs) => run.until(done, timeoutMs),
    act: (work) => run.act(work),
    lifecycle: run.lifecycle,
  });
  registerCancellations(run);
  registerReceiptUpdates(run);
  registerRiskUpdates(run);
  registerSupportUpdates(run);
  return afterSales;
}

function registerFulfilmentUpdates(run: OrderRun) {
  const { state, inbox, policy } = run;
  setHandler(
    decideStock,
    async (decision) => {
      inbox.stockDecision = decision;
      // Answered once the decision took effect: the order moved on, or asks the customer again (the
      // substitute is short too, or its price difference awaits a wallet payment).
      await condition(
        () =>
          inbox.stockDecision === undefined &&
          (run.step !== 'awaiting_stock_decision' || state.pendingDecision !== undefined),
      );
      return state;
    },
    {
      validator: (d: StockDecision) => {
        requireAllowed(state, 'stockDecision');
        if (inbox.stockDecision) throw new Error(`order is ${state.status}, not awaiting a stock decision`);
        const problems = decisionProblems(state.lines, state.shortage!, d);
        if (problems.length) throw invalid(problems);
      },
    },
  );
  setHandler(
    shipOrder,
    async (req) => {
      inbox.shipRequests.push(req);
      await condition(() => !inbox.shipRequests.includes(req) || run.isTerminal());
      return state;
    },
    {
      validator: (req: ShipRequest) => {
        requireAllowed(state, 'ship');
        if (inbox.cancelRequest) throw new Error('a cancellation is in progress');
        if (req.warehouseId && !state.unshipped!.some((u) => u.warehouseId === req.warehouseId))
          throw invalid([{ field: 'warehouseId', message: `nothing waits to ship from ${req.warehouseId}` }]);
        if (!policy.couriers.includes(req.courier))
          throw invalid([
            {
              field: 'courier',
              message: `${req.courier} is not one of this merchant's couriers (${policy.couriers.join(', ')})`,
            },
          ]);
      },
    },
  );
  setHandler(
    decideAsMerchant,
    async (decision) => {
      inbox.merchantDecision = decision;
      await condition(() => run.step !== 'awaiting_merchant');
      // A cancellation accepted at the same moment may have taken effect first: then this decision did not.
      const outcome = decision.decision === 'accept' ? 'fulfilling' : 'rejected';
      if (run.step !== outcome) throw refuse(`order is ${state.status}: the ${decision.decision} did not take effect`);
      return state;
    },
    {
      validator: (d: MerchantDecision) => {
        requireAllowed(state, 'merchantDecision');
        if (inbox.merchantDecision) throw new Error(`order is ${state.status}, not awaiting the merchant`);
        if (d.decision === 'reject' && !d.reason?.trim()) throw invalidField('reason', 'is required to reject');
      },
    },
  );
}

/** Hands a cancellation to the main flow and answers with its outcome: cancelled, or refused. */
async function cancellation(run: OrderRun, request: CancelRequest): Promise<OrderState> {
  const { inbox } = run;
  inbox.cancelRequest = request;
  await condition(() => run.isTerminal() || inbox.cancelRefusal !== undefined);
  if (inbox.cancelRefusal !== undefined) {
    const reason = inbox.cancelRefusal;
    inbox.cancelRequest = inbox.cancelRefusal = undefined;
    throw refuse(reason);
  }
  if (run.step !== 'cancelled') throw refuse(`order is ${run.state.status}`);
  return run.state;
}

function registerCancellations(run: OrderRun) {
  const { state, inbox } = run;
  setHandler(cancelOrder, (req) => cancellation(run, req), {
    validator: (req: CancelRequest) => {
      requireAllowed(state, 'cancel');
      if (inbox.cancelRequest) throw new Error('a cancellation is already in progress');
      if (!req.reason?.trim()) throw invalidField('reason', 'is required');
    },
  });
  setHandler(cancelAsSupport, (req) => cancellation(run, { reason: req.reason, actor: req.actor, recall: true }), {
    validator: (_req) => {
      requireAllowed(state, 'supportCancel');
      if (inbox.cancelRequest) throw new Error('a cancellation is already in progress');
      if (run.refundInFlight) throw new Error('a refund is in progress');
    },
  });
}

function registerReceiptUpdates(run: OrderRun) {
  const { state, inbox } = run;
  setHandler(
    confirmReceipt,
    async (who) => {
      inbox.receipt = who;
      await condition(() => run.step === 'completed');
      return state;
    },
    { validator: (_who) => requireAllowed(state, 'confirmReceipt') },
  );
  setHandler(
    extendReceipt,
    (who) =>
      run.act(async () => {
        state.receiptExtended = true;
        if (state.pendingDecision) state.pendingDecision.until = run.receiptDeadline();
        await run.publish({ type: 'receipt.extended', actor: who.actor, detail: { until: run.receiptDeadline() } });
        return state;
      }),
    {
      validator: (_who) => {
        requireAllowed(state, 'extendReceipt');
      },
    },
  );
}

/** Risk holds: support reviews, the platform relays the customer's step-up verification. */
function registerRiskUpdates(run: OrderRun) {
  const { state, inbox } = run;
  const answer = async (a: NonNullable<typeof inbox.riskAnswer>) => {
    inbox.riskAnswer = a;
    await condition(() => inbox.riskSettled || run.isTerminal());
    return state;
  };
  const requireRiskHold = (action: 'reviewRisk' | 'submitVerification') => {
    requireAllowed(state, action);
    if (inbox.riskAnswer)
      throw new Error(
        `order is ${state.status}: the ${action === 'reviewRisk' ? 'risk review' : 'verification'} is already answered`,
      );
  };
  setHandler(
    reviewRisk,
    (r: RiskReview) => answer({ approved: r.decision === 'approve', actor: r.actor, note: r.reason }),
    {
      validator: (r: RiskReview) => {
        requireRiskHold('reviewRisk');
        if (!r.reason?.trim()) throw invalid('reason is required');
      },
    },
  );
  setHandler(
    submitVerification,
    ({ result, method, reference, actor }: VerificationResult) =>
      answer({
        approved: result === 'passed',
        actor,
        note: `verification ${result}${method ? ` (${method}${reference ? ` ${reference}` : ''})` : ''}`,
      }),
    {
      validator: (v: VerificationResult) => {
        requireRiskHold('submitVerification');
        if (v.result !== 'passed' && v.result !== 'failed') throw invalid('result must be passed or failed');
      },
    },
  );
}

/** Support operations: a refund, a window extension (cancellation is with the others). */
function registerSupportUpdates(run: OrderRun) {
  const { state, inbox } = run;
  setHandler(refundAsSupport, (req) => run.act(() => refundForSupport(run, req)), {
    validator: (req: SupportRefund) => {
      // A completed order stays open through its return window (after-sales): refunds are allowed then.
      requireAllowed(state, 'supportRefund');
      if (!Number.isInteger(req.amount) || req.amount <= 0)
        throw invalidField('amount', 'must be a positive integer (minor units)');
      if (run.refundInFlight || inbox.cancelRequest)
        throw new Error('a refund or a cancellation is already in progress');
      if (!refundablePayment(state, req))
        throw new Error(
          `no captured payment${req.paymentId ? ` ${req.paymentId}` : ''} has ${req.amount} left to refund (captured − refunded, less what open after-sales requests reserve)`,
        );
    },
  });
  setHandler(extendWindow, (req) => run.act(() => extendPendingWindow(run, req)), {
    validator: (req: SupportExtension) => {
      requireAllowed(state, 'supportExtendWindow');
      if (!run.windows.open)
        throw new Error(`order is ${state.status}: its ${state.pendingDecision!.awaiting} window has just closed`);
      if (!Number.isInteger(req.seconds) || req.seconds <= 0)
        throw invalidField('seconds', 'must be a positive integer');
    },
  });
}

/** A support refund from the payment named, else the first with enough left (refused if the guard finds too little). */
async function refundForSupport(run: OrderRun, req: SupportRefund): Promise<OrderState> {
  const { state } = run;
  const p = refundablePayment(state, req);
  if (!p)
    throw refuse(`no captured payment${req.paymentId ? ` ${req.paymentId}` : ''} has ${req.amount} left to refund`);
  run.supportRefunds += 1;
  run.refundInFlight = true;
  let given: RefundOutcome | null;
  try {
    given = await giveBack(run, p, req.amount, `support-refund-${run.supportRefunds}`, req.reason, req.actor, false);
    if (!given) throw refuse(`payment ${p.paymentId} has less than ${req.amount} left to refund`);
  } finally {
    run.refundInFlight = false;
  }
  // Announced once the refund is no longer in flight, so a waiting cancellation runs in the same order as before.
  await announceGiveBack(run, p, req.amount, req.reason, req.actor, given.released);
  return state;
}

/** Support extends the window the order waits in; the wait wakes and waits out the rest of the new deadline. */
async function extendPendingWindow(run: OrderRun, req: SupportExtension): Promise<OrderState> {
  const { state } = run;
  if (!run.windows.open) throw refuse(`order is ${state.status}: its window has just closed`);
  const pending = state.pendingDecision!;
  pending.until = new Date(Date.parse(pending.until) + seconds(req.seconds)).toISOString();
  if (pending.awaiting === 'receipt_confirmation') run.windows.receiptExtraMs += seconds(req.seconds);
  run.windows.extensions += 1;
  await run.publish({
    type: 'window.extended',
    actor: req.actor,
    detail: { awaiting: pending.awaiting, until: pending.until, seconds: req.seconds, reason: req.reason },
  });
  return state;
}

/** The table of allowed actions decides first (domain/actions.ts); a refusal is a 409. */
function requireAllowed(state: OrderState, action: OrderAction) {
  const refusal = actionRefusal(state, action);
  if (refusal) throw new Error(refusal);
}

/** The payment a support refund draws on: the one named, else the first with enough left. */
function refundablePayment(state: OrderState, req: { amount: number; paymentId?: string }): PaymentView | undefined {
  if (!Number.isInteger(req.amount) || req.amount <= 0 || freeToRefund(state) < req.amount) return undefined;
  return state.payments.find(
    (p) =>
      (!req.paymentId || p.paymentId === req.paymentId) &&
      (p.status === 'captured' || p.status === 'authorized') &&
      refundableOf(p) >= req.amount,
  );
}

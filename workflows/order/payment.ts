import { ActivityFailure, ApplicationFailure, condition } from '@temporalio/workflow';
import type { RefundOutcome } from '../../activities';
import { FAILURE } from '../../contract';
import { applyCapture, applyGiveBack, payerFor, refundableOf } from '../../domain/money';
import type { PaymentView } from '../../domain/order';
import { businessKey } from '../../domain/payments';
import { db, providers } from '../activities';
import { PATCH } from './patches';
import { OrderStop, seconds, type OrderRun } from './run';

type PaymentBase = { orderId: string; paymentId: string; idempotencyKey: string; amount: number; currency: string };

/**
 * Payment (docs/payments.md): cash on delivery waits for the door, a card is authorized, a wallet
 * payment waits for the provider's signed notification within the payment window. Its undo closes
 * a pending wallet payment and gives back whatever was taken.
 */
export async function pay(run: OrderRun, paymentDeadline: string) {
  const { input, orderId, paymentId, inbox } = run;
  run.onStop(() => settlePayments(run, inbox.cancelRequest?.reason ?? 'order cancelled'));
  const total = input.totals.total;
  const base = {
    orderId,
    paymentId,
    idempotencyKey: businessKey(orderId, 'payment'),
    amount: total,
    currency: input.totals.currency,
  };
  if (input.paymentMethod === 'cod') {
    await run.moveTo('cod_pending', {
      type: 'risk.approved',
      actor: 'risk-control',
      detail: { payment: 'cash on delivery' },
    });
    return;
  }
  if (input.paymentMethod === 'card') {
    const view = await payByCard(run, base, 'payment declined');
    await run.moveTo('paid', {
      type: `payment.${view.status}`,
      actor: 'payment-provider',
      detail: { paymentId, amount: total },
    });
    return;
  }
  const method = input.paymentMethod;
  const action = await providers.createWalletPayment({ ...base, method, expiresAt: paymentDeadline });
  run.payment({
    paymentId,
    method,
    status: 'pending',
    amount: total,
    captured: 0,
    refunded: 0,
    currency: base.currency,
    action,
  });
  run.state.pendingDecision = { awaiting: 'payment', actor: 'customer', until: paymentDeadline };
  await run.moveTo('awaiting_payment', {
    type: 'payment.requested',
    actor: 'system',
    detail: { paymentId, method, action },
  });
  const remaining = Math.max(0, Date.parse(paymentDeadline) - Date.now()) / 1000;
  if (!(await run.waitFor(() => inbox.walletCapture !== undefined, remaining)))
    throw new OrderStop('cancelled', 'payment window ended without payment', 'system');
  await db.recordCapture({ ...base, method, amount: inbox.walletCapture!.amount });
  run.payment({
    paymentId,
    method,
    status: 'captured',
    amount: total,
    captured: total,
    refunded: 0,
    currency: base.currency,
  });
  run.state.pendingDecision = undefined;
  await run.moveTo('paid', {
    type: 'payment.captured',
    actor: 'payment-provider',
    detail: { paymentId, amount: total, eventId: inbox.walletCapture!.eventId },
  });
}

/** A card payment: authorized (captured at the first hand-over), or charged at once by orders older than that. */
async function payByCard(run: OrderRun, base: PaymentBase, declined: string): Promise<PaymentView> {
  const authorizes = run.takes(PATCH.cardAuthorizes);
  try {
    await (authorizes ? providers.authorizeCard : providers.chargeCard)({ ...base, token: run.input.cardToken! });
  } catch (err) {
    if (
      err instanceof ActivityFailure &&
      err.cause instanceof ApplicationFailure &&
      err.cause.type === FAILURE.paymentDeclined
    )
      throw new OrderStop('cancelled', `${declined}: ${err.cause.message}`, 'payment-provider');
    throw err;
  }
  const { paymentId: id, amount, currency } = base;
  return run.payment({
    paymentId: id,
    method: 'card',
    status: authorizes ? 'authorized' : 'captured',
    amount,
    captured: authorizes ? 0 : amount,
    refunded: 0,
    currency,
  });
}

/** A dearer substitute: the difference is charged (card), asked for (wallets), or collected at the door (COD). */
export async function collectExtra(run: OrderRun, amount: number, stepName: string) {
  const { input, orderId, policy, inbox } = run;
  if (input.paymentMethod === 'cod') return;
  const id = `${run.paymentId}-${stepName}`;
  const base = {
    orderId,
    paymentId: id,
    idempotencyKey: businessKey(orderId, `payment-${stepName}`),
    amount,
    currency: input.totals.currency,
  };
  if (input.paymentMethod === 'card') {
    const view = await payByCard(run, base, 'payment for the substitute declined');
    await run.publish({ type: `payment.${view.status}`, actor: 'payment-provider', detail: { paymentId: id, amount } });
    return;
  }
  const method = input.paymentMethod;
  const until = new Date(Date.now() + seconds(policy.paymentWindowSeconds)).toISOString();
  inbox.extraPayments.set(id, { amount });
  const action = await providers.createWalletPayment({ ...base, method, expiresAt: until });
  run.payment({
    paymentId: id,
    method,
    status: 'pending',
    amount,
    captured: 0,
    refunded: 0,
    currency: base.currency,
    action,
  });
  run.state.pendingDecision = { awaiting: 'payment', actor: 'customer', until };
  await run.publish({ type: 'payment.requested', actor: 'system', detail: { paymentId: id, method, action } });
  if (!(await run.waitFor(() => inbox.extraPayments.get(id)?.eventId !== undefined, policy.paymentWindowSeconds)))
    throw new OrderStop('cancelled', 'the price difference of the substitute was not paid in time', 'system');
  await db.recordCapture({ ...base, method, amount });
  run.payment({
    paymentId: id,
    method,
    status: 'captured',
    amount,
    captured: amount,
    refunded: 0,
    currency: base.currency,
  });
  run.state.pendingDecision = undefined;
  await run.publish({
    type: 'payment.captured',
    actor: 'payment-provider',
    detail: { paymentId: id, amount, eventId: inbox.extraPayments.get(id)!.eventId },
  });
}

/** The first hand-over takes the money: every card authorization is captured, less what was released. */
export async function captureAuthorized(run: OrderRun) {
  for (const p of run.state.payments.filter((p) => p.status === 'authorized')) {
    const { captured } = await providers.captureCard({
      orderId: run.orderId,
      paymentId: p.paymentId,
      idempotencyKey: businessKey(run.orderId, `capture-${p.paymentId}`),
    });
    applyCapture(p, captured);
    await run.publish({
      type: 'payment.captured',
      actor: 'payment-provider',
      detail: { paymentId: p.paymentId, amount: captured },
    });
  }
}

/**
 * Gives `amount` of one payment back through the refund guard, and books what it decided: a refund
 * of captured money, or (a card not captured yet) a release from its authorization. Null if refused.
 */
export async function giveBack(
  run: OrderRun,
  p: PaymentView,
  amount: number,
  step: string,
  reason: string,
  actor = 'system',
  announce = true,
): Promise<RefundOutcome | null> {
  const done = await providers.refundPayment({
    orderId: run.orderId,
    paymentId: p.paymentId,
    idempotencyKey: businessKey(run.orderId, step),
    amount,
    reason,
  });
  if (!done) return null;
  applyGiveBack(p, amount, done.released);
  if (announce) await announceGiveBack(run, p, amount, reason, actor, done.released);
  return done;
}

export const announceGiveBack = (
  run: OrderRun,
  p: PaymentView,
  amount: number,
  reason: string,
  actor: string,
  released: boolean | undefined,
) =>
  run.publish({
    type: released ? 'payment.released' : 'payment.refunded',
    actor,
    detail: { paymentId: p.paymentId, amount, reason },
  });

/** Gives back part of what the customer paid (a shortage, a cheaper substitute); cash on delivery has nothing to give back yet. */
export async function refundPart(run: OrderRun, amount: number, step: string, reason: string) {
  const paid = payerFor(run.state.payments, amount);
  if (paid) await giveBack(run, paid, amount, `refund-${step}`, reason);
}

/** Undo of the payment: closes a pending wallet payment, then refunds what was captured and not yet refunded. */
async function settlePayments(run: OrderRun, reason: string) {
  const { orderId, state } = run;
  if (run.refundInFlight) await condition(() => !run.refundInFlight); // a support refund finishes first
  for (const p of state.payments) {
    if (p.status === 'pending' && (p.method === 'wechat_pay' || p.method === 'alipay')) {
      const key = businessKey(orderId, p.paymentId === run.paymentId ? 'close-payment' : `close-${p.paymentId}`);
      const { capturedBeforeClose } = await providers.closeWalletPayment({
        orderId,
        paymentId: p.paymentId,
        method: p.method,
        idempotencyKey: key,
      });
      Object.assign(p, capturedBeforeClose ? { status: 'captured', captured: p.amount } : { status: 'cancelled' });
      delete p.action;
    }
    const refundable = refundableOf(p);
    if (refundable <= 0) continue;
    for (const l of state.lines) l.refunded = l.quantity - l.delivered;
    await giveBack(run, p, refundable, `refund-${p.paymentId}`, reason);
  }
}

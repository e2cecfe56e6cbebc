import { ApplicationFailure } from '@temporalio/activity';
import { ProviderRejectedError } from '../adapters/types';
import { FAILURE } from '../contract';
import type { PaymentAction, PaymentMethod } from '../domain';
import { runStatement } from '../store/db';
import type { ActivityDeps } from './deps';
import { isWallet, walletRefunds, type RefundOutcome } from './refunds';

/** Hot statements of every paid order (decision 111). */
const OPEN_PAYMENT = {
  name: 'open-payment',
  text: `INSERT INTO payments (id, order_id, method, status, amount, currency, action)
    VALUES ($1, $2, $3, 'pending', $4, $5, $6::jsonb)
    ON CONFLICT (id) DO UPDATE SET action = excluded.action, updated_at = now() WHERE excluded.action IS NOT NULL`,
};
const SETTLE_PAYMENT = {
  name: 'settle-payment',
  text: `UPDATE payments SET status = $3, captured_amount = coalesce($4, captured_amount),
      provider_ref = coalesce($5, provider_ref), updated_at = now()
    WHERE id = $1 AND status = $2`,
};

const START_CAPTURE = {
  name: 'start-capture',
  text: `UPDATE payments SET status = 'capturing', updated_at = now()
    WHERE id = $1 AND status IN ('authorized', 'capturing')
    RETURNING amount - voided_amount AS capture, provider_ref AS "providerRef", currency`,
};

export interface PaymentRequest {
  orderId: string;
  paymentId: string;
  idempotencyKey: string;
  amount: number;
  currency: string;
}

/**
 * Money moves only through providers, each call carrying the business idempotency key; our rows
 * record what the provider confirmed. A refund is a decision row first (bounded by what was captured,
 * under a row lock), then the provider call, so no order is ever refunded above its capture. Cards and
 * cash on delivery confirm at once; wallets later, by notification (activities/refunds.ts).
 */
export function createPaymentActivities(deps: ActivityDeps) {
  const { db, providers } = deps;
  const requestWalletRefund = walletRefunds(deps);
  /** What a payment past capturing (captured, or never authorized) has captured. */
  async function capturedBefore(paymentId: string): Promise<number> {
    const p = await db.payment.findUnique({ where: { id: paymentId }, select: { capturedAmount: true } });
    if (!p) throw ApplicationFailure.nonRetryable(`no payment ${paymentId}`, FAILURE.notAllowed);
    return p.capturedAmount;
  }

  /** The payment's row, once: a retry changes nothing, except a wallet payment's action, given again. */
  async function openPayment(req: PaymentRequest, method: PaymentMethod, action?: PaymentAction) {
    const values = [
      req.paymentId,
      req.orderId,
      method,
      req.amount,
      req.currency,
      action ? JSON.stringify(action) : null,
    ];
    await runStatement(db, OPEN_PAYMENT, values);
  }

  /** Moves a `from` payment to `to`; a payment elsewhere (a duplicated notification, a retry) stays. */
  async function settle(
    paymentId: string,
    from: string,
    to: string,
    change: { captured?: number; providerRef?: string },
  ) {
    const values = [paymentId, from, to, change.captured ?? null, change.providerRef ?? null];
    await runStatement(db, SETTLE_PAYMENT, values);
  }

  async function markCaptured(paymentId: string, amount: number, providerRef?: string) {
    // Only a pending payment captures, so a duplicated notification never captures twice.
    await settle(paymentId, 'pending', 'captured', { captured: amount, providerRef });
  }

  /** A decline is a business outcome (the payment fails, the order stops), not something to retry. */
  async function declined(paymentId: string, err: unknown): Promise<never> {
    if (err instanceof ProviderRejectedError) {
      await db.payment.updateMany({ where: { id: paymentId, status: 'pending' }, data: { status: 'failed' } });
      throw ApplicationFailure.nonRetryable(err.message, FAILURE.paymentDeclined, { code: err.code });
    }
    throw err; // timeouts and outages retry with the same idempotency key
  }

  return {
    /** Card, as orders paid before authorizations existed: authorize and capture at once. */
    async chargeCard(req: PaymentRequest & { token: string }): Promise<{ providerRef: string }> {
      await openPayment(req, 'card');
      try {
        const { providerRef } = await providers.card.charge({ ...req, token: req.token });
        await markCaptured(req.paymentId, req.amount, providerRef);
        return { providerRef };
      } catch (err) {
        return declined(req.paymentId, err);
      }
    },

    /** Card at payment: the money is held on the card, taken at hand-over (captureCard). */
    async authorizeCard(req: PaymentRequest & { token: string }): Promise<{ providerRef: string }> {
      await openPayment(req, 'card');
      try {
        const { providerRef } = await providers.card.authorize({ ...req, token: req.token });
        await settle(req.paymentId, 'pending', 'authorized', { providerRef });
        return { providerRef };
      } catch (err) {
        return declined(req.paymentId, err);
      }
    },

    /**
     * Card at the first hand-over: captures what is left of the authorization after releases. The
     * amount is fixed under the row lock (status `capturing`), so a refund deciding meanwhile draws on
     * the capture instead of releasing what is being captured. Returns what was captured.
     */
    async captureCard(req: {
      orderId: string;
      paymentId: string;
      idempotencyKey: string;
    }): Promise<{ captured: number }> {
      // One statement takes the row lock, fixes the amount and reads what the gateway needs; a retry
      // finds the payment `capturing` and captures the same amount under the same key.
      const [target] = await runStatement<{ capture: number; providerRef: string; currency: string }>(
        db,
        START_CAPTURE,
        [req.paymentId],
      );
      if (!target) return { captured: await capturedBefore(req.paymentId) };
      await providers.card.capture({
        idempotencyKey: req.idempotencyKey,
        orderId: req.orderId,
        paymentId: req.paymentId,
        providerRef: target.providerRef,
        amount: target.capture,
        currency: target.currency,
      });
      await settle(req.paymentId, 'capturing', 'captured', { captured: target.capture });
      return { captured: target.capture };
    },

    /** WeChat Pay / Alipay: a payment action for the customer; the capture arrives by webhook. */
    async createWalletPayment(
      req: PaymentRequest & { method: 'wechat_pay' | 'alipay'; expiresAt: string },
    ): Promise<PaymentAction> {
      const { providerRef, action } = await providers.wallets[req.method].createPayment(req);
      await openPayment(req, req.method, action);
      await db.payment.update({ where: { id: req.paymentId }, data: { providerRef } });
      return action;
    },

    /** Closes an unpaid wallet payment; if the customer paid just before, the capture is recorded for refund. */
    async closeWalletPayment(req: {
      orderId: string;
      paymentId: string;
      method: 'wechat_pay' | 'alipay';
      idempotencyKey: string;
    }): Promise<{ capturedBeforeClose: boolean }> {
      try {
        await providers.wallets[req.method].closePayment(req);
      } catch (err) {
        if (!(err instanceof ProviderRejectedError && err.code === 'already_paid')) throw err;
        const payment = await db.payment.findUniqueOrThrow({ where: { id: req.paymentId } });
        await markCaptured(req.paymentId, payment.amount);
        return { capturedBeforeClose: true };
      }
      await db.payment.updateMany({ where: { id: req.paymentId, status: 'pending' }, data: { status: 'cancelled' } });
      return { capturedBeforeClose: false };
    },

    /** A provider's notification (already signature-checked) or cash collected at the door. */
    async recordCapture(req: PaymentRequest & { method: PaymentMethod }): Promise<void> {
      await openPayment(req, req.method);
      await markCaptured(req.paymentId, req.amount);
    },

    /**
     * Gives back `amount` of a payment, decided once per idempotency key under the payment's row lock
     * (never above what is left). A card authorization not yet captured is lowered instead (`release`:
     * never taken, nothing to refund) and voided at the gateway once nothing is left of it. Returns
     * null when refused.
     */
    async refundPayment(req: {
      orderId: string;
      paymentId: string;
      idempotencyKey: string;
      amount: number;
      reason: string;
    }): Promise<RefundOutcome | null> {
      const decided = await db.$transaction(async (tx) => {
        const existing = await tx.refund.findUnique({ where: { id: req.idempotencyKey } });
        if (existing) return existing;
        const [payment] = await tx.$queryRaw<
          Array<{ status: string; amount: number; voided: number; captured: number; refunded: number }>
        >`
          SELECT status, amount, voided_amount AS voided, captured_amount AS captured, refunded_amount AS refunded FROM payments WHERE id = ${req.paymentId} FOR UPDATE`;
        if (!payment || req.amount <= 0) return null;
        const release = payment.status === 'authorized';
        // A capture in flight takes what was not released; refunds draw on that.
        const held = payment.status === 'capturing' ? payment.amount - payment.voided : payment.captured;
        if ((release ? payment.amount - payment.voided : held - payment.refunded) < req.amount) return null;
        const voidedAll = release && payment.voided + req.amount === payment.amount;
        await tx.payment.update({
          where: { id: req.paymentId },
          data: release
            ? { voidedAmount: { increment: req.amount }, ...(voidedAll ? { status: 'voided' } : {}) }
            : { refundedAmount: { increment: req.amount } },
        });
        return tx.refund.create({
          data: {
            id: req.idempotencyKey,
            orderId: req.orderId,
            paymentId: req.paymentId,
            kind: release ? 'release' : 'refund',
            amount: req.amount,
            reason: req.reason,
            status: 'pending',
          },
        });
      });
      if (!decided) return null;
      if (decided.status !== 'pending')
        return {
          providerRef: decided.providerRef!,
          status: decided.status as RefundOutcome['status'],
          ...(decided.kind === 'release' ? { released: true } : {}),
        };

      const payment = await db.payment.findUniqueOrThrow({ where: { id: req.paymentId } });
      if (decided.kind === 'release') {
        // Nothing left to capture: the gateway frees the customer's card at once.
        if (payment.status === 'voided')
          await providers.card.void({
            idempotencyKey: req.idempotencyKey,
            orderId: req.orderId,
            providerRef: payment.providerRef!,
          });
        await db.refund.update({
          where: { id: req.idempotencyKey },
          data: { status: 'succeeded', providerRef: payment.providerRef, confirmedAt: new Date() },
        });
        return { providerRef: payment.providerRef!, status: 'succeeded', released: true };
      }
      // The decision is the truth: a retry under the same key refunds what was decided, whatever it asks.
      const refundReq = {
        ...req,
        amount: decided.amount,
        providerRef: payment.providerRef ?? payment.id,
        currency: payment.currency,
      };
      // Wallets confirm by notification: the decision stays pending under its confirmation workflow (activities/refunds.ts).
      if (isWallet(payment.method)) return requestWalletRefund(decided.id, payment.method, refundReq);
      const result =
        payment.method === 'card'
          ? await providers.card.refund(refundReq)
          : { providerRef: `bank-transfer-${req.idempotencyKey}`, status: 'succeeded' as const }; // COD refunds are a recorded bank transfer (docs/payments.md)
      await db.refund.update({
        where: { id: req.idempotencyKey },
        data: { status: 'succeeded', providerRef: result.providerRef, confirmedAt: new Date() },
      });
      return result;
    },
  };
}

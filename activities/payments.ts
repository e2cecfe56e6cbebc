import { ApplicationFailure } from '@temporalio/activity';
import { ProviderRejectedError, type RefundResult } from '../adapters/types';
import { FAILURE } from '../workflows/definitions';
import type { PaymentAction, PaymentMethod } from '../domain';
import type { ActivityDeps } from './deps';

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
 * under a row lock), then the provider call, so no order is ever refunded above its capture.
 */
export function createPaymentActivities({ db, providers }: ActivityDeps) {
  async function openPayment(req: PaymentRequest, method: PaymentMethod, action?: PaymentAction) {
    await db.payment.upsert({
      where: { id: req.paymentId },
      create: { id: req.paymentId, orderId: req.orderId, method, status: 'pending', amount: req.amount, currency: req.currency, action: action as object | undefined },
      update: action ? { action: action as object } : {},
    });
  }

  async function markCaptured(paymentId: string, amount: number, providerRef?: string) {
    // Only a pending payment captures, so a duplicated notification never captures twice.
    await db.payment.updateMany({
      where: { id: paymentId, status: 'pending' },
      data: { status: 'captured', capturedAmount: amount, ...(providerRef ? { providerRef } : {}) },
    });
  }

  return {
    /** Card: authorize and capture at once. A decline is a business outcome, not a retry. */
    async chargeCard(req: PaymentRequest & { token: string }): Promise<{ providerRef: string }> {
      await openPayment(req, 'card');
      try {
        const { providerRef } = await providers.card.charge({ ...req, token: req.token });
        await markCaptured(req.paymentId, req.amount, providerRef);
        return { providerRef };
      } catch (err) {
        if (err instanceof ProviderRejectedError) {
          await db.payment.updateMany({ where: { id: req.paymentId, status: 'pending' }, data: { status: 'failed' } });
          throw ApplicationFailure.nonRetryable(err.message, FAILURE.paymentDeclined, { code: err.code });
        }
        throw err; // timeouts and outages retry with the same idempotency key
      }
    },

    /** WeChat Pay / Alipay: a payment action for the customer; the capture arrives by webhook. */
    async createWalletPayment(req: PaymentRequest & { method: 'wechat_pay' | 'alipay'; expiresAt: string }): Promise<PaymentAction> {
      const { providerRef, action } = await providers.wallets[req.method].createPayment(req);
      await openPayment(req, req.method, action);
      await db.payment.update({ where: { id: req.paymentId }, data: { providerRef } });
      return action;
    },

    /** Closes an unpaid wallet payment; if the customer paid just before, the capture is recorded for refund. */
    async closeWalletPayment(req: { orderId: string; paymentId: string; method: 'wechat_pay' | 'alipay'; idempotencyKey: string }): Promise<{ capturedBeforeClose: boolean }> {
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

    async refundPayment(req: { orderId: string; paymentId: string; idempotencyKey: string; amount: number; reason: string }): Promise<RefundResult | null> {
      // Decision: reserve the refund against the capture under a row lock; a retry finds its own row.
      const decided = await db.$transaction(async (tx) => {
        const existing = await tx.refund.findUnique({ where: { id: req.idempotencyKey } });
        if (existing) return existing;
        const [payment] = await tx.$queryRaw<Array<{ captured: number; refunded: number }>>`
          SELECT captured_amount AS captured, refunded_amount AS refunded FROM payments WHERE id = ${req.paymentId} FOR UPDATE`;
        if (!payment || payment.captured - payment.refunded < req.amount || req.amount <= 0) return null;
        await tx.payment.update({ where: { id: req.paymentId }, data: { refundedAmount: { increment: req.amount } } });
        return tx.refund.create({
          data: { id: req.idempotencyKey, orderId: req.orderId, paymentId: req.paymentId, amount: req.amount, reason: req.reason, status: 'pending' },
        });
      });
      if (!decided) return null;
      if (decided.status === 'succeeded') return { providerRef: decided.providerRef!, status: 'succeeded' };

      const payment = await db.payment.findUniqueOrThrow({ where: { id: req.paymentId } });
      // The decision is the truth: a retry under the same key refunds what was decided, whatever it asks.
      const refundReq = { ...req, amount: decided.amount, providerRef: payment.providerRef ?? payment.id, currency: payment.currency };
      const result =
        payment.method === 'card'
          ? await providers.card.refund(refundReq)
          : payment.method === 'cod'
            ? { providerRef: `bank-transfer-${req.idempotencyKey}`, status: 'succeeded' as const } // COD refunds are a recorded bank transfer (SPEC §7)
            : await providers.wallets[payment.method as 'wechat_pay' | 'alipay'].refund(refundReq);
      await db.refund.update({ where: { id: req.idempotencyKey }, data: { status: 'succeeded', providerRef: result.providerRef } });
      return result;
    },
  };
}

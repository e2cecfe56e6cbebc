import { createHash } from 'node:crypto';
import { log } from '@temporalio/activity';
import { type AfterSalesState, type PaymentMethod } from '../domain';
import type { ActivityDeps } from './deps';
import { wakeBackorders } from '../store/backorders';
import { creditPoints, takeBackPoints } from '../store/points';

/**
 * The database steps of after-sales (docs/after-sales.md): a request's read model, restocking of resellable
 * returns, and the loyalty records it can create (points, coupons). Each is idempotent by a business
 * id, so a retried activity never restocks, credits or issues twice. Money moves through
 * refundPayment (activities/payments.ts) only.
 */
export function createAfterSalesActivities({ db, temporal }: ActivityDeps) {
  return {
    /** Writes the request's read-model row; an older version arriving late is ignored. */
    async projectAfterSales(state: AfterSalesState): Promise<void> {
      const data = {
        status: state.status,
        snapshot: state as unknown as object,
        version: state.version,
        updatedAt: new Date(),
      };
      await db.$transaction(async (tx) => {
        const { count } = await tx.afterSalesRequest.updateMany({
          where: { id: state.requestId, version: { lt: state.version } },
          data,
        });
        if (count > 0) return;
        await tx.afterSalesRequest.createMany({
          data: [
            {
              id: state.requestId,
              orderId: state.orderId,
              merchantId: state.merchantId,
              customerId: state.customerId,
              type: state.type,
              createdAt: new Date(state.requestedAt),
              ...data,
            },
          ],
          skipDuplicates: true,
        });
      });
    },

    /** What each payment of an order can still refund, as the payments table says now. */
    async refundablePayments({
      orderId,
    }: {
      orderId: string;
    }): Promise<Array<{ paymentId: string; method: PaymentMethod; refundable: number }>> {
      const rows = await db.payment.findMany({ where: { orderId, status: 'captured' }, orderBy: { createdAt: 'asc' } });
      return rows.map((p) => ({
        paymentId: p.id,
        method: p.method as PaymentMethod,
        refundable: p.capturedAmount - p.refundedAmount,
      }));
    },

    /** Resellable units back on hand in the warehouse they came from, once per request line; they may serve backorders. */
    async restockAfterSales(req: {
      requestId: string;
      lines: Array<{ lineNo: number; sku: string; warehouseId: string; quantity: number }>;
    }): Promise<void> {
      for (const l of req.lines) {
        await db.$transaction(async (tx) => {
          const inserted =
            await tx.$executeRaw`INSERT INTO after_sales_restocks (request_id, line_no, sku, warehouse_id, quantity)
            VALUES (${req.requestId}, ${l.lineNo}, ${l.sku}, ${l.warehouseId}, ${l.quantity}) ON CONFLICT DO NOTHING`;
          if (inserted === 1)
            await tx.$executeRaw`UPDATE inventory SET on_hand = on_hand + ${l.quantity}, updated_at = now() WHERE sku = ${l.sku} AND warehouse_id = ${l.warehouseId}`;
        });
      }
      // Waking is best effort (a waiter also looks periodically), so a retry waking again is harmless.
      if (temporal)
        for (const sku of new Set(req.lines.map((l) => l.sku)))
          await wakeBackorders(db, temporal.client, sku, (err, workflowId) => {
            log.warn('could not wake a backorder', { workflowId, sku, error: String(err) });
          });
    },

    /**
     * One points ledger entry (credit or reversal); the id names the business step. Answers the delta
     * the ledger holds: a reversal takes at most the balance, so it may be less than asked.
     */
    async recordPoints(req: {
      id: string;
      customerId: string;
      orderId: string;
      delta: number;
      reason: string;
    }): Promise<number> {
      if (req.delta === 0) return 0;
      if (req.delta > 0) {
        await creditPoints(db, req);
        return req.delta;
      }
      return -(await db.$transaction((tx) => takeBackPoints(tx, { ...req, points: -req.delta })));
    },

    /** A single-use coupon for the customer; its code derives from the request, so a retry issues none twice. */
    async issueCoupon(req: {
      requestId: string;
      customerId: string;
      orderId: string;
      amount: number;
      currency: string;
    }): Promise<{ code: string }> {
      const code = `CP-${createHash('sha256').update(req.requestId).digest('hex').slice(0, 12).toUpperCase()}`;
      await db.coupon.createMany({
        data: [
          {
            code,
            customerId: req.customerId,
            orderId: req.orderId,
            afterSalesId: req.requestId,
            amount: req.amount,
            currency: req.currency,
          },
        ],
        skipDuplicates: true,
      });
      return { code };
    },
  };
}

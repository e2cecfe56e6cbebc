import type { OrderInput, OrderState, TimelineEntry } from '../domain';
import { queueMilestoneNotices } from '../store/notices';
import { DEFAULT_MEMBERSHIP } from '../config';
import { giveBackCheckout, giveBackOnReturns } from '../store/checkout';
import { recordMembership } from '../store/membership';
import { insertSubmittedOrder } from '../store/orders';
import { recordOutboundEvent } from '../store/outbound-events';
import type { ActivityDeps } from './deps';

/**
 * The order workflow writes its own read model (ARCHITECTURE "Data flows one way"): lists come from
 * these rows; writes carry the state's version so a late retry never overwrites newer state.
 */
export function createProjectionActivities({ db, membership = DEFAULT_MEMBERSHIP }: ActivityDeps) {
  return {
    async recordSubmission(input: OrderInput, state: OrderState, entry: TimelineEntry): Promise<void> {
      await db.$transaction((tx) => insertSubmittedOrder(tx, input, state, entry));
    },

    async projectOrder(state: OrderState, entry: TimelineEntry): Promise<void> {
      await db.$transaction(async (tx) => {
        const { count } = await tx.order.updateMany({
          where: { id: state.orderId, version: { lt: state.version } },
          data: {
            status: state.status,
            snapshot: state as unknown as object,
            version: state.version,
            subtotal: state.totals.subtotal,
            total: state.totals.total,
            flags: (state.flags ?? []) as unknown as object,
            updatedAt: new Date(entry.at),
          },
        });
        // The timeline entry is kept even when a newer state was projected first (an Update's handler
        // and the main flow may publish at once); a retry of the same projection adds nothing.
        await tx.orderEvent.createMany({
          data: [
            {
              orderId: state.orderId,
              seq: state.version,
              type: entry.type,
              actor: entry.actor,
              detail: (entry.detail ?? {}) as object,
              occurredAt: new Date(entry.at),
            },
          ],
          skipDuplicates: true,
        });
        await queueMilestoneNotices(tx, state, entry);
        await giveBackCheckout(tx, state); // cancelled before shipping: coupon, points, promotion counts, once
        await recordMembership(tx, state, membership); // completed: growth value, tier bonus points and their reversal
        // After recordMembership: both lock the membership row before the customer's, never the other way round.
        await giveBackOnReturns(tx, state); // returned after delivery: redeemed points in proportion; coupon if all came back
        await recordOutboundEvent(tx, state, entry);
        if (count === 0) return; // already projected (retry) or superseded
        for (const l of state.lines) {
          const ledger = {
            allocated: l.allocated,
            shipped: l.shipped,
            delivered: l.delivered,
            returned: l.returned,
            refunded: l.refunded,
          };
          // Substitute lines appear after submission.
          await tx.orderLine.upsert({
            where: { orderId_lineNo: { orderId: state.orderId, lineNo: l.lineNo } },
            create: {
              orderId: state.orderId,
              lineNo: l.lineNo,
              sku: l.sku,
              name: l.name,
              unitPrice: l.unitPrice,
              quantity: l.quantity,
              discount: l.discount ?? 0,
              gift: l.gift ?? false,
              ...ledger,
            },
            update: ledger,
          });
        }
      });
    },
  };
}

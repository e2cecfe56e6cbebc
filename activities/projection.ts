import type { OrderInput, OrderState, TimelineEntry } from '../domain';
import { milestoneNoticeRows } from '../store/notices';
import { DEFAULT_MEMBERSHIP } from '../config';
import { giveBackCheckout, giveBackOnReturns, givesBackCheckout, refundedForReturns } from '../store/checkout';
import { membershipRowOf, takeBackBonus, takesBackBonus } from '../store/membership';
import { insertSubmittedOrder, orderRecorded } from '../store/orders';
import { writeProjection } from '../store/projection';
import type { ActivityDeps } from './deps';

/**
 * Whether a projection also gives back what checkout took or takes back a tier bonus: those writes
 * commit with it, in a transaction; the others, membership's growth row too, are one statement
 * (decision 105).
 */
const givesBack = (state: OrderState) =>
  givesBackCheckout(state) || refundedForReturns(state) > 0 || takesBackBonus(state);

/**
 * The order workflow writes its own read model (ARCHITECTURE "Data flows one way"): lists come from
 * these rows; writes carry the state's version so a late retry never overwrites newer state.
 */
export function createProjectionActivities({ db, membership = DEFAULT_MEMBERSHIP }: ActivityDeps) {
  return {
    async recordSubmission(input: OrderInput, state: OrderState, entry: TimelineEntry): Promise<void> {
      // The API wrote the row with the order's acceptance, the usual case: one read instead of a transaction.
      if (await orderRecorded(db, input.orderId)) return;
      await db.$transaction((tx) => insertSubmittedOrder(tx, input, state, entry));
    },

    async projectOrder(state: OrderState, entry: TimelineEntry): Promise<void> {
      const [notices, grown] = await Promise.all([
        milestoneNoticeRows(db, state, entry),
        membershipRowOf(db, state, membership), // completed: growth value and tier bonus points
      ]);
      if (!givesBack(state)) return writeProjection(db, state, entry, notices, grown);
      await db.$transaction(async (tx) => {
        await writeProjection(tx, state, entry, notices, grown);
        await giveBackCheckout(tx, state); // cancelled before shipping: coupon, points, promotion counts, once
        await takeBackBonus(tx, state); // refunded after completion: the bonus in proportion to the base points
        // After takeBackBonus: both lock the membership row before the customer's, never the other way round.
        await giveBackOnReturns(tx, state); // returned after delivery: redeemed points in proportion; coupon if all came back
      });
    },
  };
}

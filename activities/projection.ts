import type { OrderInput, OrderState, TimelineEntry } from '../domain';
import { milestoneNoticeRows } from '../store/notices';
import { DEFAULT_MEMBERSHIP } from '../config';
import { giveBackCheckout, giveBackOnReturns, givesBackCheckout, refundedForReturns } from '../store/checkout';
import { recordMembership } from '../store/membership';
import { insertSubmittedOrder, orderRecorded } from '../store/orders';
import { writeProjection } from '../store/projection';
import type { ActivityDeps } from './deps';

/**
 * Whether a projection also gives back what checkout took or records membership: those writes commit
 * with it, in a transaction; the others are one statement (decision 105).
 */
const givesBackOrEarns = (state: OrderState) =>
  givesBackCheckout(state) || !!state.completedAt || refundedForReturns(state) > 0;

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
      const notices = await milestoneNoticeRows(db, state, entry);
      if (!givesBackOrEarns(state)) return writeProjection(db, state, entry, notices);
      await db.$transaction(async (tx) => {
        await writeProjection(tx, state, entry, notices);
        await giveBackCheckout(tx, state); // cancelled before shipping: coupon, points, promotion counts, once
        await recordMembership(tx, state, membership); // completed: growth value, tier bonus points and their reversal
        // After recordMembership: both lock the membership row before the customer's, never the other way round.
        await giveBackOnReturns(tx, state); // returned after delivery: redeemed points in proportion; coupon if all came back
      });
    },
  };
}

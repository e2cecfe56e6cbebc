import type { Prisma } from '../../prisma/generated/client';

/**
 * One row per merchant and customer (docs/analytics.md, decision 072), and per channel and payment
 * method with '*' for any, over the orders that did not end cancelled or rejected: first, second
 * and last submission, orders, and monetary value (Σ total − succeeded refunds, as net sales).
 * First/second/last are not sums, so the rows of a changed order's customer are recomputed from that
 * customer's orders (an index range) instead of adjusted by a difference.
 */
export const CUSTOMER_COLUMNS = [
  'merchant_id',
  'channel',
  'payment_method',
  'customer_id',
  'first_order_at',
  'second_order_at',
  'last_order_at',
  'orders',
  'monetary',
];

/** The customer rows of the orders `o` matching `where`, for every filter combination. */
export function customersSql(where: string): string {
  return `
    SELECT o.merchant_id, COALESCE(o.channel, '*') AS channel, COALESCE(o.payment_method, '*') AS payment_method,
      o.customer_id,
      min(o.created_at) AS first_order_at,
      (array_agg(o.created_at ORDER BY o.created_at))[2] AS second_order_at,
      max(o.created_at) AS last_order_at,
      count(*)::bigint AS orders,
      SUM(o.total - COALESCE(r.refunded, 0))::bigint AS monetary
    FROM orders o
    LEFT JOIN LATERAL (
      SELECT SUM(amount) AS refunded FROM refunds WHERE order_id = o.id AND status = 'succeeded') r ON true
    WHERE o.status NOT IN ('cancelled', 'rejected') AND ${where}
    GROUP BY o.merchant_id, o.customer_id,
      GROUPING SETS ((o.channel, o.payment_method), (o.channel), (o.payment_method), ())`;
}

const cols = CUSTOMER_COLUMNS.join(', ');

/** Recomputes the rows of the customers of these orders (in every merchant they bought from). */
export async function refreshCustomers(tx: Prisma.TransactionClient, orderIds: string[]): Promise<void> {
  const customers = `o.customer_id IN (SELECT customer_id FROM orders WHERE id = ANY($1::text[]))`;
  await tx.$executeRawUnsafe(
    `DELETE FROM analytics_customers WHERE customer_id IN (SELECT customer_id FROM orders WHERE id = ANY($1::text[]))`,
    orderIds,
  );
  await tx.$executeRawUnsafe(`INSERT INTO analytics_customers (${cols}) ${customersSql(customers)}`, orderIds);
}

/** Recomputes every customer row (the full rebuild). */
export async function rebuildCustomers(tx: Prisma.TransactionClient): Promise<void> {
  await tx.$executeRawUnsafe(`TRUNCATE analytics_customers`);
  await tx.$executeRawUnsafe(`INSERT INTO analytics_customers (${cols}) ${customersSql('true')}`);
}

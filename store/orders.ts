import type { OrderInput, OrderState, TimelineEntry } from '../domain';
import { runStatement, type Db, type Tx } from './db';
import { writeProjection } from './projection';

/**
 * The first read-model row of an order: written by the API together with the Idempotency-Key record
 * (so an accepted order is visible at once), and again, as a no-op, by the workflow's first step.
 */
export async function insertSubmittedOrder(
  tx: Tx,
  input: OrderInput,
  state: OrderState,
  entry: TimelineEntry,
): Promise<void> {
  const c = input.customer;
  const t = input.totals;
  const [{ inserted }] = await runStatement<{ inserted: number }>(tx, INSERT_SUBMITTED_ORDER, [
    c.id,
    c.name,
    c.phone,
    c.email ?? null,
    input.orderId,
    input.merchantId,
    input.channel,
    state.status,
    input.paymentMethod,
    t.currency,
    t.subtotal,
    t.discount,
    t.shippingFee,
    t.pointsRedeemed ?? 0,
    t.total,
    JSON.stringify(state),
    state.version,
    new Date(input.submittedAt),
    JSON.stringify(input.lines),
  ]);
  // The first entry and its outbound event as every later one is written (the row is as new already).
  if (inserted) await writeProjection(tx, state, entry, []);
}

/** The customer (as last given), the order and its lines, in one statement; nothing if the order exists. */
const INSERT_SUBMITTED_ORDER = {
  name: 'insert-submitted-order',
  text: `WITH customer AS (
      INSERT INTO customers (id, name, phone, email) VALUES ($1, $2, $3, $4)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone, email = excluded.email),
    inserted AS (
      INSERT INTO orders (id, merchant_id, customer_id, channel, status, payment_method, currency, subtotal, discount,
        shipping_fee, points_redeemed, total, snapshot, version, created_at)
      VALUES ($5, $6, $1, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18)
      ON CONFLICT (id) DO NOTHING RETURNING id),
    lines AS (
      INSERT INTO order_lines (order_id, line_no, sku, name, unit_price, quantity, discount, gift)
      SELECT i.id, l."lineNo", l.sku, l.name, l."unitPrice", l.quantity, coalesce(l.discount, 0), coalesce(l.gift, false)
      FROM inserted i, jsonb_to_recordset($19::jsonb) AS l("lineNo" int, sku text, name text, "unitPrice" int,
        quantity int, discount int, gift boolean))
    SELECT count(*)::int AS inserted FROM inserted`,
};

const ORDER_RECORDED = {
  name: 'order-recorded',
  text: `SELECT EXISTS (SELECT 1 FROM orders WHERE id = $1) AS recorded`,
};

/** Whether the order's first read-model row exists (the workflow's first step asks, for every order). */
export async function orderRecorded(db: Db, orderId: string): Promise<boolean> {
  const [{ recorded }] = await runStatement<{ recorded: boolean }>(db, ORDER_RECORDED, [orderId]);
  return recorded;
}

import type { OrderState, TimelineEntry } from '../domain';
import { runStatement, type Client } from './db';
import { upsertMembershipSql, type MembershipRow } from './membership';
import { insertNoticeRows, type NoticeRow } from './notices';
import { outboundEventId, outboundPayload } from './outbound-events';

/**
 * The order's read model as of one timeline entry, in one statement (decision 105): the order row
 * (only if this state is newer than the row's), the timeline entry and its outbound event (the
 * outbox: they exist together), the notices it causes, and the lines' ledger (only with a newer
 * row, and only the lines whose counts changed: each line written marks the order for analytics
 * again, and most entries change none), and a completed order's membership row. Every insert is keyed
 * by the order and the state's version,
 * so a retry writes nothing twice, and a projection that lost the race to a newer one still leaves
 * its entry on the timeline.
 */
const PROJECT_ORDER = {
  name: 'project-order',
  text: `WITH moved AS (
    UPDATE orders SET status = $2, snapshot = $3::jsonb, version = $4, subtotal = $5, total = $6, flags = $7::jsonb,
      updated_at = $8::timestamptz
    WHERE id = $1 AND version < $4 RETURNING id),
  event AS (
    INSERT INTO order_events (order_id, seq, type, actor, detail, occurred_at)
    VALUES ($1, $4, $9, $10, $11::jsonb, $8::timestamptz) ON CONFLICT DO NOTHING),
  outbound AS (
    INSERT INTO outbound_events (id, order_id, merchant_id, seq, type, occurred_at, payload)
    VALUES ($12, $1, $13, $4, $9, $8::timestamptz, $14::jsonb) ON CONFLICT DO NOTHING),
  notices AS (${insertNoticeRows('$15')}),
  lines AS (
    INSERT INTO order_lines (order_id, line_no, sku, name, unit_price, quantity, discount, gift,
      allocated, shipped, delivered, returned, refunded)
    SELECT $1, l."lineNo", l.sku, l.name, l."unitPrice", l.quantity, coalesce(l.discount, 0), coalesce(l.gift, false),
      l.allocated, l.shipped, l.delivered, l.returned, l.refunded
    FROM jsonb_to_recordset($16::jsonb) AS l("lineNo" int, sku text, name text, "unitPrice" int, quantity int,
      discount int, gift boolean, allocated int, shipped int, delivered int, returned int, refunded int)
    WHERE EXISTS (SELECT 1 FROM moved)
    ON CONFLICT (order_id, line_no) DO UPDATE SET allocated = excluded.allocated, shipped = excluded.shipped,
      delivered = excluded.delivered, returned = excluded.returned, refunded = excluded.refunded
    WHERE (order_lines.allocated, order_lines.shipped, order_lines.delivered, order_lines.returned, order_lines.refunded)
      IS DISTINCT FROM (excluded.allocated, excluded.shipped, excluded.delivered, excluded.returned, excluded.refunded)),
  ${upsertMembershipSql('$17')}
  SELECT count(*)::int AS moved FROM moved`,
};

function projectionValues(
  state: OrderState,
  entry: TimelineEntry,
  notices: NoticeRow[],
  membership: MembershipRow | undefined,
): unknown[] {
  const json = JSON.stringify;
  return [
    state.orderId,
    state.status,
    json(state),
    state.version,
    state.totals.subtotal,
    state.totals.total,
    json(state.flags ?? []),
    entry.at,
    entry.type,
    entry.actor,
    json(entry.detail ?? {}),
    outboundEventId(state.orderId, state.version),
    state.merchantId,
    json(outboundPayload(state, entry)),
    json(notices),
    // Substitute lines appear after submission: the upsert creates them.
    json(state.lines),
    membership ? json(membership) : null,
  ];
}

/**
 * Writes the projection where `client` is: on its own, one prepared statement on the pool; or in a
 * transaction, for the projections whose other writes must commit with it.
 */
export async function writeProjection(
  client: Client,
  state: OrderState,
  entry: TimelineEntry,
  notices: NoticeRow[],
  membership?: MembershipRow,
) {
  await runStatement(client, PROJECT_ORDER, projectionValues(state, entry, notices, membership));
}

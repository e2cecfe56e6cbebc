import type { OrderState, TimelineEntry } from '../order-state';
import type { NoticeChannel } from './preferences';

/**
 * One notice before its channels are chosen. `key` names the business event; each channel's row is
 * `<key>:<channel>` for customers, so a retried projection or a replayed step queues nothing twice.
 */
export interface Notice {
  key: string;
  orderId?: string;
  recipientType: 'customer' | 'merchant';
  recipientId: string;
  kind: string;
  /** Merchants are told on one channel; a customer's channels come from their preferences. */
  channel?: NoticeChannel;
  vars: Record<string, unknown>;
}

/** Minor units as the customer reads them: ¥12.50, or 12.50 USD. */
export function formatAmount(minor: unknown, currency: string): string {
  if (typeof minor !== 'number') return '';
  const major = (minor / 100).toFixed(2);
  return currency === 'CNY' ? `¥${major}` : `${major} ${currency}`;
}

type Milestone = { kind: string; key: string; vars?: Record<string, unknown> };

/** A parcel's courier and tracking number, as the entry or else the order knows them. */
function parcel(state: OrderState, detail: Record<string, unknown>) {
  const shipment = state.shipments.find((s) => s.seq === detail.seq);
  return {
    courier: shipment?.courier,
    trackingNumber: (detail.trackingNumber as string | undefined) ?? shipment?.trackingNumber,
  };
}

/**
 * Which customer milestone a timeline entry is (docs/notifications.md, catalogue). Keys are the entry's
 * sequence number, except where several entries mean one milestone: a parcel ships once (picked up or
 * already in transit) and a payment is received once (authorized, then captured at hand-over).
 */
function milestoneOf(state: OrderState, entry: TimelineEntry): Milestone | undefined {
  const { orderId, version } = state;
  const detail = entry.detail ?? {};
  const bySeq = `${orderId}:${version}`;
  const amount = () => formatAmount(detail.amount, state.totals.currency);
  switch (entry.type) {
    case 'merchant.accepted':
      return { kind: 'order.confirmed', key: `${orderId}:confirmed` };
    case 'payment.authorized':
    case 'payment.captured':
      return {
        kind: 'payment.received',
        key: `${orderId}:paid:${String(detail.paymentId)}`,
        vars: { amount: amount() },
      };
    case 'payment.refunded':
    case 'payment.released': // a card hold let go: to the customer, money coming back all the same
      return { kind: 'refund.issued', key: bySeq, vars: { amount: amount() } };
    case 'shipment.picked_up':
    case 'shipment.in_transit':
      return { kind: 'shipment.shipped', key: `${orderId}:shipped:${String(detail.seq)}`, vars: parcel(state, detail) };
    // Out for delivery is not on the timeline: it is queued with its tracking event (store/notices.ts).
    case 'shipment.delivered':
    case 'shipment.delivery_failed':
      return { kind: entry.type, key: bySeq, vars: parcel(state, detail) };
    case 'receipt.auto_confirmed':
      return { kind: 'receipt.auto_confirmed', key: `${orderId}:receipt` };
    default:
      return undefined;
  }
}

/** The customer notices one timeline entry of an order causes (none for most entries). */
export function milestoneNotices(state: OrderState, entry: TimelineEntry): Notice[] {
  const m = milestoneOf(state, entry);
  if (!m) return [];
  return [
    {
      key: m.key,
      orderId: state.orderId,
      recipientType: 'customer',
      recipientId: state.customerId,
      kind: m.kind,
      vars: { orderId: state.orderId, ...m.vars },
    },
  ];
}

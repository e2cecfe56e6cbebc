// Read-model rows written straight into the database, as the order workflow's projections would
// leave them: the analytics tests plant exact histories (times, reasons, refunds, returns) this way.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../store/db';

export const rid = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function plantMerchant(db: Db, id: string, policy: Record<string, unknown> = {}): Promise<void> {
  await db.merchant.upsert({ where: { id }, create: { id, name: id, policy: policy as object }, update: {} });
}

export interface PlantedLine {
  sku: string;
  quantity: number;
  unitPrice: number;
  discount?: number;
  gift?: boolean;
}

export interface PlantedOrder {
  id?: string;
  merchantId: string;
  customerId?: string;
  channel?: string;
  paymentMethod?: string;
  status?: string;
  createdAt: Date;
  lines: PlantedLine[];
  shippingFee?: number;
  cancellation?: string;
  rejection?: string;
  /** Price adjustments as the order was accepted with (docs/pricing.md): promotions, coupon, points. */
  adjustments?: Array<{ source: string; code: string; amount: number; lineNo?: number; promotionId?: string }>;
}

/** One order with its lines; the total is the lines' price less discounts plus the shipping fee. */
export async function plantOrder(db: Db, o: PlantedOrder): Promise<string> {
  const id = o.id ?? rid('ao');
  const customerId = o.customerId ?? 'c-analytics';
  await db.customer.upsert({
    where: { id: customerId },
    create: { id: customerId, name: 'Analytics', phone: '13800000000' },
    update: {},
  });
  const subtotal = o.lines.reduce((s, l) => s + (l.gift ? 0 : l.unitPrice * l.quantity), 0);
  const discount = o.lines.reduce((s, l) => s + (l.discount ?? 0), 0);
  const shippingFee = o.shippingFee ?? 0;
  const snapshot = {
    ...(o.cancellation ? { cancellation: { reason: o.cancellation, actor: 'customer' } } : {}),
    ...(o.rejection ? { rejection: { reason: o.rejection } } : {}),
    ...(o.adjustments ? { adjustments: o.adjustments } : {}),
  };
  await db.order.create({
    data: {
      id,
      merchantId: o.merchantId,
      customerId,
      channel: o.channel ?? 'app',
      status: o.status ?? 'submitted',
      paymentMethod: o.paymentMethod ?? 'alipay',
      currency: 'CNY',
      subtotal,
      discount,
      shippingFee,
      total: subtotal - discount + shippingFee,
      snapshot,
      createdAt: o.createdAt,
      lines: {
        create: o.lines.map((l, i) => ({
          lineNo: i + 1,
          sku: l.sku,
          name: l.sku,
          unitPrice: l.gift ? 0 : l.unitPrice,
          quantity: l.quantity,
          discount: l.discount ?? 0,
          gift: l.gift ?? false,
        })),
      },
    },
  });
  return id;
}

export async function plantPayment(db: Db, orderId: string, amount: number, status = 'captured'): Promise<string> {
  const id = rid('pay');
  await db.payment.create({
    data: {
      id,
      orderId,
      method: 'alipay',
      status,
      amount,
      capturedAmount: status === 'captured' ? amount : 0,
      currency: 'CNY',
    },
  });
  return id;
}

export async function plantRefund(db: Db, orderId: string, paymentId: string, amount: number, status = 'succeeded') {
  await db.refund.create({ data: { id: rid('rf'), orderId, paymentId, amount, reason: 'test', status } });
}

/** A shipment of some lines, picked up and delivered at the given times (none: not yet). */
export async function plantShipment(
  db: Db,
  s: {
    orderId: string;
    seq: number;
    warehouseId: string;
    courier: string;
    lines: Array<{ lineNo: number; sku: string; quantity: number }>;
    createdAt: Date;
    pickedUpAt?: Date;
    deliveredAt?: Date;
    failedAttempts?: number;
    status?: string;
  },
): Promise<string> {
  const id = `shipment-${s.orderId}-${s.seq}`;
  await db.shipment.create({
    data: {
      id,
      orderId: s.orderId,
      seq: s.seq,
      warehouseId: s.warehouseId,
      courier: s.courier,
      status: s.status ?? (s.deliveredAt ? 'delivered' : s.pickedUpAt ? 'picked_up' : 'booked'),
      lines: s.lines,
      deliveryAttempts: s.failedAttempts ?? 0,
      createdAt: s.createdAt,
    },
  });
  const events = [
    ...(s.pickedUpAt ? [{ type: 'picked_up', occurredAt: s.pickedUpAt }] : []),
    ...(s.deliveredAt ? [{ type: 'delivered', occurredAt: s.deliveredAt }] : []),
  ];
  for (const e of events)
    await db.trackingEvent.create({
      data: { shipmentId: id, eventId: rid('ev'), type: e.type, occurredAt: e.occurredAt },
    });
  return id;
}

export async function plantAfterSales(
  db: Db,
  r: {
    orderId: string;
    merchantId: string;
    type: string;
    reason: string;
    lines: Array<{ lineNo: number; sku: string; quantity: number }>;
  },
): Promise<string> {
  const id = rid('as');
  await db.afterSalesRequest.create({
    data: {
      id,
      orderId: r.orderId,
      merchantId: r.merchantId,
      customerId: 'c-analytics',
      type: r.type,
      status: 'requested',
      snapshot: { reason: r.reason, type: r.type, lines: r.lines },
    },
  });
  return id;
}

/** Sets an order's ledger for one line (what shipping, delivery, returns and refunds leave behind). */
export async function setLine(
  db: Db,
  orderId: string,
  lineNo: number,
  ledger: Partial<Record<'shipped' | 'delivered' | 'returned' | 'refunded' | 'allocated', number>>,
) {
  await db.orderLine.update({ where: { orderId_lineNo: { orderId, lineNo } }, data: ledger });
}

/** A new status and its reason; the price adjustments stay, as in the workflow's snapshot. */
export async function setStatus(db: Db, orderId: string, status: string, reason?: string) {
  const { snapshot: before } = await db.order.findUniqueOrThrow({ where: { id: orderId }, select: { snapshot: true } });
  const { adjustments } = before as { adjustments?: unknown };
  const outcome =
    status === 'cancelled'
      ? { cancellation: { reason: reason ?? 'customer changed mind', actor: 'customer' } }
      : status === 'rejected'
        ? { rejection: { reason: reason ?? 'out of area' } }
        : {};
  const snapshot = { ...outcome, ...(adjustments ? { adjustments } : {}) };
  await db.order.update({ where: { id: orderId }, data: { status, snapshot: snapshot as object } });
}

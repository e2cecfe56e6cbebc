// docs/api.md: tracking events may arrive late, twice or out of order; a shipment never moves backwards
// (a `delivered` before `in_transit` stays delivered) and its history lists accepted events once, in the
// order they happened. Milestones are accepted when they move the parcel on; every in-transit scan is
// (docs/decisions/108), and every out-for-delivery scan before the parcel is final (119).
import { randomUUID } from 'node:crypto';
import { orderWorkflowId } from '../../contract';
import type { TrackingEventType } from '../../domain';
import { recordTracking, recordOutForDeliveryScan } from '../../store/tracking';
import { orderBody, postTracking, submitOrder, waitForOrder, useStack } from '../helpers/stack';
import { createProduct, eventually, expectOk, parcelFinished } from './api-helpers';

const stack = useStack();
let sku: string;
beforeAll(async () => {
  sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 100 } });
});

/** A fresh card order (quantity 2) whose single shipment is booked. */
async function bookedShipment() {
  const { res, body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 2 }] }));
  expectOk(res, 201);
  const order = await waitForOrder(
    stack.app,
    body.id,
    (o) => o.shipments.length === 1 && Boolean(o.shipments[0].trackingNumber),
  );
  const s = order.shipments[0];
  const base = Date.now();
  const at = (seconds: number) => new Date(base + seconds * 1000).toISOString();
  /** Posts one event; returns its response body. */
  const send = async (
    type: TrackingEventType,
    eventId: string,
    atSecond: number,
    extra: Record<string, unknown> = {},
  ) => {
    const res = await postTracking(stack.app, s.courier, {
      trackingNumber: s.trackingNumber,
      type,
      eventId,
      occurredAt: at(atSecond),
      ...extra,
    });
    return expectOk(res, 200) as { received: boolean; duplicate: boolean };
  };
  return { orderId: body.id as string, shipmentId: s.shipmentId as string, send };
}

/** The parcel has taken its last event (its shipment workflow ended, or its order shows it final): every event it accepted has been applied. */
const shipmentFinished = (shipmentId: string) => parcelFinished(stack.client, stack.db, shipmentId);

/** The event ids of the out-for-delivery notices queued for the order's customer (one row per channel). */
async function outForDeliveryNotices(orderId: string) {
  const rows = await stack.db.notification.findMany({
    where: { orderId, kind: 'shipment.out_for_delivery' },
    select: { id: true },
  });
  // Ids are `<orderId>:out_for_delivery:<seq>:<eventId>:<channel>`.
  return [...new Set(rows.map((r) => r.id.split(':')[3]))].sort();
}

async function trackingRows(shipmentId: string) {
  return stack.db.trackingEvent.findMany({
    where: { shipmentId },
    orderBy: { occurredAt: 'asc' },
    select: { eventId: true, type: true },
  });
}

test('duplicated and late events: each accepted event is applied and listed once, in order', async () => {
  const { orderId, shipmentId, send } = await bookedShipment();
  const [a, b, c, d, e, f, g] = Array.from({ length: 7 }, () => randomUUID());

  expect(await send('picked_up', a, 1)).toEqual({ received: true, duplicate: false });
  expect(await send('picked_up', a, 1)).toEqual({ received: true, duplicate: true });
  expect(await send('in_transit', b, 2)).toEqual({ received: true, duplicate: false });
  expect(await send('in_transit', b, 2)).toEqual({ received: true, duplicate: true });
  // A late pick-up scan under a new id: acknowledged, but the shipment is already in transit.
  expect(await send('picked_up', c, 1.5)).toEqual({ received: true, duplicate: false });
  expect(await send('out_for_delivery', d, 3)).toEqual({ received: true, duplicate: false });
  expect(await send('delivered', e, 4, { signedBy: '张三' })).toEqual({ received: true, duplicate: false });
  expect(await send('delivered', e, 4, { signedBy: '张三' })).toEqual({ received: true, duplicate: true });
  // Stragglers after delivery, with new ids: the scan is listed where it happened, the milestone is not.
  expect(await send('in_transit', f, 2.5)).toMatchObject({ received: true });
  expect(await send('delivered', g, 5, { signedBy: '李四' })).toMatchObject({ received: true });

  expect(await shipmentFinished(shipmentId)).toMatchObject({ status: 'delivered' });
  const order = await waitForOrder(
    stack.app,
    orderId,
    (o) => o.status === 'delivered' && o.shipments[0].tracking.length === 5,
  );
  expect(order.shipments[0].status).toBe('delivered');
  expect(order.shipments[0].tracking.map((t: { eventId: string; type: string }) => [t.eventId, t.type])).toEqual([
    [a, 'picked_up'],
    [b, 'in_transit'],
    [f, 'in_transit'],
    [d, 'out_for_delivery'],
    [e, 'delivered'],
  ]);
  expect(order.shipments[0].tracking[4].signedBy).toBe('张三');
  // Delivered once, not once per delivered event.
  expect(order.lines[0].ledger).toMatchObject({ ordered: 2, allocated: 2, shipped: 2, delivered: 2 });
  expect(await trackingRows(shipmentId)).toHaveLength(5);
  expect((await stack.db.shipment.findUniqueOrThrow({ where: { id: shipmentId } })).status).toBe('delivered');
  // Each event id was recorded once.
  const ids = [a, b, c, d, e, f, g];
  expect(await stack.db.webhookEvent.count({ where: { eventId: { in: ids } } })).toBe(ids.length);
});

test('delivered first, then a late in_transit and picked_up: the shipment stays delivered, the scan is listed before its delivery', async () => {
  const { orderId, shipmentId, send } = await bookedShipment();
  const delivered = randomUUID();
  expect(await send('delivered', delivered, 10, { signedBy: '张三' })).toEqual({ received: true, duplicate: false });
  // The stragglers come once the order has recorded the delivery (a scan the webhook records itself
  // cannot see a delivery still on its way to the order: docs/decisions/119).
  await eventually(
    () => stack.db.shipment.findUniqueOrThrow({ where: { id: shipmentId } }),
    (row) => row.status === 'delivered',
    'the delivery recorded',
  );
  const scan = randomUUID();
  expect(await send('in_transit', scan, 5)).toEqual({ received: true, duplicate: false });
  expect(await send('picked_up', randomUUID(), 2)).toEqual({ received: true, duplicate: false });
  // Even a late event carrying a *newer* timestamp does not move a delivered shipment, nor tells the customer.
  expect(await send('out_for_delivery', randomUUID(), 20)).toEqual({ received: true, duplicate: false });
  expect(await outForDeliveryNotices(orderId)).toEqual([]);

  expect(await shipmentFinished(shipmentId)).toMatchObject({ status: 'delivered' });
  // The lines' ledger makes the order `delivered` one publish before the receipt window opens.
  const order = await waitForOrder(stack.app, orderId, (o) => o.pendingDecision?.awaiting === 'receipt_confirmation');
  expect(order.status).toBe('delivered');
  expect(order.shipments[0].status).toBe('delivered');
  expect(order.shipments[0].tracking.map((t: { eventId: string; type: string }) => [t.eventId, t.type])).toEqual([
    [scan, 'in_transit'],
    [delivered, 'delivered'],
  ]);
  expect(order.lines[0].ledger).toMatchObject({ shipped: 2, delivered: 2 });
  expect(order.pendingDecision).toMatchObject({ awaiting: 'receipt_confirmation' });
  expect((await stack.db.shipment.findUniqueOrThrow({ where: { id: shipmentId } })).status).toBe('delivered');

  // A straggler after the parcel is final is acknowledged and changes nothing.
  expect(await send('returned_to_sender', randomUUID(), 30)).toEqual({ received: true, duplicate: false });
  const later = await waitForOrder(stack.app, orderId, () => true);
  expect(later).toMatchObject({ status: 'delivered', shipments: [expect.objectContaining({ status: 'delivered' })] });
  expect(later.lines[0].ledger).toMatchObject({ shipped: 2, delivered: 2, refunded: 0 });
  expect(await trackingRows(shipmentId)).toEqual([
    { eventId: scan, type: 'in_transit' },
    { eventId: delivered, type: 'delivered' },
  ]);
});

test('a failed attempt, a stale failure and a re-attempt: only newer events advance', async () => {
  const { orderId, shipmentId, send } = await bookedShipment();
  const [p, o1, f1, stale, o2, dl] = Array.from({ length: 6 }, () => randomUUID());
  await send('picked_up', p, 1);
  await send('out_for_delivery', o1, 2);
  await send('delivery_failed', f1, 3);
  // A failure scan older than the last accepted event is ignored.
  await send('delivery_failed', stale, 2.5);
  await send('out_for_delivery', o2, 4);
  await send('delivered', dl, 5, { signedBy: '张三' });

  expect(await shipmentFinished(shipmentId)).toMatchObject({ status: 'delivered' });
  const order = await waitForOrder(
    stack.app,
    orderId,
    (o) => o.status === 'delivered' && o.shipments[0].tracking.length === 5,
  );
  expect(order.shipments[0].tracking.map((t: { eventId: string }) => t.eventId)).toEqual([p, o1, f1, o2, dl]);
  expect(order.lines[0].ledger).toMatchObject({ shipped: 2, delivered: 2 });
  // The shipment's row counts the one accepted failure; later events keep the count.
  expect(await stack.db.shipment.findUniqueOrThrow({ where: { id: shipmentId } })).toMatchObject({
    status: 'delivered',
    deliveryAttempts: 1,
  });
  // The customer heard of both attempts.
  expect(await outForDeliveryNotices(orderId)).toEqual([o1, o2].sort());
});

test('in-transit scans are listed without waking the order; a pick-up heard after one leaves the shipment in transit', async () => {
  const { orderId, shipmentId, send } = await bookedShipment();
  const [early, p, s2, s3, o, d] = Array.from({ length: 6 }, () => randomUUID());
  const row = () => stack.db.shipment.findUniqueOrThrow({ where: { id: shipmentId } });
  // The first hub scans the parcel before the courier's pick-up event arrives.
  await send('in_transit', early, 2);
  expect((await row()).status).toBe('in_transit');
  await send('picked_up', p, 1);
  await eventually(
    () => trackingRows(shipmentId),
    (rows) => rows.some((r) => r.eventId === p),
    'the pick-up',
  );
  expect((await row()).status).toBe('in_transit');
  await send('in_transit', s2, 3);
  await send('in_transit', s3, 4);
  await send('out_for_delivery', o, 5);
  await send('delivered', d, 6, { signedBy: '张三' });

  // The read model lists the parcel's whole route once the order has written its delivery.
  const order = await waitForOrder(
    stack.app,
    orderId,
    (x) => x.status === 'delivered' && x.shipments[0].tracking.length === 6,
  );
  expect(order.shipments[0].tracking.map((t: { eventId: string }) => t.eventId)).toEqual([p, early, s2, s3, o, d]);
  expect((await row()).status).toBe('delivered');
  // The order heard its two milestones, neither the scans nor the parcel going out for delivery, and
  // was captured on the pick-up; the customer was told the parcel is out for delivery.
  const history = await stack.client.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
  const heard = (history.events ?? []).filter(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'parcelTracking',
  );
  expect(heard).toHaveLength(2);
  expect(await outForDeliveryNotices(orderId)).toEqual([o]);
  expect(order.payments[0]).toMatchObject({ captured: order.totals.total });
});

test('a new attempt reported before the order recorded the failed one: the parcel stays out for delivery and the customer is told', async () => {
  const { orderId, shipmentId } = await bookedShipment();
  const row = () => stack.db.shipment.findUniqueOrThrow({ where: { id: shipmentId } });
  const { seq, courier, trackingNumber } = await row();
  const { customerId } = await stack.db.order.findUniqueOrThrow({ where: { id: orderId } });
  const parcel = { shipmentId, orderId, seq, courier, trackingNumber, customerId };
  const base = Date.now();
  const scan = (eventId: string, second: number) =>
    recordOutForDeliveryScan(stack.db, courier!, parcel, {
      eventId,
      occurredAt: new Date(base + second * 1000).toISOString(),
    });
  const [o1, again, o2, f1] = Array.from({ length: 4 }, () => randomUUID());

  // The webhook's part, in the order the courier sent it: the first attempt, the same attempt scanned
  // again, then the second attempt, whose failed predecessor is still on its way to the order.
  await scan(o1, 2);
  expect((await row()).status).toBe('out_for_delivery');
  await scan(again, 2.5);
  await scan(o2, 4);
  expect(await outForDeliveryNotices(orderId)).toEqual([o1]);
  // The order records the failed first attempt only now: the row stays out for delivery, and the
  // second attempt's notice, which its scan could not know to queue, is queued.
  await recordTracking(stack.db, {
    shipmentId,
    event: { eventId: f1, type: 'delivery_failed', occurredAt: new Date(base + 3000).toISOString() },
    status: 'delivery_failed',
    deliveryAttempts: 1,
  });
  expect(await row()).toMatchObject({ status: 'out_for_delivery', deliveryAttempts: 1 });
  expect(await outForDeliveryNotices(orderId)).toEqual([o1, o2].sort());
  expect((await trackingRows(shipmentId)).map((r) => r.eventId)).toEqual([o1, again, f1, o2]);
  // Every scan was accepted once, and a redelivered one changes nothing.
  await scan(o2, 4);
  expect(await stack.db.webhookEvent.count({ where: { eventId: { in: [o1, again, o2] } } })).toBe(3);
  expect(await trackingRows(shipmentId)).toHaveLength(4);
});

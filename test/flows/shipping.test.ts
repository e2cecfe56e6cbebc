// Shipments (parcels the order follows itself, docs/decisions/100; booked through stubbed activities,
// driven by the order's parcelTracking signal as the logistics webhook sends it),
// the hand-over that ends the customer's right to cancel, and the receipt window.
import { Worker } from '@temporalio/worker';
import { cancelOrder, confirmReceipt, extendReceipt, LIFECYCLE_TYPES, parcelTracking } from '../../contract';
import { refusal, shipmentView, useFlowEnv, type Order } from '../helpers/flows';

const env = useFlowEnv();
const types = (orderId: string) => env.stubs.timelineOf(orderId).map((e) => e.type);
const cancel = (o: Order) =>
  o.handle.executeUpdate(cancelOrder, { args: [{ reason: 'no longer needed', actor: 'customer' }] });

async function deliver(o: Order) {
  await o.booked();
  await o.track(1, 'picked_up');
  await o.track(1, 'delivered', { signedBy: '张三' });
  return o.until(
    (s) => s.status === 'delivered' && s.pendingDecision?.awaiting === 'receipt_confirmation',
    'delivered',
  );
}

describe('hand-over', () => {
  it('a pick-up captures the card and takes the stock; the customer can no longer cancel', async () => {
    const o = await env.startOrder();
    const booked = await o.booked();
    expect(booked.shipments[0]).toMatchObject({
      seq: 1,
      status: 'booked',
      courier: 'sf-express',
      trackingNumber: `TN-shipment-${o.id}-1`,
      warehouseId: 'wh-shanghai',
    });
    expect(booked.payments[0].status).toBe('authorized');

    await o.track(1, 'picked_up');
    // Shipped once the capture is published; the pick-up's own entry follows: wait for both writes.
    const s = await o.until((x) => x.status === 'shipped' && types(o.id).includes('shipment.picked_up'), 'shipped');
    expect(s.payments[0]).toMatchObject({ status: 'captured', captured: o.input.totals.total });
    expect(env.stubs.callsFor(o.id, 'shipStock')).toHaveLength(1);
    expect(env.stubs.callsFor(o.id, 'captureCard')).toHaveLength(1);

    const refused = await refusal(cancel(o));
    expect(refused).toMatchObject({
      http: 409,
      message: 'a shipment has been handed over to the courier; only support can cancel now',
    });
    const after = await o.state();
    expect(after).toMatchObject({ status: 'shipped', version: s.version });
    expect(after.cancellation).toBeUndefined();
    // As recorded today, the capture is published before the pick-up that caused it (applyProgress settles first).
    expect(types(o.id)).toEqual([
      'order.submitted',
      'payment.authorized',
      'merchant.accepted',
      'shipment.booked',
      'payment.captured',
      'shipment.picked_up',
    ]);
  });

  it('cancelled before the pick-up: the booking is cancelled, then the authorization released and the stock returned', async () => {
    const o = await env.startOrder();
    await o.booked();
    const answer = await cancel(o);
    expect(answer.status).toBe('cancelled');
    expect(answer.shipments[0].status).toBe('cancelled');
    expect((await shipmentView(env.client, o.id)).status).toBe('cancelled');
    const names = env.stubs.namesFor(o.id);
    expect(names.indexOf('cancelBooking')).toBeLessThan(names.indexOf('refundPayment'));
    expect(names.lastIndexOf('refundPayment')).toBeLessThan(names.lastIndexOf('releaseStock'));
    expect(names).not.toContain('captureCard');
    expect(answer.payments[0]).toMatchObject({ status: 'voided', voided: o.input.totals.total });
    expect(env.stubs.available(o.skus[0])).toBe(1);
  });

  it('a cancellation racing the pick-up: exactly one wins, and the order agrees with its shipment', async () => {
    const orders = await Promise.all([1, 2, 3].map(() => env.startOrder()));
    await Promise.all(orders.map((o) => o.booked()));
    await Promise.all(
      orders.map(async (o) => {
        const [cancelled] = await Promise.allSettled([cancel(o), o.track(1, 'picked_up')]);
        if (cancelled.status === 'fulfilled') {
          // The cancellation won: the parcel never left, nothing was captured.
          expect(cancelled.value.status).toBe('cancelled');
          expect((await shipmentView(env.client, o.id)).status).toBe('cancelled');
          expect(env.stubs.callsFor(o.id, 'captureCard')).toHaveLength(0);
          expect(env.stubs.callsFor(o.id, 'shipStock')).toHaveLength(0);
        } else {
          // The pick-up won: the cancellation is refused (by the validator, or by the main flow once
          // the shipment reported the pick-up) and the order goes on, paid.
          expect(await refusal(Promise.reject(cancelled.reason as Error))).toMatchObject({
            http: 409,
            message: 'a shipment has been handed over to the courier; only support can cancel now',
          });
          const s = await o.until((x) => x.status === 'shipped', 'shipped');
          expect(s.cancellation).toBeUndefined();
          expect(s.payments[0].status).toBe('captured');
          expect(env.stubs.callsFor(o.id, 'cancelBooking')).toHaveLength(0);
        }
      }),
    );
  });

  it('a courier whose booking keeps failing gives way to the next one', async () => {
    const o = await env.startOrder({ behaviour: { bookingFails: ['sf-express'] } });
    const s = await o.booked();
    expect(s.shipments[0]).toMatchObject({ courier: 'yto', status: 'booked' });
    const couriers = env.stubs.callsFor(o.id, 'bookShipment').map((c) => c.args[0].courier);
    expect(couriers.filter((c) => c === 'sf-express')).toHaveLength(3); // the attempts of the first courier
    expect(couriers.at(-1)).toBe('yto');
  });

  it('the last failed delivery attempt sends the parcel back; its return restocks, refunds and cancels the order', async () => {
    const o = await env.startOrder({ policy: { deliveryAttempts: 2 } });
    await o.booked();
    for (const type of [
      'picked_up',
      'out_for_delivery',
      'delivery_failed',
      'out_for_delivery',
      'delivery_failed',
    ] as const)
      await o.track(1, type);
    await o.until((s) => s.shipments[0].deliveryAttempts === 2, 'two failed attempts');
    const returnCalls = () => env.stubs.callsFor(o.id, 'requestReturnToSender');
    await o.until(() => returnCalls().length === 1, 'return to sender requested');
    await o.track(1, 'returned_to_sender');
    const s = await o.until((x) => x.status === 'cancelled', 'cancelled');
    expect(s.cancellation).toEqual({ reason: 'no shipment was delivered', actor: 'system' });
    expect(s.payments[0]).toMatchObject({ status: 'captured', captured: 10000, refunded: 10000 });
    expect(s.lines[0]).toMatchObject({ shipped: 0, delivered: 0, refunded: 1 });
    expect(env.stubs.callsFor(o.id, 'restockReturned')).toHaveLength(1);
    expect(env.stubs.callsFor(o.id, 'refundPayment').map((c) => c.args[0].idempotencyKey)).toEqual([
      `${o.id}:refund-shipment-1:1`,
    ]);
    expect(env.stubs.available(o.skus[0])).toBe(1);
  });
});

describe('receipt', () => {
  it('confirmation is refused before delivery; after it the customer confirms and points are credited', async () => {
    const o = await env.startOrder();
    const booked = await o.booked();
    const early = await refusal(o.handle.executeUpdate(confirmReceipt, { args: [{ actor: 'customer' }] }));
    expect(early).toMatchObject({ http: 409, message: 'order is fulfilling, not delivered' });
    expect((await o.state()).version).toBe(booked.version);

    const delivered = await deliver(o);
    expect(delivered.lines[0]).toMatchObject({ shipped: 1, delivered: 1 });
    const answer = await o.handle.executeUpdate(confirmReceipt, { args: [{ actor: 'customer' }] });
    expect(answer.status).toBe('completed');
    expect(answer.points).toEqual({ credited: 100, reversed: 0 });
    expect(answer.pendingDecision).toBeUndefined();
    expect(env.stubs.callsFor(o.id, 'recordPoints')[0].args[0]).toMatchObject({
      delta: 100,
      id: `${o.id}:points-earned`,
    });
    expect(env.stubs.timelineOf(o.id).at(-1)).toMatchObject({
      type: 'receipt.confirmed',
      actor: 'customer',
      detail: { points: 100 },
    });
  });

  it('extended once (a second extension is refused), then confirmed automatically when the longer window ends', async () => {
    const o = await env.startOrder({ policy: { autoConfirmSeconds: 3, receiptExtensionSeconds: 1 } });
    const delivered = await deliver(o);
    const until = Date.parse(delivered.pendingDecision!.until);

    const extended = await o.handle.executeUpdate(extendReceipt, { args: [{ actor: 'customer' }] });
    expect(extended.receiptExtended).toBe(true);
    expect(Date.parse(extended.pendingDecision!.until) - until).toBe(1000);
    const twice = await refusal(o.handle.executeUpdate(extendReceipt, { args: [{ actor: 'customer' }] }));
    expect(twice).toMatchObject({ http: 409, message: 'the receipt window has already been extended once' });

    const s = await o.until((x) => x.status === 'completed', 'auto-confirmed');
    expect(Date.parse(s.completedAt!)).toBeGreaterThanOrEqual(Date.parse(s.deliveredAt!) + 4000); // the extension counted
    expect(
      env.stubs
        .timelineOf(o.id)
        .slice(-2)
        .map((e) => [e.type, e.actor]),
    ).toEqual([
      ['receipt.extended', 'customer'],
      ['receipt.auto_confirmed', 'system'],
    ]);
  });
});

describe('parcels by lifecycle version (docs/decisions/100)', () => {
  const replays = async (o: Order) =>
    Worker.runReplayHistory(
      { workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } },
      await o.handle.fetchHistory(),
      o.id,
    );

  it('version 3 on: the order follows its parcel itself; repeated, late and unknown tracking changes nothing; the history replays', async () => {
    const o = await env.startOrder();
    await o.booked();
    await expect(env.client.workflow.getHandle(`shipment-${o.id}-1`).describe()).rejects.toThrow();
    const at = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    const event = (eventId: string, type: 'picked_up' | 'in_transit' | 'delivered', s: number) => ({
      shipmentId: `shipment-${o.id}-1`,
      eventId: `${o.id}-${eventId}`,
      type,
      occurredAt: at(s),
    });
    const signal = (e: ReturnType<typeof event>) => o.handle.signal(parcelTracking, e);
    // Each twice (the courier retries), a stale scan under a new id, and one for a parcel the order does not have.
    for (const e of [event('a', 'picked_up', 1), event('a', 'picked_up', 1), event('b', 'in_transit', 3)])
      await signal(e);
    await signal(event('c', 'picked_up', 2));
    await signal({ ...event('x', 'delivered', 4), shipmentId: `shipment-${o.id}-9` });
    await signal(event('d', 'delivered', 5));
    await signal(event('d', 'delivered', 5));
    await o.until((s) => s.status === 'delivered' && s.pendingDecision !== undefined, 'delivered');
    // After delivery: a straggler, then nothing moves.
    await signal(event('e', 'in_transit', 6));
    const s = await o.state();
    expect(s.shipments).toEqual([expect.objectContaining({ seq: 1, status: 'delivered' })]);
    expect(s.lines[0]).toMatchObject({ shipped: 1, delivered: 1 });
    // Accepted once each: picked_up, in_transit, delivered.
    expect(env.stubs.callsFor(o.id, 'recordTracking').map((c) => c.args[0].event.type)).toEqual([
      'picked_up',
      'in_transit',
      'delivered',
    ]);
    expect(env.stubs.callsFor(o.id, 'shipStock')).toHaveLength(1);
    expect(env.stubs.callsFor(o.id, 'bookShipment')[0].args[0]).toMatchObject({
      holderWorkflowId: `order-${o.id}`,
    });
    expect(types(o.id).filter((t) => t.startsWith('shipment.'))).toEqual([
      'shipment.booked',
      'shipment.picked_up',
      'shipment.delivered',
    ]);
    await expect(replays(o)).resolves.toBeUndefined();
  });

  it('version 2 orders, still running, keep their shipment child, signalled as before', async () => {
    const o = await env.startOrder({ workflowType: LIFECYCLE_TYPES[2].order });
    await deliver(o);
    const child = env.client.workflow.getHandle(`shipment-${o.id}-1`);
    expect((await child.describe()).type).toBe('shipmentWorkflowV2');
    expect(await child.result()).toMatchObject({ status: 'delivered' });
    expect(env.stubs.callsFor(o.id, 'bookShipment')[0].args[0].holderWorkflowId).toBeUndefined();
    await expect(replays(o)).resolves.toBeUndefined();
  });
});

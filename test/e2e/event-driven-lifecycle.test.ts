// A platform that learns everything from its subscription (docs/notifications.md, "Outbound events";
// issue 13 part 4): a card order driven from submission to completed over HTTP, where every
// decision — which tracking numbers to report, when to confirm receipt — is taken from the signed
// events a real receiver on 127.0.0.1 gets, never from GET /v1/orders/{id}. Each wait is for an
// arrival (test/helpers/webhook-receiver.ts waitFor), bounded by a deadline, with no fixed sleeps.
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { expectOk, send } from '../api/api-helpers';
import { typedClient } from '../helpers/api-client';
import { KEYS, orderBody, postTracking, useStack } from '../helpers/stack';
import { startReceiver, type Received } from '../helpers/webhook-receiver';

const stack = useStack({ dispatchers: ['webhooks'] });
const PATH = '/platform-events';
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let subscription: { id: string; secret: string } | undefined;

interface Event {
  type: string;
  data: { orderId: string; sequence: number; order: any; allowedActions: string[] };
}

beforeAll(async () => {
  receiver = await startReceiver();
});
// Other files' orders share the database: this subscription stops receiving once the test is done
// (in afterEach, as the stack's afterAll may already have closed its connections).
afterEach(async () => {
  if (subscription)
    await stack.db.webhookSubscription.update({ where: { id: subscription.id }, data: { enabled: false } });
});
afterAll(() => receiver.stop());

/** Verifies the delivery as a receiver would (the library, the raw bytes) and returns its payload. */
function verified(r: Received): Event {
  const headers = { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature };
  return new Webhook(subscription!.secret).verify(r.body, headers) as Event;
}

/** The first event of the order whose payload satisfies `ready`, as it arrives at the receiver. */
async function eventOf(orderId: string, ready: (e: Event) => boolean, what: string): Promise<Event> {
  const r = await receiver.waitFor(
    (x) => x.path === PATH && x.orderId === orderId && ready(JSON.parse(x.body) as Event),
    `${what} of ${orderId}`,
  );
  return verified(r);
}

const booked = (e: Event) =>
  e.data.order.shipments.length > 0 && e.data.order.shipments.every((s: any) => s.trackingNumber);

test('a platform drives a card order to completed from the events it receives, without polling', async () => {
  const platform = typedClient(stack.app, KEYS.platform);
  subscription = expectOk(
    await send(stack.app, 'POST', '/v1/webhook-subscriptions', KEYS.platform, { url: receiver.url(PATH) }),
    201,
  );
  const submitted = await platform.POST('/v1/orders', {
    params: { header: { 'Idempotency-Key': randomUUID() } },
    body: orderBody({ lines: [{ sku: 'SKU-TEA-001', quantity: 1 }] }) as ReturnType<typeof orderBody> & {
      paymentMethod: 'card';
    },
  });
  expect(submitted.response.status).toBe(201);
  const orderId = submitted.data!.id;

  // The booking arrives with the tracking numbers the courier will report against.
  const booking = await eventOf(orderId, booked, 'the booking');
  expect(booking.type).toBe('shipment.booked');
  for (const s of booking.data.order.shipments)
    for (const type of ['picked_up', 'in_transit', 'out_for_delivery', 'delivered'] as const) {
      const answer = await postTracking(stack.app, s.courier, {
        trackingNumber: s.trackingNumber,
        type,
        ...(type === 'delivered' ? { signedBy: '张三' } : {}),
      });
      expect(answer.statusCode).toBe(200);
    }

  // The delivery event itself says receipt can be confirmed now: no read needed to decide.
  const delivered = await eventOf(orderId, (e) => e.type === 'order.delivered', 'the delivery');
  expect(delivered.data.order.pendingDecision).toMatchObject({ awaiting: 'receipt_confirmation' });
  expect(delivered.data.allowedActions).toContain('confirmReceipt');
  const confirm = await platform.POST('/v1/orders/{id}/confirm-receipt', { params: { path: { id: orderId } } });
  expect(confirm.response.status).toBe(200);
  // The first event showing the order completed: the confirmation itself moves it there
  // (workflows/order/sign-off.ts publishes no separate `order.completed`).
  const completed = await eventOf(orderId, (e) => e.data.order.status === 'completed', 'the completion');
  expect(completed.type).toBe('receipt.confirmed');

  // Delivered in order per order: by the completion every earlier event has arrived, each signed.
  const seqs = [
    ...new Set(receiver.received.filter((r) => r.path === PATH && r.orderId === orderId).map((r) => r.sequence)),
  ];
  expect(seqs.slice(0, completed.data.sequence)).toEqual(
    Array.from({ length: completed.data.sequence }, (_, i) => i + 1),
  );
  const types = receiver.received.filter((r) => r.path === PATH && r.orderId === orderId).map((r) => verified(r).type);
  expect(types).toEqual(
    expect.arrayContaining(['order.submitted', 'payment.captured', 'shipment.booked', 'receipt.confirmed']),
  );
}, 90_000);

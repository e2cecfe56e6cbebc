// docs/notifications.md, "Outbound events": platforms subscribe to order events and receive
// them signed per Standard Webhooks, at least once, in order per order, with retries, a delivery log,
// redelivery under the same webhook-id, and endpoints on private addresses refused. A real HTTP
// receiver on 127.0.0.1 (test/helpers/webhook-receiver.ts) on the real stack; the stack's retry
// schedule is fast (test/helpers/stack.ts), nothing is mocked.
import { Webhook } from 'standardwebhooks';
import { MANUAL_STORE_SKUS } from '../../scripts/seed';
import { matchesEventType } from '../../domain';
import { poolOf } from '../../store/db';
import { alignDeliveries, eventTypeMatchesSql } from '../../store/outbound-events';
import {
  createWebhookDispatcher,
  webhookDispatcherOptions,
  type WebhookDispatcherOptions,
} from '../../workers/webhooks';
import { KEYS, orderBody, submitOrder, useStack, waitForBooked, waitForOrder } from '../helpers/stack';
import { startReceiver, type Received } from '../helpers/webhook-receiver';
import { eventually, expectOk, expectProblem, send } from './api-helpers';

const stack = useStack({ dispatchers: ['webhooks'] });
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const created: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
});
// Subscriptions of each test stop receiving when it ends (other files' orders go on in the same
// database); in afterEach, as the stack's own afterAll may already have closed its connections.
afterEach(async () => {
  await stack.db.webhookSubscription.updateMany({ where: { id: { in: created } }, data: { enabled: false } });
  await alignDeliveries(stack.db);
});
afterAll(() => receiver.stop());

async function subscribe(path: string, key: string = KEYS.platform, extra: Record<string, unknown> = {}) {
  const sub = expectOk(
    await send(stack.app, 'POST', '/v1/webhook-subscriptions', key, { url: receiver.url(path), ...extra }),
    201,
  );
  created.push(sub.id);
  return sub as { id: string; secret: string };
}

const seqsOf = (orderId: string) =>
  stack.db.orderEvent.findMany({ where: { orderId }, select: { seq: true }, orderBy: { seq: 'asc' } });

/** Awaits every event of the order (1..n, as written so far) received on `path` at least once with a 2xx answer. */
async function allReceived(path: string, orderId: string, timeoutMs = 45_000) {
  return eventually(
    async () => {
      const seqs = (await seqsOf(orderId)).map((e) => e.seq);
      const got = new Set(
        receiver.received.filter((r) => r.path === path && r.orderId === orderId && r.okAt).map((r) => r.sequence),
      );
      return { seqs, missing: seqs.filter((s) => !got.has(s)) };
    },
    (v) => v.seqs.length > 0 && v.missing.length === 0,
    `every event of ${orderId} on ${path}`,
    timeoutMs,
  );
}

/** Seq n was never sent before every earlier event of its order had been answered 2xx on that path. */
function expectInOrder(path: string, orderId: string) {
  const mine = receiver.received.filter((r) => r.path === path && r.orderId === orderId);
  const firstOk = new Map<number, number>();
  for (const r of mine) if (r.okAt && !firstOk.has(r.sequence)) firstOk.set(r.sequence, r.okAt);
  for (const r of mine)
    for (const [seq, okAt] of firstOk)
      if (seq < r.sequence) expect({ seq, before: r.sequence, ok: okAt <= r.arrivedAt }).toMatchObject({ ok: true });
}

/** A dispatcher that makes one pass, then none for a minute: what it sent waits, unrecorded, for stop(). */
const onePassDispatcher = (extra: Partial<WebhookDispatcherOptions> = {}) =>
  createWebhookDispatcher({ db: stack.db, ...webhookDispatcherOptions(stack.config), intervalMs: 60_000, ...extra });

const headersOf = (r: Received) => ({
  'webhook-id': r.id,
  'webhook-timestamp': r.timestamp,
  'webhook-signature': r.signature,
});

test('a receiver answering 500, timing out, closing the connection and then down gets every event, once per id, in order, signed', async () => {
  const path = '/flaky';
  const sub = await subscribe(path);
  expect(sub.secret).toMatch(/^whsec_/);
  receiver.script(path, 500, 'hang', 'close');
  const orders = await Promise.all([submitOrder(stack.app), submitOrder(stack.app)]);
  const ids = orders.map((o) => o.body.id as string);
  // The first failures happen; then the receiver is down until an attempt was refused, and a worker
  // (its dispatcher) is stopped and started again meanwhile.
  const errors = () =>
    stack.db.webhookAttempt.findMany({ where: { delivery: { subscriptionId: sub.id } }, orderBy: { id: 'asc' } });
  await eventually(
    errors,
    (a) => a.length >= 3 && a.some((x) => /timed out/.test(x.error ?? '')),
    'a 500, a time-out and a closed connection recorded',
  );
  await receiver.down();
  await eventually(
    () =>
      stack.db.webhookAttempt.count({
        where: { delivery: { subscriptionId: sub.id }, error: { contains: 'ECONNREFUSED' } },
      }),
    (n) => n > 0,
    'an attempt refused while the receiver is down',
  );
  await stack.stopWorker();
  await stack.startWorker();
  await receiver.up();

  for (const id of ids) await waitForBooked(stack.app, id);
  for (const id of ids) {
    const { seqs } = await allReceived(path, id);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expectInOrder(path, id);
    const mine = receiver.received.filter((r) => r.path === path && r.orderId === id);
    // Every id is the event's own; each one's body and signature verify with the library.
    for (const r of mine) {
      expect(r.id).toBe(`evt_${id}_${r.sequence}`);
      const payload = new Webhook(sub.secret).verify(r.body, headersOf(r)) as any;
      expect(payload.data).toMatchObject({ orderId: id, sequence: r.sequence, eventId: r.id });
      expect(payload.data.order.orderId).toBe(id);
      expect(Array.isArray(payload.data.allowedActions)).toBe(true);
    }
    const changed = mine[0].body.replace(`"sequence":${mine[0].sequence}`, `"sequence":${mine[0].sequence + 100}`);
    expect(changed).not.toBe(mine[0].body);
    expect(() => new Webhook(sub.secret).verify(changed, headersOf(mine[0]))).toThrow();
  }
  // The delivery log, asked per order (the subscription carries every file's orders). The dispatcher
  // marks a delivery delivered just after the receiver answered (and the orders may still be adding
  // events), so it is awaited until every delivery of these orders is delivered.
  const logOf = async (orderId: string) =>
    expectOk(
      await send(
        stack.app,
        'GET',
        `/v1/webhook-subscriptions/${sub.id}/deliveries?orderId=${orderId}&limit=200`,
        KEYS.platform,
      ),
    ).items as any[];
  const perOrder = await eventually(
    () => Promise.all(ids.map(logOf)),
    (logs) => logs.every((l) => l.length > 0 && l.every((d) => d.status === 'delivered')),
    'every delivery of the two orders marked delivered',
  );
  perOrder.forEach((l, i) => expect(new Set(l.map((d) => d.orderId))).toEqual(new Set([ids[i]])));
  const items = perOrder.flat();
  // The failures are in the log with their answers, on whichever orders' events met them.
  const failedOn = await stack.db.webhookDelivery.findMany({
    where: { subscriptionId: sub.id, attemptLog: { some: { OR: [{ statusCode: 500 }, { error: { not: null } }] } } },
    distinct: ['orderId'],
    select: { orderId: true },
  });
  const logged = await Promise.all([...new Set([...ids, ...failedOn.map((d) => d.orderId)])].map(logOf));
  const attempts = logged.flat().flatMap((d) => d.recentAttempts);
  expect(attempts).toEqual(expect.arrayContaining([expect.objectContaining({ statusCode: 500, body: 'answer 500' })]));
  expect(attempts.some((a: any) => /timed out/.test(a.error ?? ''))).toBe(true);
  expect(attempts.some((a: any) => /ECONNREFUSED/.test(a.error ?? ''))).toBe(true);
  // A success records its attempt and answer, and clears the endpoint's failing mark.
  expect(attempts.some((a: any) => a.statusCode === 200)).toBe(true);
  const delivered = items[0];
  expect(await stack.db.webhookDelivery.findUniqueOrThrow({ where: { id: BigInt(delivered.id) } })).toMatchObject({
    lastStatusCode: 200,
    lastError: null,
    deliveredAt: expect.any(Date),
  });
  // The endpoint also carries other files' orders, and a failure of one of those deliveries (one sent
  // just before the receiver came back, recorded late) may land after this test's last success. So the
  // mark is either cleared or newer than the endpoint's last success, read in one snapshot; a success
  // that did not clear it leaves the mark of the failures above, older than that success.
  const [mark] = await stack.db.$queryRaw<[{ failingSince: Date | null; lastSuccess: Date }]>`
    SELECT s.failing_since AS "failingSince",
      (SELECT max(a.at) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
        WHERE d.subscription_id = s.id AND a.status_code BETWEEN 200 AND 299) AS "lastSuccess"
    FROM webhook_subscriptions s WHERE s.id = ${sub.id}`;
  expect(mark.failingSince?.getTime() ?? Infinity).toBeGreaterThan(mark.lastSuccess.getTime());
}, 120_000);

test('a dispatcher that dies mid-delivery loses nothing: its lease runs out and another one sends the same event id', async () => {
  const path = '/crash';
  await stack.stopWorker(); // this file's dispatcher stops (other files' stacks may still deliver)
  const sub = await subscribe(path);
  let mine = '';
  let held = false;
  // The first request for this test's order is held open; everything else is answered.
  receiver.rule(path, (r) => {
    if (r.orderId !== mine || held) return undefined;
    held = true;
    return 'hang';
  });
  const { body } = await submitOrder(stack.app); // the API writes the order's first event
  mine = body.id;
  const eventId = `evt_${body.id}_1`;
  const options = { db: stack.db, ...webhookDispatcherOptions(stack.config), timeoutMs: 10_000, leaseMs: 1500 };
  const first = createWebhookDispatcher(options);
  first.start();
  const ofMine = () => receiver.received.filter((r) => r.path === path && r.orderId === body.id);
  await eventually(
    async () => ofMine().length,
    (n) => n === 1,
    'the first send',
  );
  first.kill();
  const second = createWebhookDispatcher(options);
  second.start();
  try {
    await eventually(
      () => stack.db.webhookDelivery.findFirst({ where: { subscriptionId: sub.id, eventId } }),
      (d) => d?.status === 'delivered',
      'the delivery, sent again after the lease',
    );
  } finally {
    await second.stop();
    receiver.release();
    await stack.startWorker();
  }
  expect(
    ofMine()
      .slice(0, 2)
      .map((r) => r.id),
  ).toEqual([eventId, eventId]);
  // The order goes on; every later event arrives too.
  await waitForOrder(stack.app, body.id, (o) => o.shipments.length > 0);
  await allReceived(path, body.id);
  expectInOrder(path, body.id);
}, 90_000);

test('a success recorded after a redelivery of its event logs the attempt and leaves the new round to be sent', async () => {
  const path = '/late-success';
  await stack.stopWorker();
  const sub = await subscribe(path, KEYS.platform, { eventTypes: ['order.submitted'] });
  const { body } = await submitOrder(stack.app);
  const eventId = `evt_${body.id}_1`;
  const delivery = () => stack.db.webhookDelivery.findFirst({ where: { subscriptionId: sub.id, eventId } });
  const okOnPath = () => receiver.received.filter((r) => r.path === path && r.id === eventId && r.okAt).length;
  const dispatcher = onePassDispatcher();
  try {
    dispatcher.start();
    await eventually(
      async () => okOnPath(),
      (n) => n === 1,
      'the first send',
    );
    expect((await delivery())?.status).toBe('pending');
    expectOk(
      await send(
        stack.app,
        'POST',
        `/v1/webhook-subscriptions/${sub.id}/deliveries/${eventId}/redeliver`,
        KEYS.platform,
      ),
      202,
    );
  } finally {
    await dispatcher.stop();
  }
  const d = await delivery();
  expect(d).toMatchObject({ status: 'pending', attempts: 0 });
  expect(await stack.db.webhookAttempt.findMany({ where: { deliveryId: d!.id } })).toEqual([
    expect.objectContaining({ attempt: 1, statusCode: 200 }),
  ]);
  await stack.startWorker();
  await eventually(
    async () => okOnPath(),
    (n) => n === 2,
    'the redelivery',
  );
  await eventually(delivery, (x) => x?.status === 'delivered', 'the redelivery recorded');
}, 60_000);

/** How old events written directly are: older than the gap the fan-out waits for a timeline entry. */
const READY_AGE_MS = 120_000;

/** Three events of a new order, written directly and old enough to be ready without their timeline entries. */
async function writeReadyEvents(orderId: string) {
  const at = new Date(Date.now() - READY_AGE_MS);
  await stack.db.outboundEvent.createMany({
    data: [1, 2, 3].map((seq) => ({
      id: `evt_${orderId}_${seq}`,
      orderId,
      merchantId: 'm-demo',
      seq,
      type: 'order.submitted',
      occurredAt: at,
      createdAt: at,
      payload: { data: { orderId, sequence: seq } },
    })),
  });
}

/** A subscription as if made before writeReadyEvents' events, so they are fanned out to it. */
const backdate = (subscriptionId: string) =>
  stack.db.webhookSubscription.update({
    where: { id: subscriptionId },
    data: { createdAt: new Date(Date.now() - READY_AGE_MS - 60_000) },
  });

test("fan-out takes an order's new events in one pass, and none behind an event another dispatcher holds", async () => {
  await stack.stopWorker(); // its dispatcher would fan them out first
  const dispatcher = createWebhookDispatcher({ db: stack.db, ...webhookDispatcherOptions(stack.config) });
  const orderId = `ord_fanout_${Date.now()}`;
  await writeReadyEvents(orderId);
  const fannedOut = async () =>
    (
      await stack.db.outboundEvent.findMany({
        where: { orderId, fannedOutAt: { not: null } },
        orderBy: { seq: 'asc' },
        select: { seq: true },
      })
    ).map((e) => e.seq);
  try {
    // Another dispatcher's pass has locked event 1: neither it nor the two behind it are taken.
    await stack.db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM outbound_events WHERE id = ${`evt_${orderId}_1`} FOR UPDATE`;
      await dispatcher.fanOut();
      expect(await fannedOut()).toEqual([]);
    });
    // Once it let go, one statement takes all three.
    await dispatcher.fanOut();
    expect(await fannedOut()).toEqual([1, 2, 3]);
  } finally {
    await stack.startWorker();
  }
});

test("an order's due events go to a subscriber in one pass, one after another, in order", async () => {
  const path = '/chain';
  await stack.stopWorker(); // this file's dispatcher stops: the one below makes a single pass
  const sub = await subscribe(path);
  const orderId = `ord_chain_${Date.now()}`;
  await backdate(sub.id);
  await writeReadyEvents(orderId);
  const dispatcher = onePassDispatcher();
  try {
    dispatcher.start();
    await eventually(
      async () => receiver.received.filter((r) => r.path === path && r.orderId === orderId && r.okAt).length,
      (n) => n === 3,
      'the three events, from the first pass',
    );
  } finally {
    await dispatcher.stop();
    await stack.startWorker();
  }
  expect(receiver.received.filter((r) => r.path === path && r.orderId === orderId).map((r) => r.sequence)).toEqual([
    1, 2, 3,
  ]);
  expectInOrder(path, orderId);
  const deliveries = await stack.db.webhookDelivery.findMany({
    where: { subscriptionId: sub.id, orderId },
    orderBy: { seq: 'asc' },
  });
  expect(deliveries.map((d) => [d.seq, d.status, d.attempts])).toEqual([
    [1, 'delivered', 1],
    [2, 'delivered', 1],
    [3, 'delivered', 1],
  ]);
});

/** Three ready events of a new order for a new subscription on `path`, which answers the second 500; the stack's dispatcher stopped. */
async function chainFailingAtTheSecond(path: string) {
  await stack.stopWorker();
  const sub = await subscribe(path);
  const orderId = `ord${path.replaceAll('/', '_')}_${Date.now()}`;
  receiver.rule(path, (r) => (r.orderId === orderId && r.sequence === 2 ? 500 : undefined));
  await backdate(sub.id);
  await writeReadyEvents(orderId);
  const deliveries = () =>
    stack.db.webhookDelivery.findMany({ where: { subscriptionId: sub.id, orderId }, orderBy: { seq: 'asc' } });
  return { orderId, deliveries };
}

test('a chain stops at a failed delivery: the events behind it are given back unsent, their attempts not counted', async () => {
  const path = '/chain-fails';
  const { orderId, deliveries } = await chainFailingAtTheSecond(path);
  // The failed event is tried again 2 s later (±20 %).
  const dispatcher = onePassDispatcher({ schedule: [2_000] });
  const sent = () => receiver.received.filter((r) => r.path === path && r.orderId === orderId).map((r) => r.sequence);
  let given: Awaited<ReturnType<typeof deliveries>>;
  let sentByThen: number[];
  try {
    dispatcher.start();
    await eventually(deliveries, (d) => d[1]?.lastStatusCode === 500, 'the second event failed');
    await dispatcher.stop(); // awaits the chain, which gives the third back
    [given, sentByThen] = [await deliveries(), sent()];
  } finally {
    await dispatcher.stop();
    receiver.rule(path, () => undefined);
    await stack.startWorker();
  }
  expect(sentByThen).toEqual([1, 2]);
  const [first, second, third] = given;
  expect(first).toMatchObject({ status: 'delivered', attempts: 1 });
  expect(second).toMatchObject({ status: 'pending', attempts: 1 });
  expect(second.nextAttemptAt.getTime() - second.lastAttemptAt!.getTime()).toBeGreaterThan(1_000);
  expect(third).toMatchObject({ status: 'pending', attempts: 0, lastAttemptAt: null });
  expect(third.nextAttemptAt.getTime()).toBeLessThanOrEqual(second.nextAttemptAt.getTime());
  // Once the second event goes through, the third follows it.
  await eventually(deliveries, (d) => d.every((x) => x.status === 'delivered'), 'every event delivered');
  expectInOrder(path, orderId);
});

test('a chain whose failure cannot be recorded gives the events behind it back at once, not after its lease', async () => {
  const path = '/chain-unrecorded';
  const { deliveries } = await chainFailingAtTheSecond(path);
  // The database refuses the transaction that records the failure (a lost connection, say).
  const refusal = jest.spyOn(stack.db, '$transaction').mockRejectedValueOnce(new Error('connection lost'));
  const dispatcher = onePassDispatcher({ leaseMs: 600_000 });
  let given: Awaited<ReturnType<typeof deliveries>>;
  try {
    dispatcher.start();
    await eventually(
      async () => refusal.mock.calls.length,
      (n) => n > 0,
      'the failure’s record refused',
    );
    await dispatcher.stop(); // awaits the chain, which gives the third back
    given = await deliveries();
  } finally {
    refusal.mockRestore();
    await dispatcher.stop();
    receiver.rule(path, () => undefined);
    await stack.startWorker();
  }
  const [first, second, third] = given;
  expect(first).toMatchObject({ status: 'delivered', attempts: 1 });
  // The failed one keeps its lease (its attempt was made); the one behind it is due again, uncounted.
  expect(second).toMatchObject({ status: 'pending', attempts: 1, lastAttemptAt: null });
  expect(second.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 60_000);
  expect(third).toMatchObject({ status: 'pending', attempts: 0 });
  expect(third.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());
});

test("a merchant's subscription receives its own orders' events only, and other merchants cannot see it", async () => {
  const path = '/merchant-a';
  const sub = await subscribe(path, KEYS.merchant, { eventTypes: ['order.*', 'payment.*'] });
  const own = await submitOrder(stack.app);
  const other = await submitOrder(stack.app, orderBody({ lines: [{ sku: MANUAL_STORE_SKUS[0], quantity: 1 }] }));
  await waitForOrder(stack.app, other.body.id, (o) => o.pendingDecision?.awaiting === 'merchant_decision');
  await waitForOrder(stack.app, own.body.id, (o) => o.shipments.length > 0);
  // Every event of the other merchant's order has been through fan-out by now.
  await eventually(
    () => stack.db.outboundEvent.count({ where: { orderId: other.body.id, fannedOutAt: null } }),
    (n) => n === 0,
    'the other order fanned out',
  );
  const wanted = await eventually(
    async () => {
      const types = await stack.db.outboundEvent.findMany({ where: { orderId: own.body.id } });
      const want = types.filter((e) => /^(order|payment)\./.test(e.type)).map((e) => e.id);
      const got = new Set(receiver.received.filter((r) => r.path === path && r.okAt).map((r) => r.id));
      return { want, missing: want.filter((id) => !got.has(id)) };
    },
    (v) => v.want.length > 0 && v.missing.length === 0,
    "the merchant's own order and payment events",
  );
  expect(wanted.want.length).toBeGreaterThan(1);
  const mine = receiver.received.filter((r) => r.path === path);
  expect(mine.every((r) => JSON.parse(r.body).data.merchantId === 'm-demo')).toBe(true);
  expect(mine.some((r) => r.orderId === other.body.id)).toBe(false);
  expect(mine.every((r) => /^(order|payment)\./.test(JSON.parse(r.body).type))).toBe(true);
  expect(await stack.db.webhookDelivery.count({ where: { subscriptionId: sub.id, orderId: other.body.id } })).toBe(0);

  expectProblem(
    await send(stack.app, 'GET', `/v1/webhook-subscriptions/${sub.id}`, KEYS.manualMerchant),
    404,
    '/problems/not-found',
  );
  const list = expectOk(await send(stack.app, 'GET', '/v1/webhook-subscriptions', KEYS.manualMerchant));
  expect(list.items.map((s: any) => s.id)).not.toContain(sub.id);
  expect(expectOk(await send(stack.app, 'GET', `/v1/webhook-subscriptions/${sub.id}`, KEYS.support)).merchantId).toBe(
    'm-demo',
  );
  // A merchant cannot have another merchant's event redelivered to itself.
  expectProblem(
    await send(
      stack.app,
      'POST',
      `/v1/webhook-subscriptions/${sub.id}/deliveries/evt_${other.body.id}_1/redeliver`,
      KEYS.merchant,
    ),
    404,
    '/problems/not-found',
  );
}, 90_000);

test('redelivery of one event and of a time range sends the same webhook-ids again', async () => {
  const path = '/redeliver';
  const sub = await subscribe(path, KEYS.platform, { eventTypes: ['order.submitted'] });
  const from = new Date(Date.now() - 1000).toISOString();
  const { body } = await submitOrder(stack.app);
  const eventId = `evt_${body.id}_1`;
  const count = () => receiver.received.filter((r) => r.path === path && r.id === eventId && r.okAt).length;
  await eventually(
    async () => count(),
    (n) => n === 1,
    'the first delivery',
  );
  await eventually(
    () => stack.db.webhookDelivery.findFirst({ where: { subscriptionId: sub.id, eventId } }),
    (d) => d?.status === 'delivered',
    'delivered',
  );
  const one = expectOk(
    await send(stack.app, 'POST', `/v1/webhook-subscriptions/${sub.id}/deliveries/${eventId}/redeliver`, KEYS.platform),
    202,
  );
  expect(one.eventIds).toEqual([eventId]);
  await eventually(
    async () => count(),
    (n) => n === 2,
    'the redelivery',
  );

  const range = expectOk(
    await send(stack.app, 'POST', `/v1/webhook-subscriptions/${sub.id}/redeliver`, KEYS.platform, {
      from,
      to: new Date(Date.now() + 1000).toISOString(),
    }),
    202,
  );
  expect(range.eventIds).toContain(eventId);
  await eventually(
    async () => count(),
    (n) => n === 3,
    'the range redelivery',
  );
  const sent = receiver.received.filter((r) => r.path === path && r.id === eventId);
  // The same id each time (a receiver deduplicates by it), each signed afresh.
  for (const r of sent) expect(new Webhook(sub.secret).verify(r.body, headersOf(r))).toBeTruthy();
  expectProblem(
    await send(stack.app, 'POST', `/v1/webhook-subscriptions/${sub.id}/deliveries/evt_nope_1/redeliver`, KEYS.platform),
    404,
    '/problems/not-found',
  );
});

test('a delivery failing through its whole schedule is failed, the next event of its order then goes; an endpoint failing too long is disabled and its owner told', async () => {
  const path = '/always-500';
  receiver.always(path, 500);
  const sub = await subscribe(path, KEYS.platform, { eventTypes: ['*'] });
  const { body } = await submitOrder(stack.app);
  const failed = await eventually(
    () => stack.db.webhookDelivery.findFirst({ where: { subscriptionId: sub.id, orderId: body.id, seq: 1 } }),
    (d) => d?.status === 'failed',
    'the first event failed',
    40_000,
  );
  const attempts = await stack.db.webhookAttempt.findMany({
    where: { deliveryId: failed!.id },
    orderBy: { id: 'asc' },
  });
  expect(attempts).toHaveLength(stack.config.WEBHOOK_RETRY_SCHEDULE.length + 1);
  expect(attempts.every((a) => a.statusCode === 500)).toBe(true);
  const nextFirst = await eventually(
    () =>
      stack.db.webhookAttempt.findFirst({ where: { delivery: { subscriptionId: sub.id, orderId: body.id, seq: 2 } } }),
    (a) => Boolean(a),
    'the second event tried',
  );
  expect(nextFirst!.at.getTime()).toBeGreaterThanOrEqual(attempts.at(-1)!.at.getTime());

  // The console's list: failed deliveries across the subscriptions the caller sees, with a redeliver target.
  const failedList = expectOk(
    await send(stack.app, 'GET', `/v1/webhook-deliveries?status=failed&orderId=${body.id}`, KEYS.support),
  );
  expect(failedList.items).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        subscriptionId: sub.id,
        eventId: `evt_${body.id}_1`,
        status: 'failed',
        url: receiver.url(path),
      }),
    ]),
  );
  const merchantList = expectOk(await send(stack.app, 'GET', '/v1/webhook-deliveries?status=failed', KEYS.merchant));
  expect(merchantList.items.some((d: any) => d.subscriptionId === sub.id)).toBe(false);

  // Failing since 6 days (the default limit is 5): the next failure disables it and queues one notice.
  await stack.db.webhookSubscription.update({
    where: { id: sub.id },
    data: { failingSince: new Date(Date.now() - 6 * 86_400_000) },
  });
  const disabled = await eventually(
    () => stack.db.webhookSubscription.findUniqueOrThrow({ where: { id: sub.id } }),
    (s) => !s.enabled,
    'disabled',
  );
  expect(disabled.disabledReason).toBe('failing');
  expect(await stack.db.webhookDelivery.count({ where: { subscriptionId: sub.id, status: 'pending' } })).toBe(0);
  const notices = await stack.db.notification.findMany({
    where: { id: { startsWith: `webhook-disabled:${sub.id}:` } },
  });
  expect(notices).toHaveLength(1);
  expect(notices[0]).toMatchObject({
    kind: 'webhook.endpoint_disabled',
    recipientType: 'platform',
    recipientId: 'dev platform',
  });
  // Enabled again by its owner: the failure record is cleared.
  const again = expectOk(
    await send(stack.app, 'PATCH', `/v1/webhook-subscriptions/${sub.id}`, KEYS.platform, { enabled: false }),
  );
  expect(again.enabled).toBe(false);
}, 90_000);

test('a disabled endpoint’s deliveries are parked, redeliveries too, and sent in order once it is enabled again', async () => {
  const path = '/parked';
  receiver.rule(path, () => 500); // nothing gets through while the endpoint is broken
  const sub = await subscribe(path, KEYS.platform, { eventTypes: ['*'] });
  const { body } = await submitOrder(stack.app);
  await eventually(
    () => stack.db.webhookDelivery.findFirst({ where: { subscriptionId: sub.id, orderId: body.id, seq: 1 } }),
    (d) => (d?.attempts ?? 0) > 0,
    'the first event tried',
  );
  expectOk(await send(stack.app, 'POST', `/v1/webhook-subscriptions/${sub.id}/disable`, KEYS.platform));
  const waiting = await stack.db.webhookDelivery.findMany({ where: { subscriptionId: sub.id, orderId: body.id } });
  expect(waiting.length).toBeGreaterThan(0);
  expect(waiting.map((d) => d.status)).toEqual(waiting.map(() => 'parked'));
  const log = expectOk(
    await send(
      stack.app,
      'GET',
      `/v1/webhook-subscriptions/${sub.id}/deliveries?status=parked&orderId=${body.id}&limit=200`,
      KEYS.platform,
    ),
  );
  // The subscription is platform-wide: the log is asked for this order's deliveries only.
  expect(log.items.every((d: any) => d.orderId === body.id)).toBe(true);
  expect(log.items.map((d: any) => d.eventId).sort()).toEqual(waiting.map((d) => d.eventId).sort());

  const redelivered = expectOk(
    await send(
      stack.app,
      'POST',
      `/v1/webhook-subscriptions/${sub.id}/deliveries/evt_${body.id}_1/redeliver`,
      KEYS.platform,
    ),
    202,
  );
  expect(redelivered.status).toBe('parked');

  receiver.rule(path, () => 200);
  expectOk(await send(stack.app, 'PATCH', `/v1/webhook-subscriptions/${sub.id}`, KEYS.platform, { enabled: true }));
  // Events written while it was off were never fanned out to it (a range redelivery gets them); the parked ones all go.
  const delivered = (seq: number) =>
    receiver.received.some((r) => r.path === path && r.orderId === body.id && r.sequence === seq && r.okAt);
  await eventually(
    async () => waiting.filter((d) => !delivered(d.seq)).map((d) => d.seq),
    (missing) => missing.length === 0,
    'every parked delivery sent',
  );
  expectInOrder(path, body.id);
}, 90_000);

test('fan-out matches event types in SQL exactly as matchesEventType does', async () => {
  const cases: Array<[string[], string]> = [
    [['*'], 'payment.captured'],
    [['payment.*'], 'payment.captured'],
    [['payment.*'], 'payments.captured'],
    [['shipment.delivered', 'order.*'], 'order.submitted'],
    [['shipment.delivered'], 'shipment.booked'],
    [[], 'order.submitted'],
    [['order.*'], 'order'],
    [['order.'], 'order.x'],
    [['order_*'], 'order_x'],
    [['%.*'], 'a.b'],
    [['.*'], '.x'],
  ];
  const sql = `SELECT ${eventTypeMatchesSql('$1::text[]', '$2::text')} AS matches`;
  const inSql = [];
  for (const [patterns, type] of cases)
    inSql.push((await poolOf(stack.db).query(sql, [patterns, type])).rows[0].matches);
  expect(inSql).toEqual(cases.map(([patterns, type]) => matchesEventType(patterns, type)));
  expect(inSql.filter(Boolean)).toHaveLength(4);
});

describe('the subscription API', () => {
  test('the secret is shown once (create, rotate); the same Idempotency-Key replays the creation', async () => {
    const res = await send(
      stack.app,
      'POST',
      '/v1/webhook-subscriptions',
      KEYS.platform,
      { url: receiver.url('/api'), enabled: false },
      { 'idempotency-key': 'sub-once-1' },
    );
    const sub = expectOk(res, 201);
    created.push(sub.id);
    expect(sub).toMatchObject({ eventTypes: ['*'], enabled: false, owner: { role: 'platform' } });
    const replay = await send(
      stack.app,
      'POST',
      '/v1/webhook-subscriptions',
      KEYS.platform,
      { url: receiver.url('/api'), enabled: false },
      { 'idempotency-key': 'sub-once-1' },
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(expectOk(replay, 201).id).toBe(sub.id);
    const got = expectOk(await send(stack.app, 'GET', `/v1/webhook-subscriptions/${sub.id}`, KEYS.platform));
    expect(got).not.toHaveProperty('secret');
    const rotated = expectOk(
      await send(stack.app, 'POST', `/v1/webhook-subscriptions/${sub.id}/rotate-secret`, KEYS.platform),
    );
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(sub.secret);
    const patched = expectOk(
      await send(stack.app, 'PATCH', `/v1/webhook-subscriptions/${sub.id}`, KEYS.platform, {
        eventTypes: ['shipment.*'],
        enabled: true,
      }),
    );
    expect(patched).toMatchObject({ eventTypes: ['shipment.*'], enabled: true });
    const off = expectOk(await send(stack.app, 'POST', `/v1/webhook-subscriptions/${sub.id}/disable`, KEYS.platform));
    expect(off).toMatchObject({ enabled: false, disabledReason: 'by_owner' });
    // Another platform key would not see it; support sees all.
    const list = expectOk(await send(stack.app, 'GET', '/v1/webhook-subscriptions?limit=200', KEYS.support));
    expect(list.items.map((s: any) => s.id)).toContain(sub.id);
  });

  test('endpoints on private, loopback or link-local addresses are refused (422 naming url), at creation and on change', async () => {
    for (const url of [
      'http://127.0.0.2:9/h',
      'http://localhost:9/h',
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.1/h',
      'http://[::1]:9/h',
    ]) {
      const body = expectProblem(
        await send(stack.app, 'POST', '/v1/webhook-subscriptions', KEYS.platform, { url }),
        422,
        '/problems/unprocessable',
        ['url'],
      );
      expect(body.detail).toMatch(/private|resolve/);
    }
    const sub = await subscribe('/ssrf', KEYS.platform, { enabled: false });
    expectProblem(
      await send(stack.app, 'PATCH', `/v1/webhook-subscriptions/${sub.id}`, KEYS.platform, {
        url: 'http://192.168.0.1/h',
      }),
      422,
      '/problems/unprocessable',
      ['url'],
    );
  });

  test('bad input is 400 problem+json naming the field, and changes nothing', async () => {
    const bad: Array<[unknown, string]> = [
      [{ url: 'ftp://hooks.example/h' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://u:p@hooks.example/h' }, 'url'],
      [{}, 'url'],
      [{ url: receiver.url('/x'), eventTypes: [] }, 'eventTypes'],
      [{ url: receiver.url('/x'), eventTypes: ['Payment'] }, 'eventTypes.0'],
      [{ url: receiver.url('/x'), enabled: 'yes' }, 'enabled'],
      [{ url: receiver.url('/x'), secret: 'mine' }, '(root)'],
    ];
    const before = await stack.db.webhookSubscription.count();
    for (const [payload, field] of bad) {
      const res = await send(stack.app, 'POST', '/v1/webhook-subscriptions', KEYS.platform, payload);
      const problem = expectProblem(res, 400, '/problems/validation-error');
      expect([field, problem.errors.map((e: any) => e.field)]).toEqual([field, expect.arrayContaining([field])]);
    }
    expect(await stack.db.webhookSubscription.count()).toBe(before);
    const sub = await subscribe('/bad', KEYS.platform, { enabled: false });
    expectProblem(
      await send(stack.app, 'PATCH', `/v1/webhook-subscriptions/${sub.id}`, KEYS.platform, {}),
      400,
      '/problems/validation-error',
    );
    expectProblem(
      await send(stack.app, 'POST', `/v1/webhook-subscriptions/${sub.id}/redeliver`, KEYS.platform, {
        from: '2026-11-26T00:00:00Z',
        to: '2026-11-25T00:00:00Z',
      }),
      400,
      '/problems/validation-error',
      ['to'],
    );
    expectProblem(
      await send(stack.app, 'GET', `/v1/webhook-subscriptions/${sub.id}/deliveries?cursor=abc`, KEYS.platform),
      400,
      '/problems/validation-error',
      ['cursor'],
    );
    expectProblem(
      await send(stack.app, 'GET', '/v1/webhook-subscriptions/whsub_nope', KEYS.platform),
      404,
      '/problems/not-found',
    );
    expectProblem(
      await send(stack.app, 'POST', '/v1/webhook-subscriptions', KEYS.logistics, { url: receiver.url('/x') }),
      403,
      '/problems/forbidden',
    );
  });
});

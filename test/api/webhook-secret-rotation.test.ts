// docs/notifications.md, "Rotating the secret" (decision 074): after a rotation the previous secret
// keeps signing beside the new one for an overlap, so a receiver verifying with either accepts every
// delivery; with no overlap, or once it has ended, only the new secret signs. Real stack, real HTTP
// receiver, verified with the `standardwebhooks` library receivers use.
import { Webhook } from 'standardwebhooks';
import { generateSecret } from '../../adapters/outbound-webhooks';
import { alignDeliveries } from '../../store/outbound-events';
import { KEYS, submitOrder, useStack } from '../helpers/stack';
import { startReceiver, type Received } from '../helpers/webhook-receiver';
import { eventually, expectOk, expectProblem, send } from './api-helpers';

const stack = useStack({ dispatchers: ['webhooks'] });
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const created: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
});
afterEach(async () => {
  await stack.db.webhookSubscription.updateMany({ where: { id: { in: created } }, data: { enabled: false } });
  await alignDeliveries(stack.db);
});
afterAll(() => receiver.stop());

const DAY_MS = 86_400_000;

async function subscribe(path: string) {
  const body = { url: receiver.url(path), eventTypes: ['order.submitted'] };
  const sub = expectOk(await send(stack.app, 'POST', '/v1/webhook-subscriptions', KEYS.platform, body), 201);
  created.push(sub.id);
  return sub as { id: string; secret: string };
}

const rotate = (id: string, body?: object) =>
  send(stack.app, 'POST', `/v1/webhook-subscriptions/${id}/rotate-secret`, KEYS.platform, body);

/**
 * What arrives on `path` from now on: the first 2xx-answered arrival of an event after those already
 * received. Taken before the action that sends it, which can arrive before the action has returned.
 */
function arrivalsFromNow(path: string) {
  const earlier = new Set(receiver.received);
  return (eventId: string) =>
    receiver.waitFor((r) => !earlier.has(r) && r.path === path && r.id === eventId, `${eventId} on ${path}`);
}

/** A new order's first event (order.submitted), as received on `path`. */
async function deliveredOrderSubmitted(path: string) {
  const arrival = arrivalsFromNow(path);
  const { body } = await submitOrder(stack.app);
  const eventId = `evt_${body.id}_1`;
  return { eventId, received: await arrival(eventId) };
}

const verifies = (secret: string, r: Received) => {
  const headers = { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature };
  try {
    new Webhook(secret).verify(r.body, headers);
    return true;
  } catch {
    return false;
  }
};
const signatureCount = (r: Received) => r.signature.split(' ').length;

test('after a rotation a delivery verifies with the previous secret and with the new one; once the overlap has ended, with the new one only', async () => {
  const path = '/rotation-overlap';
  const sub = await subscribe(path);
  const before = Date.now();
  const rotated = expectOk(await rotate(sub.id));
  expect(rotated.secret).not.toBe(sub.secret);
  const expiresAt = Date.parse(rotated.previousSecretExpiresAt);
  expect(expiresAt - before).toBeGreaterThanOrEqual(DAY_MS - 1000); // the default: 24 h
  expect(expiresAt - Date.now()).toBeLessThanOrEqual(DAY_MS);
  const read = expectOk(await send(stack.app, 'GET', `/v1/webhook-subscriptions/${sub.id}`, KEYS.platform));
  expect(read).toMatchObject({ previousSecretExpiresAt: rotated.previousSecretExpiresAt });
  expect(JSON.stringify(read)).not.toMatch(/whsec_/);

  const { eventId, received } = await deliveredOrderSubmitted(path);
  expect(signatureCount(received)).toBe(2);
  expect(verifies(sub.secret, received)).toBe(true);
  expect(verifies(rotated.secret, received)).toBe(true);
  expect(verifies(generateSecret(), received)).toBe(false);

  // The overlap ends (moved back in the database): the next attempt carries the new signature only.
  await stack.db.webhookSubscription.update({
    where: { id: sub.id },
    data: { previousSecretExpiresAt: new Date(Date.now() - 1000) },
  });
  const ended = expectOk(await send(stack.app, 'GET', `/v1/webhook-subscriptions/${sub.id}`, KEYS.platform));
  expect(ended.previousSecretExpiresAt).toBeNull();
  await eventually(
    () => stack.db.webhookDelivery.findFirst({ where: { subscriptionId: sub.id, eventId } }),
    (d) => d?.status === 'delivered',
    'the first delivery recorded',
  );
  const redeliver = `/v1/webhook-subscriptions/${sub.id}/deliveries/${eventId}/redeliver`;
  const arrival = arrivalsFromNow(path)(eventId);
  expectOk(await send(stack.app, 'POST', redeliver, KEYS.platform), 202);
  const again = await arrival;
  expect(signatureCount(again)).toBe(1);
  expect(verifies(rotated.secret, again)).toBe(true);
  expect(verifies(sub.secret, again)).toBe(false);
}, 60_000);

test('a rotation with previousSecretExpiresInSeconds 0 ends the previous secret at once', async () => {
  const path = '/rotation-immediate';
  const sub = await subscribe(path);
  const rotated = expectOk(await rotate(sub.id, { previousSecretExpiresInSeconds: 0 }));
  expect(rotated.previousSecretExpiresAt).toBeNull();
  const { received } = await deliveredOrderSubmitted(path);
  expect(signatureCount(received)).toBe(1);
  expect(verifies(rotated.secret, received)).toBe(true);
  expect(verifies(sub.secret, received)).toBe(false);
}, 60_000);

test('a second rotation during an overlap replaces the previous secret: the first one no longer signs', async () => {
  const path = '/rotation-twice';
  const first = await subscribe(path);
  const second = expectOk(await rotate(first.id, { previousSecretExpiresInSeconds: 3600 }));
  const third = expectOk(await rotate(first.id, { previousSecretExpiresInSeconds: 600 }));
  const expiresIn = Date.parse(third.previousSecretExpiresAt) - Date.now();
  expect(expiresIn).toBeGreaterThan(590_000);
  expect(expiresIn).toBeLessThanOrEqual(600_000);
  const { received } = await deliveredOrderSubmitted(path);
  expect(signatureCount(received)).toBe(2);
  expect(verifies(third.secret, received)).toBe(true);
  expect(verifies(second.secret, received)).toBe(true);
  expect(verifies(first.secret, received)).toBe(false);
}, 60_000);

test('an overlap that is negative, too long or not whole seconds is 400 naming the field, and rotates nothing', async () => {
  const sub = await subscribe('/rotation-bad');
  const bad: Array<[unknown, string]> = [
    [{ previousSecretExpiresInSeconds: -1 }, 'previousSecretExpiresInSeconds'],
    [{ previousSecretExpiresInSeconds: 7 * 86_400 + 1 }, 'previousSecretExpiresInSeconds'],
    [{ previousSecretExpiresInSeconds: 1.5 }, 'previousSecretExpiresInSeconds'],
    [{ previousSecretExpiresInSeconds: '3600' }, 'previousSecretExpiresInSeconds'],
    [{ expiresInSeconds: 3600 }, '(root)'],
  ];
  for (const [body, field] of bad) {
    const problem = expectProblem(await rotate(sub.id, body as object), 400, '/problems/validation-error');
    expect([body, problem.errors.map((e: any) => e.field)]).toEqual([body, expect.arrayContaining([field])]);
  }
  const row = await stack.db.webhookSubscription.findUniqueOrThrow({ where: { id: sub.id } });
  expect(row).toMatchObject({ secret: sub.secret, previousSecret: null, previousSecretExpiresAt: null });
  // The longest overlap allowed, 7 days, is accepted.
  expect(
    expectOk(await rotate(sub.id, { previousSecretExpiresInSeconds: 7 * 86_400 })).previousSecretExpiresAt,
  ).toEqual(expect.any(String));
});

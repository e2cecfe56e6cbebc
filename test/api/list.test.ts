// docs/api.md: GET /v1/orders lists orders (newest first) with filters status, customerId, merchantId,
// channel, from, to, and cursor pagination (limit, cursor → nextCursor).
import { KEYS, orderBody, submitOrder, useStack, waitForStatus } from '../helpers/stack';
import { createProduct, eventually, expectOk, expectProblem, listOrders, send, uid } from './api-helpers';

const stack = useStack();
const customer = { ...orderBody().customer, id: uid('list-cust') };
const channels = ['web', 'app', 'web', 'mini_program', 'app', 'web'];
const ids: string[] = []; // in submission order
let all: any[] = []; // as listed, newest first
let cancelledId: string;

const ofCustomer = (query: Record<string, string | number> = {}, key: string = KEYS.support) =>
  listOrders(stack.app, { customerId: customer.id, ...query }, key);
const idsOf = (body: { items: Array<{ id: string }> }) => body.items.map((o) => o.id);

beforeAll(async () => {
  const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 50 } });
  for (const channel of channels) {
    const { res, body } = await submitOrder(stack.app, orderBody({ customer, channel, lines: [{ sku, quantity: 1 }] }));
    expectOk(res, 201);
    ids.push(body.id);
  }
  // One order is cancelled, the others go on to fulfilling.
  cancelledId = ids[1];
  await waitForStatus(stack.app, cancelledId, 'fulfilling');
  expectOk(
    await send(stack.app, 'POST', `/v1/orders/${cancelledId}/cancel`, KEYS.platform, { reason: 'changed my mind' }),
  );
  for (const id of ids) await waitForStatus(stack.app, id, id === cancelledId ? 'cancelled' : 'fulfilling');
  // The list reads the read model: wait until every row shows its final status.
  const listed = await eventually(
    () => ofCustomer({ limit: 50 }),
    (r) =>
      r.body.items?.length === ids.length &&
      r.body.items.every((o: any) => o.status === (o.id === cancelledId ? 'cancelled' : 'fulfilling')),
    'the customer’s orders in the read model',
  );
  all = listed.body.items;
});

test('customerId: exactly that customer’s orders, newest first, with the list fields', () => {
  expect(all.map((o) => o.id).sort()).toEqual([...ids].sort());
  // Newest first: the reverse of submission order (ids are time-ordered and createdAt descends).
  expect(all.map((o) => o.id)).toEqual([...ids].reverse());
  for (let i = 1; i < all.length; i++)
    expect(Date.parse(all[i - 1].createdAt)).toBeGreaterThanOrEqual(Date.parse(all[i].createdAt));
  expect(all[0]).toEqual({
    id: ids[ids.length - 1],
    status: 'fulfilling',
    channel: 'web',
    merchantId: 'm-demo',
    customerId: customer.id,
    paymentMethod: 'card',
    total: { amount: 1000, currency: 'CNY' },
    flags: [],
    createdAt: expect.any(String),
    updatedAt: expect.any(String),
  });
});

test('status filter', async () => {
  const cancelled = expectOk((await ofCustomer({ status: 'cancelled' })).res);
  expect(idsOf(cancelled)).toEqual([cancelledId]);
  const fulfilling = expectOk((await ofCustomer({ status: 'fulfilling' })).res);
  expect(idsOf(fulfilling).sort()).toEqual(ids.filter((id) => id !== cancelledId).sort());
  expect(expectOk((await ofCustomer({ status: 'delivered' })).res)).toEqual({ items: [], nextCursor: null });
});

test('channel filter', async () => {
  for (const channel of new Set(channels)) {
    const body = expectOk((await ofCustomer({ channel })).res);
    expect(idsOf(body).sort()).toEqual(ids.filter((_id, i) => channels[i] === channel).sort());
    for (const o of body.items) expect(o.channel).toBe(channel);
  }
  expect(expectOk((await ofCustomer({ channel: 'no-such-channel' })).res).items).toEqual([]);
});

test('status and channel combine', async () => {
  const body = expectOk((await ofCustomer({ channel: 'app', status: 'fulfilling' })).res);
  expect(idsOf(body)).toEqual([ids[4]]);
});

test('merchantId filter', async () => {
  expect(expectOk((await ofCustomer({ merchantId: 'm-demo' })).res).items).toHaveLength(ids.length);
  expect(expectOk((await ofCustomer({ merchantId: 'm-manual' })).res).items).toEqual([]);
});

test('from / to bound createdAt (inclusive)', async () => {
  const oldestFirst = [...all].reverse();
  const pivot = oldestFirst[2].createdAt as string;
  const expectedFrom = all.filter((o) => Date.parse(o.createdAt) >= Date.parse(pivot)).map((o) => o.id);
  const expectedTo = all.filter((o) => Date.parse(o.createdAt) <= Date.parse(pivot)).map((o) => o.id);
  expect(expectedFrom.length).toBeGreaterThanOrEqual(4);
  expect(expectedTo.length).toBeGreaterThanOrEqual(3);

  expect(idsOf(expectOk((await ofCustomer({ from: pivot })).res))).toEqual(expectedFrom);
  expect(idsOf(expectOk((await ofCustomer({ to: pivot })).res))).toEqual(expectedTo);
  const both = expectOk((await ofCustomer({ from: pivot, to: pivot })).res);
  expect(idsOf(both)).toContain(oldestFirst[2].id);
  expect(idsOf(both).every((id) => expectedFrom.includes(id) && expectedTo.includes(id))).toBe(true);

  // An offset timestamp is the same instant.
  const shifted = new Date(Date.parse(pivot) + 8 * 3600_000).toISOString().replace('Z', '+08:00');
  expect(idsOf(expectOk((await ofCustomer({ from: shifted })).res))).toEqual(expectedFrom);

  const future = new Date(Date.now() + 3600_000).toISOString();
  expect(expectOk((await ofCustomer({ from: future })).res).items).toEqual([]);
  const past = new Date(Date.parse(oldestFirst[0].createdAt) - 1).toISOString();
  expect(expectOk((await ofCustomer({ to: past })).res).items).toEqual([]);
  expect(expectOk((await ofCustomer({ from: future, to: past })).res).items).toEqual([]);
});

test('cursor pagination with limit=2: pages do not overlap, cover everything, end with nextCursor null', async () => {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10; i++) {
    const body = expectOk((await ofCustomer({ limit: 2, ...(cursor ? { cursor } : {}) })).res);
    pages.push(idsOf(body));
    if (body.nextCursor === null) break;
    expect(typeof body.nextCursor).toBe('string');
    cursor = body.nextCursor;
  }
  expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
  const flat = pages.flat();
  expect(new Set(flat).size).toBe(flat.length);
  expect(flat).toEqual(all.map((o) => o.id));
});

test('pagination with a page size that divides the total ends with an exact last page and nextCursor null', async () => {
  const first = expectOk((await ofCustomer({ limit: 3 })).res);
  expect(first.items).toHaveLength(3);
  expect(first.nextCursor).toEqual(expect.any(String));
  const second = expectOk((await ofCustomer({ limit: 3, cursor: first.nextCursor })).res);
  expect(second.items).toHaveLength(3);
  expect(second.nextCursor).toBeNull();
  expect([...idsOf(first), ...idsOf(second)]).toEqual(all.map((o) => o.id));
});

test('limit=4 over 6 orders: a full page, then a partial last page with nextCursor null', async () => {
  const first = expectOk((await ofCustomer({ limit: 4 })).res);
  expect(first.items).toHaveLength(4);
  const second = expectOk((await ofCustomer({ limit: 4, cursor: first.nextCursor })).res);
  expect(second).toMatchObject({ nextCursor: null });
  expect([...idsOf(first), ...idsOf(second)]).toEqual(all.map((o) => o.id));
});

test('the cursor keeps working with filters (status + limit=1)', async () => {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10; i++) {
    const body = expectOk((await ofCustomer({ status: 'fulfilling', limit: 1, ...(cursor ? { cursor } : {}) })).res);
    seen.push(...idsOf(body));
    if (!body.nextCursor) break;
    cursor = body.nextCursor;
  }
  expect(seen).toEqual(all.filter((o) => o.id !== cancelledId).map((o) => o.id));
});

test('a limit larger than the result returns everything and nextCursor null', async () => {
  const body = expectOk((await ofCustomer({ limit: 200 })).res);
  expect(body.items).toHaveLength(ids.length);
  expect(body.nextCursor).toBeNull();
});

test('platform and the owning merchant list the same orders; a tampered cursor is a 400', async () => {
  for (const key of [KEYS.platform, KEYS.merchant])
    expect(idsOf(expectOk((await ofCustomer({}, key)).res))).toEqual(all.map((o) => o.id));
  const { res } = await ofCustomer({ cursor: Buffer.from('garbage').toString('base64url') });
  expectProblem(res, 400, '/problems/validation-error', ['cursor']);
});

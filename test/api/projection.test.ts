// The read model: a late projection never overwrites newer state, yet its timeline entry is kept.
import { createProjectionActivities } from '../../activities/projection';
import { DEFAULT_MEMBERSHIP_TIERS } from '../../config';
import type { OrderState } from '../../domain';
import { auth, KEYS, orderBody, submitOrder, waitForBooked, useStack } from '../helpers/stack';

const stack = useStack();

/**
 * A submitted order once booked and quiet, so no projection of the order's own races the test's (the
 * booking's did once): its id, its read-model row and the state projected there.
 */
async function bookedOrder(body = orderBody()) {
  const { app, db } = stack;
  const { body: order } = await submitOrder(app, body);
  await waitForBooked(app, order.id);
  const row = await db.order.findUniqueOrThrow({ where: { id: order.id } });
  return { id: order.id as string, row, state: row.snapshot as unknown as OrderState };
}

test('two projections racing: the newer state wins, both timeline entries stay, a retry adds nothing', async () => {
  const { db, providers } = stack;
  const { id, row, state } = await bookedOrder();
  const { projectOrder } = createProjectionActivities({ db, providers });
  const at = new Date().toISOString();

  // An Update's handler and the main flow published at once; the newer one commits first.
  await projectOrder(
    { ...state, version: row.version + 2, status: 'partially_shipped' },
    { type: 'test.newer', actor: 'test', at },
  );
  await projectOrder(
    { ...state, version: row.version + 1, status: 'fulfilling' },
    { type: 'test.older', actor: 'test', at },
  );
  await projectOrder(
    { ...state, version: row.version + 1, status: 'fulfilling' },
    { type: 'test.older', actor: 'test', at },
  );

  const after = await db.order.findUniqueOrThrow({
    where: { id: id },
    include: { events: { orderBy: { seq: 'asc' } } },
  });
  expect(after).toMatchObject({ version: row.version + 2, status: 'partially_shipped' });
  expect(after.events.slice(-2).map((e) => [e.seq, e.type])).toEqual([
    [row.version + 1, 'test.older'],
    [row.version + 2, 'test.newer'],
  ]);
});

test('GET answers from the read model; support may ask the running workflow with ?live=true (decision 068)', async () => {
  const { app, db, providers } = stack;
  const { id, row, state } = await bookedOrder();
  // A state only the read model holds tells which one answered.
  await createProjectionActivities({ db, providers }).projectOrder(
    { ...state, version: row.version + 1, status: 'partially_shipped' },
    { type: 'test.read_model_only', actor: 'test', at: new Date().toISOString() },
  );
  const get = (url: string, key: string) => app.inject({ method: 'GET', url, headers: auth(key) });

  const read = await get(`/v1/orders/${id}`, KEYS.platform);
  expect(read.json()).toMatchObject({ status: 'partially_shipped', live: false });
  const live = await get(`/v1/orders/${id}?live=true`, KEYS.support);
  expect(live.json()).toMatchObject({ status: 'fulfilling', live: true });
  const refused = await get(`/v1/orders/${id}?live=true`, KEYS.platform);
  expect(refused.statusCode).toBe(403);
  expect((await get(`/v1/orders/${id}?live=maybe`, KEYS.support)).json()).toMatchObject({ status: 400 });
});

test('a projection writes only the lines whose counts changed: an unchanged line keeps its row version', async () => {
  const { db, providers } = stack;
  const { id, row, state } = await bookedOrder(
    orderBody({
      lines: [
        { sku: 'SKU-TEA-001', quantity: 1 },
        { sku: 'SKU-TEA-002', quantity: 1 },
      ],
    }),
  );
  const { projectOrder } = createProjectionActivities({ db, providers });
  const at = new Date().toISOString();
  // xmin: the transaction that wrote the row's current version (each write also marks the order for analytics).
  const lineVersions = () =>
    db.$queryRaw<Array<{ lineNo: number; xmin: string; shipped: number }>>`
      SELECT line_no AS "lineNo", xmin::text AS xmin, shipped FROM order_lines WHERE order_id = ${id} ORDER BY line_no`;
  const before = await lineVersions();

  await projectOrder({ ...state, version: row.version + 1 }, { type: 'test.nothing_shipped', actor: 'test', at });
  expect(await lineVersions()).toEqual(before);

  const [first, ...rest] = state.lines;
  const shipped = { ...state, version: row.version + 2, lines: [{ ...first, shipped: first.quantity }, ...rest] };
  await projectOrder(shipped, { type: 'test.first_line_shipped', actor: 'test', at });
  const after = await lineVersions();
  expect(after[0]).toMatchObject({ shipped: first.quantity });
  expect(after[0].xmin).not.toBe(before[0].xmin);
  expect(after.slice(1)).toEqual(before.slice(1));
  expect(after).toHaveLength(2);
});

test('a completed order: projections racing make one growth row and one tier bonus, and the newest paid wins', async () => {
  const { db, providers } = stack;
  const { id, row, state } = await bookedOrder();
  // A ladder whose first tier doubles points, so the very first completion earns a bonus.
  const [first, ...higher] = DEFAULT_MEMBERSHIP_TIERS;
  const membership = { tiers: [{ ...first, pointsMultiplier: 2 }, ...higher], earnRate: 1 };
  const { projectOrder } = createProjectionActivities({ db, providers, membership });
  const at = new Date().toISOString();
  const paid = (amount: number) => [{ ...state.payments[0], captured: amount, refunded: 0 }];
  const completed = (version: number, amount: number): OrderState => ({
    ...state,
    version,
    status: 'completed',
    completedAt: at,
    payments: paid(amount),
    points: { credited: 40, reversed: 0 },
  });

  const older = () => projectOrder(completed(row.version + 1, 500), { type: 'test.completed', actor: 'test', at });
  // The completion's projection, then a later step's racing three retries of it, then a late retry.
  await older();
  await Promise.all([
    projectOrder(completed(row.version + 2, 300), { type: 'test.refunded', actor: 'test', at }),
    older(),
    older(),
    older(),
  ]);
  await older();

  const growth = await db.membershipOrder.findMany({ where: { orderId: id } });
  expect(growth).toEqual([
    expect.objectContaining({ paid: 300, version: row.version + 2, basePoints: 40, bonusPoints: 40, tier: first.name }),
  ]);
  const bonus = await db.pointsEntry.findMany({ where: { orderId: id, id: { endsWith: 'tier-bonus' } } });
  expect(bonus.map((e) => e.delta)).toEqual([40]);
});

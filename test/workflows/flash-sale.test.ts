import { randomUUID } from 'node:crypto';
import { createSku, stockOf } from '../helpers/catalog';
import { orderBody, submitOrder, waitForOrders, useStack } from '../helpers/stack';

const stack = useStack();

test('200 simultaneous orders for 50 units: exactly 50 allocated, the rest cancelled and refunded', async () => {
  // Losers are asked what to do about the shortage; nobody answers, so the default action (cancel) applies.
  const { app, db } = stack;
  const sku = await createSku(db, { stock: { 'wh-shanghai': 20, 'wh-beijing': 30 } });
  // Like a platform under a flash sale, a submission answered 503 (overloaded) is sent again with its key
  // after the Retry-After the API asks for: resending at once only adds load where there is too much.
  const submit = async (
    body: Record<string, unknown>,
    key = randomUUID(),
  ): Promise<Awaited<ReturnType<typeof submitOrder>>> => {
    const sent = await submitOrder(app, body, key);
    if (sent.res.statusCode !== 503) return sent;
    await new Promise((r) => setTimeout(r, Number(sent.res.headers['retry-after']) * 1000));
    return submit(body, key);
  };
  const submissions = await Promise.all(
    Array.from({ length: 200 }, () =>
      submit(
        orderBody({
          customer: { id: `flash-${randomUUID()}`, name: '抢购者', phone: '+86 137 0000 0000' },
          lines: [{ sku, quantity: 1 }],
          policy: { stockDecisionSeconds: 1 },
        }),
      ),
    ),
  );
  expect(submissions.filter((s) => s.res.statusCode !== 201).map((s) => s.res.body)).toEqual([]);

  const ids = submissions.map((s) => s.body.id as string);
  const settled = await waitForOrders(app, db, ids, ['fulfilling', 'cancelled'], 180_000);
  const won = settled.filter((o) => o.status === 'fulfilling');
  const lost = settled.filter((o) => o.status === 'cancelled');
  expect(won).toHaveLength(50);
  expect(lost).toHaveLength(150);

  // Stock: every unit promised once, nothing negative, nothing left reserved.
  expect(await stockOf(db, sku)).toEqual({ onHand: 50, reserved: 0, allocated: 50 });
  const negative = await db.$queryRaw<
    Array<{ n: number }>
  >`SELECT count(*)::int AS n FROM inventory WHERE on_hand < 0 OR reserved < 0 OR allocated < 0 OR reserved + allocated > on_hand`;
  expect(negative[0].n).toBe(0);

  // Money: winners' cards stay authorized for the hand-over; every loser's authorization was voided
  // in full, so no loser was ever charged.
  for (const o of won)
    expect(o.payments[0]).toMatchObject({ status: 'authorized', amount: o.totals.total, refunded: 0 });
  for (const o of won) expect(o.payments[0].voided ?? 0).toBe(0);
  for (const o of lost) {
    expect(o.cancellation.reason).toMatch(/out of stock/);
    expect(o.payments[0]).toMatchObject({ status: 'voided', captured: 0, refunded: 0, voided: o.totals.total });
  }
  const releases = await db.refund.aggregate({
    where: { orderId: { in: lost.map((o) => o.id) }, kind: 'release', status: 'succeeded' },
    _sum: { amount: true },
    _count: true,
  });
  expect(releases._count).toBe(150);
  expect(releases._sum.amount).toBe(lost.reduce((t, o) => t + o.totals.total, 0));
  const gateway = await db.simulatorRecord.groupBy({
    by: ['status'],
    where: { orderId: { in: settled.map((o) => o.id) }, kind: 'authorization' },
    _count: true,
  });
  expect(Object.fromEntries(gateway.map((g) => [g.status, g._count]))).toEqual({ authorized: 50, voided: 150 });
}, 270_000);

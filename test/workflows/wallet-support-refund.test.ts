// A support refund of a paid wallet order goes through the order's mailbox (the main flow carries it
// out) and is confirmed by the provider's signed notification, like every wallet refund (docs/support.md).
import { send } from '../api/api-helpers';
import { createSku } from '../helpers/catalog';
import { KEYS, orderBody, submitOrder, waitForOrder, waitForStatus, useStack } from '../helpers/stack';

const stack = useStack();
const walletRef = async (orderId: string) =>
  (await stack.db.payment.findFirstOrThrow({ where: { orderId } })).providerRef!;

test('a support refund of a paid WeChat Pay order answers at once and is confirmed by notification', async () => {
  const { app, providers, db } = stack;
  const sku = await createSku(db, { stock: { 'wh-shanghai': 3 } });
  const { body } = await submitOrder(
    app,
    orderBody({ paymentMethod: 'wechat_pay', card: undefined, lines: [{ sku, quantity: 1 }] }),
  );
  await waitForStatus(app, body.id, 'awaiting_payment');
  await providers.wallets.wechat_pay.pay(await walletRef(body.id));
  await waitForStatus(app, body.id, 'fulfilling');

  const res = await send(app, 'POST', `/v1/ops/orders/${body.id}/refund`, KEYS.support, {
    reason: 'goodwill',
    amount: 100,
  });
  expect(res.statusCode).toBe(200);
  expect(JSON.parse(res.body).payments[0]).toMatchObject({
    method: 'wechat_pay',
    captured: body.totals.total,
    refunded: 100,
  });

  const confirmed = await waitForOrder(app, body.id, (o) =>
    o.payments[0].refunds?.some((r: { status: string }) => r.status === 'succeeded'),
  );
  expect(confirmed.payments[0].refunds).toEqual([
    expect.objectContaining({ kind: 'refund', amount: 100, status: 'succeeded' }),
  ]);
  expect(confirmed.timeline.filter((e: { type: string }) => e.type === 'payment.refunded')).toEqual([
    expect.objectContaining({ actor: 'support:dev support', detail: expect.objectContaining({ amount: 100 }) }),
  ]);
});

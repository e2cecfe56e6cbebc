import { createSku } from '../helpers/catalog';
import { KEYS, orderBody, submitOrder, waitForStatus, useStack } from '../helpers/stack';
import { send } from '../api/api-helpers';

const stack = useStack();
const walletRef = async (orderId: string) =>
  (await stack.db.payment.findFirstOrThrow({ where: { orderId } })).providerRef!;

test('support refund of a paid wechat order', async () => {
  const { app, providers, db } = stack;
  const sku = await createSku(db, { stock: { 'wh-shanghai': 3 } });
  const { body } = await submitOrder(
    app,
    orderBody({ paymentMethod: 'wechat_pay', card: undefined, lines: [{ sku, quantity: 1 }] }),
  );
  await waitForStatus(app, body.id, 'awaiting_payment');
  await providers.wallets.wechat_pay.pay(await walletRef(body.id));
  await waitForStatus(app, body.id, 'fulfilling');
  const t0 = Date.now();
  const res = await send(app, 'POST', `/v1/ops/orders/${body.id}/refund`, KEYS.support, {
    reason: 'goodwill',
    amount: 100,
  });
  console.log('REFUND', res.statusCode, Date.now() - t0, res.body.slice(0, 300));
}, 120_000);

// The wallet simulators' cashier pages: a demo customer follows Alipay's redirect URL (or WeChat Pay's
// QR reference) and pays; the simulated provider's signed notification then pays the order.
import { orderBody, submitOrder, useStack, waitForOrder } from '../helpers/stack';

const stack = useStack();

const awaitingPayment = async (paymentMethod: 'alipay' | 'wechat_pay') => {
  const { body } = await submitOrder(stack.app, orderBody({ paymentMethod, card: undefined }));
  return waitForOrder(stack.app, body.id, (o) => o.payments[0]?.action !== undefined);
};

test("Alipay's redirect URL opens a cashier page; paying there pays the order, and paying again changes nothing", async () => {
  const { app, db } = stack;
  const order = await awaitingPayment('alipay');
  const path = new URL(order.payments[0].action.url).pathname;
  expect(path).toMatch(/^\/sim\/alipay\/pay\//);

  const page = await app.inject({ method: 'GET', url: path });
  expect(page.statusCode).toBe(200);
  expect(page.headers['content-type']).toMatch(/text\/html/);
  expect(page.body).toContain(order.id);
  expect(page.body).toContain(`CNY ${(order.totals.total / 100).toFixed(2)}`);
  expect(page.body).toContain('<form method="post"');

  // The browser posts the form as text/plain.
  const pay = () => app.inject({ method: 'POST', url: path, headers: { 'content-type': 'text/plain' }, payload: '' });
  const paid = await pay();
  expect(paid.statusCode).toBe(200);
  expect(paid.body).toContain('answered HTTP 200');
  const done = await waitForOrder(app, order.id, (o) => o.payments[0].status === 'captured');
  expect(done.payments[0]).toMatchObject({ captured: order.totals.total });

  // A second click resends the same notification (same event id): recorded once, paid once.
  expect((await pay()).statusCode).toBe(200);
  expect(await db.webhookEvent.count({ where: { eventId: `evt_${done.payments[0].providerRef}_paid` } })).toBe(1);
  expect((await app.inject({ method: 'GET', url: path })).body).not.toContain('<form');
});

test('WeChat Pay has the same page under its QR reference; unknown references and wallets are refused', async () => {
  const { app } = stack;
  const order = await awaitingPayment('wechat_pay');
  const ref = new URL(order.payments[0].action.url).searchParams.get('pr');
  expect((await app.inject({ method: 'GET', url: `/sim/wechat_pay/pay/${ref}` })).body).toContain(order.id);
  // Another wallet's page does not show this payment.
  expect((await app.inject({ method: 'GET', url: `/sim/alipay/pay/${ref}` })).statusCode).toBe(404);
  expect((await app.inject({ method: 'GET', url: '/sim/paypal/pay/x' })).json()).toMatchObject({ status: 400 });
});

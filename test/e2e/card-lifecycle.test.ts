import { recordHistory } from '../helpers/fixtures';
import { auth, deliverAll, KEYS, orderBody, submitOrder, waitForStatus, useStack } from '../helpers/stack';

const stack = useStack();

test('a card order travels from submission to completed through HTTP alone', async () => {
  const { app } = stack;
  const { res, body } = await submitOrder(app, orderBody({ lines: [{ sku: 'SKU-TEA-001', quantity: 2 }] }));
  expect(res.statusCode).toBe(201);
  expect(body.status).toBe('submitted');
  expect(body.totals.total).toBe(2 * body.lines[0].unitPrice);

  await waitForStatus(app, body.id, 'fulfilling');
  const delivered = await deliverAll(app, body.id);
  expect(delivered.lines[0].ledger).toMatchObject({ ordered: 2, allocated: 2, shipped: 2, delivered: 2 });
  expect(delivered.pendingDecision.awaiting).toBe('receipt_confirmation');

  const confirm = await app.inject({
    method: 'POST',
    url: `/v1/orders/${body.id}/confirm-receipt`,
    headers: auth(KEYS.platform),
  });
  expect(confirm.statusCode).toBe(200);
  const done = await waitForStatus(app, body.id, 'completed');
  expect(done.payments).toEqual([
    expect.objectContaining({ status: 'captured', captured: body.totals.total, refunded: 0 }),
  ]);
  expect(done.timeline.map((e: any) => e.type)).toEqual(
    expect.arrayContaining([
      'order.submitted',
      'payment.captured',
      'merchant.accepted',
      'shipment.booked',
      'shipment.picked_up',
      'order.delivered',
      'receipt.confirmed',
    ]),
  );
  recordHistory(`order-${body.id}`, 'order-card-authorized-completed');
  recordHistory(`shipment-${body.id}-1`, 'shipment-delivered');
});

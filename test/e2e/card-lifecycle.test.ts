import { randomUUID } from 'node:crypto';
import { typedClient } from '../helpers/api-client';
import { CURRENT_LIFECYCLE, holdsParcels } from '../../contract';
import { recordHistory } from '../helpers/fixtures';
import { deliverAll, KEYS, orderBody, waitForStatus, useStack } from '../helpers/stack';

const stack = useStack();

// Submission, reading and confirmation go through the generated client (api-client/): its types are
// those of /openapi.json, so this test stops compiling when the contract drifts from what it uses.
test('a card order travels from submission to completed through HTTP alone', async () => {
  const { app } = stack;
  const platform = typedClient(app, KEYS.platform);
  const submitted = await platform.POST('/v1/orders', {
    params: { header: { 'Idempotency-Key': randomUUID() } },
    body: orderBody({ lines: [{ sku: 'SKU-TEA-001', quantity: 2 }] }) as ReturnType<typeof orderBody> & {
      paymentMethod: 'card';
    },
  });
  expect(submitted.response.status).toBe(201);
  const body = submitted.data!;
  expect(body.status).toBe('submitted');
  expect(body.totals.total).toBe(2 * body.lines[0].unitPrice);

  await waitForStatus(app, body.id, 'fulfilling');
  const delivered = await deliverAll(app, body.id);
  expect(delivered.lines[0].ledger).toMatchObject({ ordered: 2, allocated: 2, shipped: 2, delivered: 2 });
  expect(delivered.pendingDecision.awaiting).toBe('receipt_confirmation');

  const confirm = await platform.POST('/v1/orders/{id}/confirm-receipt', { params: { path: { id: body.id } } });
  expect(confirm.response.status).toBe(200);
  await waitForStatus(app, body.id, 'completed');
  const { data: done } = await typedClient(app, KEYS.support).GET('/v1/orders/{id}', {
    params: { path: { id: body.id } },
  });
  if (!done) throw new Error('the completed order could not be read');
  expect(done.payments).toEqual([
    expect.objectContaining({ status: 'captured', captured: body.totals.total, refunded: 0 }),
  ]);
  expect(done.timeline.map((e) => e.type)).toEqual(
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
  // Version 3 orders follow their parcel themselves: the order's history is the whole lifecycle's.
  if (!holdsParcels(CURRENT_LIFECYCLE)) recordHistory(`shipment-${body.id}-1`, 'shipment-delivered');
});

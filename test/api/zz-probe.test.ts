import { startStack, type Stack, submitOrder, orderBody, waitForOrder } from '../helpers/stack';
import { trackingReceived } from '../../workflows/definitions';
let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(() => stack.stop());
test('probe', async () => {
  const { body } = await submitOrder(stack.app, orderBody());
  const o = await waitForOrder(stack.app, body.id, (o) => o.shipments[0]?.trackingNumber);
  const h = stack.client.workflow.getHandle(o.shipments[0].shipmentId);
  await h.terminate('probe');
  try { await h.signal(trackingReceived, { eventId: 'x', type: 'in_transit', occurredAt: new Date().toISOString() }); } catch (e: any) { console.log(e.constructor.name, JSON.stringify(e.message), e.cause?.constructor?.name, e.cause?.message, e.cause?.code); }
});

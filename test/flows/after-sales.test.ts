// After-sales (docs/after-sales.md) on a delivered order: the order's request Update and its checks, the request's
// child workflow with the merchant's decision and inspection, the return parcel (a shipment child),
// and the refund the order books. Activities stubbed (test/helpers/flows.ts).
import {
  afterSalesState,
  afterSalesWorkflowId,
  confirmReceipt,
  decideAfterSales,
  inspectAfterSales,
  requestAfterSales,
  trackingReceived,
  type AfterSalesCommand,
} from '../../contract';
import { eventually, refusal, useFlowEnv, type Order } from '../helpers/flows';

const env = useFlowEnv();

const command = (o: Order, requestId: string, lines: AfterSalesCommand['lines']): AfterSalesCommand => ({
  requestId,
  type: 'return',
  lines,
  reason: 'defective',
  evidenceUrls: [],
  actor: 'customer',
});
const request = (o: Order, cmd: AfterSalesCommand) => o.handle.executeUpdate(requestAfterSales, { args: [cmd] });

describe('after-sales', () => {
  it('is refused (NotAllowedInState) before the order is delivered', async () => {
    const o = await env.startOrder();
    const s = await o.booked();
    const refused = await refusal(request(o, command(o, `rq-${o.id}`, [{ sku: o.skus[0], quantity: 1 }])));
    expect(refused).toMatchObject({
      http: 409,
      type: 'NotAllowedInState',
      message: 'order is fulfilling; after-sales requests start once it is delivered',
    });
    expect(await o.state()).toMatchObject({ version: s.version, afterSales: [] });
  });

  it('a return the merchant approves: the parcel comes back, is inspected, and the order books the refund and takes back points', async () => {
    const o = await env.startOrder({ lines: [{ quantity: 2, unitPrice: 10000 }] });
    await o.booked();
    await o.track(1, 'picked_up');
    await o.track(1, 'delivered');
    await o.until((s) => s.status === 'delivered', 'delivered');
    const completed = await o.handle.executeUpdate(confirmReceipt, { args: [{ actor: 'customer' }] });
    expect(completed.points).toEqual({ credited: 200, reversed: 0 });

    const requestId = `rq-${o.id}`;
    const sku = o.skus[0];
    expect(await refusal(request(o, command(o, requestId, [{ sku, quantity: 3 }])))).toMatchObject({
      http: 422,
      details: [{ field: 'lines.0.quantity', message: expect.stringContaining(`only 2 of ${sku} can be claimed`) }],
    });
    expect(await refusal(request(o, command(o, requestId, [{ sku: 'SKU-NOPE', quantity: 1 }])))).toMatchObject({
      http: 422,
      details: [{ field: 'lines.0.sku', message: 'SKU-NOPE is not a line of this order' }],
    });

    const summary = await request(o, command(o, requestId, [{ sku, quantity: 1 }]));
    expect(summary).toMatchObject({ requestId, status: 'awaiting_decision', reservedAmount: 10000, refunded: 0 });
    expect((await request(o, command(o, requestId, [{ sku, quantity: 1 }]))).replayed).toBe(true); // the same id again

    const rq = env.client.workflow.getHandle(afterSalesWorkflowId(requestId));
    const rqState = () => rq.query(afterSalesState);
    await eventually(
      rqState,
      (r) => r.pendingDecision?.awaiting === 'merchant_decision',
      'request awaiting the merchant',
    );
    expect(
      await refusal(rq.executeUpdate(decideAfterSales, { args: [{ decision: 'reject', actor: 'merchant-1' }] })),
    ).toMatchObject({ http: 422, details: [{ field: 'reason', message: 'is required to reject' }] });
    expect(
      await refusal(
        rq.executeUpdate(inspectAfterSales, { args: [{ lines: [{ sku, condition: 'ok' }], actor: 'merchant-1' }] }),
      ),
    ).toMatchObject({ http: 409, message: 'request is awaiting_decision, not awaiting inspection' });

    const approved = await rq.executeUpdate(decideAfterSales, { args: [{ decision: 'approve', actor: 'merchant-1' }] });
    expect(approved.status).toBe('awaiting_return');
    const parcel = approved.shipments[0];
    expect(parcel).toMatchObject({ direction: 'return', seq: 101, status: 'booked' });

    const ret = env.client.workflow.getHandle(parcel.shipmentId);
    const now = Date.now();
    await ret.signal(trackingReceived, {
      eventId: `${requestId}-1`,
      type: 'picked_up',
      occurredAt: new Date(now).toISOString(),
    });
    await ret.signal(trackingReceived, {
      eventId: `${requestId}-2`,
      type: 'delivered',
      occurredAt: new Date(now + 1).toISOString(),
    });
    await eventually(rqState, (r) => r.status === 'awaiting_inspection', 'request awaiting inspection');

    const inspected = await rq.executeUpdate(inspectAfterSales, {
      args: [{ lines: [{ sku, condition: 'ok' }], actor: 'merchant-1' }],
    });
    expect(inspected.status).not.toBe('awaiting_inspection');
    const done = await eventually(rqState, (r) => r.status === 'completed', 'request completed');
    expect(done.resolution).toMatchObject({
      outcome: 'refunded',
      refunded: 10000,
      refunds: [{ paymentId: `pay-${o.id}`, amount: 10000, method: 'card' }],
    });
    expect(env.stubs.callsFor(o.id, 'restockAfterSales')[0].args[0]).toMatchObject({
      requestId,
      lines: [expect.objectContaining({ sku, quantity: 1 })],
    });

    const s = await o.until(
      (x) => x.afterSales[0]?.status === 'completed' && x.points?.reversed !== 0,
      'the order booked the refund',
    );
    expect(s.status).toBe('completed');
    expect(s.afterSales[0]).toMatchObject({ requestId, refunded: 10000, reservedAmount: 0 });
    expect(s.payments[0]).toMatchObject({ captured: 20000, refunded: 10000 });
    expect(s.lines[0]).toMatchObject({ delivered: 2, returned: 1, refunded: 1 });
    expect(s.points).toEqual({ credited: 200, reversed: 100 });
    expect(env.stubs.callsFor(o.id, 'recordPoints').map((c) => c.args[0].delta)).toEqual([200, -100]);
    const timeline = env.stubs.timelineOf(o.id).map((e) => e.type);
    expect(timeline.slice(timeline.indexOf('receipt.confirmed'))).toEqual([
      'receipt.confirmed',
      'after_sales.requested',
      'after_sales.approved',
      'after_sales.return_picked_up',
      'after_sales.return_received',
      'after_sales.inspected',
      'after_sales.refunded',
      'points.reversed',
    ]);
  });
});

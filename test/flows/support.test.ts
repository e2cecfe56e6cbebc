// Support operations (issue 6): extending a window, refunding, cancelling even after hand-over,
// and how they interleave with the customer's cancellation. Activities stubbed (test/helpers/flows.ts).
import { WorkflowUpdateStage } from '@temporalio/client';
import { cancelAsSupport, cancelOrder, decideAsMerchant, extendWindow, refundAsSupport } from '../../contract';
import { pause, refusal, useFlowEnv, type Order } from '../helpers/flows';

const env = useFlowEnv();
const types = (orderId: string) => env.stubs.timelineOf(orderId).map((e) => e.type);
const SUPPORT = { actor: 'support-agent', reason: 'customer called' };
const extend = (o: Order, seconds: number) => o.handle.executeUpdate(extendWindow, { args: [{ ...SUPPORT, seconds }] });
const refund = (o: Order, amount: number, paymentId?: string) =>
  o.handle.executeUpdate(refundAsSupport, { args: [{ ...SUPPORT, amount, paymentId }] });

describe('extendWindow', () => {
  it("moves the merchant's deadline: the SLA does not end at the old one, and the merchant can still accept", async () => {
    const o = await env.startOrder({ policy: { autoAccept: false, merchantSlaSeconds: 3 } });
    const waiting = await o.until((s) => s.status === 'awaiting_merchant', 'awaiting the merchant');
    const before = Date.parse(waiting.pendingDecision!.until);

    const answer = await extend(o, 60);
    expect(Date.parse(answer.pendingDecision!.until) - before).toBe(60_000);
    expect(env.stubs.timelineOf(o.id).at(-1)).toMatchObject({
      type: 'window.extended',
      actor: 'support-agent',
      detail: { awaiting: 'merchant_decision', seconds: 60, reason: 'customer called' },
    });

    // Only a wait can show that nothing happens at the old deadline.
    await pause(Math.max(0, before - Date.now()) + 1500);
    const still = await o.state();
    expect(still.status).toBe('awaiting_merchant');
    expect(still.flags).toBeUndefined();

    expect(
      (await o.handle.executeUpdate(decideAsMerchant, { args: [{ decision: 'accept', actor: 'merchant-1' }] })).status,
    ).toBe('fulfilling');
  });

  it('is refused for the payment window, for a non-positive number of seconds, and when no window is open', async () => {
    const wallet = await env.startOrder({ paymentMethod: 'wechat_pay' });
    const w = await wallet.until((s) => s.status === 'awaiting_payment', 'awaiting payment');
    expect(await refusal(extend(wallet, 60))).toMatchObject({
      http: 409,
      message: "the payment window cannot be extended: the provider's payment action expires with it",
    });
    expect((await wallet.state()).pendingDecision).toEqual(w.pendingDecision);

    const merchant = await env.startOrder({ policy: { autoAccept: false } });
    const m = await merchant.until((s) => s.status === 'awaiting_merchant', 'awaiting the merchant');
    expect(await refusal(extend(merchant, 0))).toMatchObject({
      http: 422,
      message: 'seconds: must be a positive integer',
    });
    expect(await refusal(extend(merchant, 1.5))).toMatchObject({
      http: 422,
      message: 'seconds: must be a positive integer',
    });
    expect(await merchant.state()).toMatchObject({ version: m.version, pendingDecision: m.pendingDecision });

    const shipping = await env.startOrder();
    const s = await shipping.booked();
    expect(await refusal(extend(shipping, 60))).toMatchObject({
      http: 409,
      message: 'order is fulfilling: no window is open',
    });
    expect((await shipping.state()).version).toBe(s.version);
  });
});

describe('refundAsSupport', () => {
  it('refunds part of a captured payment; refusals (too much, not a positive integer, unknown payment) change nothing', async () => {
    const o = await env.startOrder({ lines: [{ quantity: 1, unitPrice: 10000 }] });
    await o.booked();
    await o.track(1, 'picked_up');
    await o.until((s) => s.payments[0]?.status === 'captured', 'captured at hand-over');

    const answer = await refund(o, 3000);
    expect(answer.payments[0]).toMatchObject({ captured: 10000, refunded: 3000 });
    expect(env.stubs.callsFor(o.id, 'refundPayment')[0].args[0]).toMatchObject({
      amount: 3000,
      idempotencyKey: `${o.id}:support-refund-1:1`,
      reason: 'customer called',
    });
    expect(env.stubs.timelineOf(o.id).at(-1)).toMatchObject({
      type: 'payment.refunded',
      actor: 'support-agent',
      detail: { amount: 3000 },
    });

    const version = (await o.state()).version;
    for (const [amount, paymentId] of [[7001], [100, 'pay-unknown']] as Array<[number, string?]>) {
      const refused = await refusal(refund(o, amount, paymentId));
      expect(refused).toMatchObject({ http: 409, message: expect.stringContaining(`has ${amount} left to refund`) });
    }
    for (const amount of [0, -5, 12.5])
      expect(await refusal(refund(o, amount))).toMatchObject({
        http: 422,
        message: 'amount: must be a positive integer (minor units)',
      });
    const after = await o.state();
    expect(after.version).toBe(version);
    expect(after.payments[0].refunded).toBe(3000);
    expect(env.stubs.callsFor(o.id, 'refundPayment')).toHaveLength(1);
  });

  it('a customer cancellation sent while a support refund is in flight waits for it: both are booked, in that order', async () => {
    const o = await env.startOrder({ policy: { autoAccept: false } });
    await o.until((s) => s.status === 'awaiting_merchant', 'awaiting the merchant');
    const gate = env.stubs.gate(o.id, 'refundPayment');
    const refunding = refund(o, 2500); // draws on the card authorization: a release
    await gate.reached;

    expect(await refusal(o.handle.executeUpdate(cancelAsSupport, { args: [SUPPORT] }))).toMatchObject({
      http: 409,
      message: 'a refund is in progress',
    });
    expect(await refusal(refund(o, 100))).toMatchObject({
      http: 409,
      message: 'a refund or a cancellation is already in progress',
    });
    // The customer's cancellation is admitted while the refund waits.
    const cancelling = await o.handle.startUpdate(cancelOrder, {
      args: [{ reason: 'changed my mind', actor: 'customer' }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    gate.release();

    const [refunded, cancelled] = await Promise.all([refunding, cancelling.result()]);
    expect(refunded.payments[0].voided).toBeGreaterThanOrEqual(2500);
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      cancellation: { reason: 'changed my mind', actor: 'customer' },
    });
    expect(cancelled.payments[0]).toMatchObject({ status: 'voided', voided: 10000 });
    expect(env.stubs.callsFor(o.id, 'refundPayment').map((c) => c.args[0].amount)).toEqual([2500, 7500]);
    expect(
      env.stubs
        .timelineOf(o.id)
        .slice(-3)
        .map((e) => [e.type, e.actor, (e.detail as { amount?: number })?.amount]),
    ).toEqual([
      ['payment.released', 'support-agent', 2500],
      ['payment.released', 'system', 7500],
      ['order.cancelled', 'customer', undefined],
    ]);
  });
});

describe('cancelAsSupport', () => {
  it('after hand-over: the parcel is recalled, and once back the stock returns, the capture is refunded and the order cancelled', async () => {
    const o = await env.startOrder();
    await o.booked();
    await o.track(1, 'picked_up');
    await o.until((s) => s.status === 'shipped', 'shipped');
    expect(
      await refusal(o.handle.executeUpdate(cancelOrder, { args: [{ reason: 'x', actor: 'customer' }] })),
    ).toMatchObject({ http: 409 });

    const cancelling = o.handle.executeUpdate(cancelAsSupport, { args: [SUPPORT] });
    await o.until(
      () => env.stubs.callsFor(o.id, 'requestReturnToSender').length === 1,
      'recall requested from the courier',
    );
    expect((await o.state()).status).toBe('shipped'); // still with the courier until it reports the return
    await o.track(1, 'returned_to_sender');
    const s = await cancelling;
    expect(s).toMatchObject({
      status: 'cancelled',
      cancellation: { reason: 'customer called', actor: 'support-agent' },
    });
    expect(s.shipments[0].status).toBe('returned_to_sender');
    expect(s.payments[0]).toMatchObject({ status: 'captured', captured: 10000, refunded: 10000 });
    expect(env.stubs.callsFor(o.id, 'restockReturned')).toHaveLength(1);
    expect(env.stubs.available(o.skus[0])).toBe(1);
    // As recorded today, the refund is published before the return that caused it (applyProgress settles first).
    expect(types(o.id).slice(-3)).toEqual(['payment.refunded', 'shipment.returned_to_sender', 'order.cancelled']);
  });

  it('is refused once goods were delivered (support refunds instead)', async () => {
    const o = await env.startOrder();
    await o.booked();
    await o.track(1, 'picked_up');
    await o.track(1, 'delivered');
    // `delivered` shows one publish before the receipt window opens; wait for both, so nothing moves after.
    const s = await o.until((x) => x.pendingDecision?.awaiting === 'receipt_confirmation', 'awaiting receipt');
    expect(s.status).toBe('delivered');
    expect(await refusal(o.handle.executeUpdate(cancelAsSupport, { args: [SUPPORT] }))).toMatchObject({
      http: 409,
      message: 'goods have been delivered: use after-sales or a refund instead',
    });
    expect((await o.state()).version).toBe(s.version);
    expect((await refund(o, 10000)).payments[0]).toMatchObject({ refunded: 10000 });
  });
});

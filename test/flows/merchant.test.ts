// The merchant's decision: cancellation while waiting, the SLA (flag, then cancel by default),
// rejection, and a cancellation racing an acceptance. Activities stubbed (test/helpers/flows.ts).
import type { OrderState } from '../../domain';
import { cancelOrder, decideAsMerchant } from '../../contract';
import { refusal, useFlowEnv, type Order } from '../helpers/flows';

const env = useFlowEnv();
const types = (orderId: string) => env.stubs.timelineOf(orderId).map((e) => e.type);
const awaitingMerchant = (o: Order) => o.until((s) => s.status === 'awaiting_merchant', 'awaiting the merchant');

/** The authorization was released in full, once, and the stock went back: the saga ran. */
function expectUnwound(o: Order, s: OrderState) {
  expect(s.payments[0]).toMatchObject({ status: 'voided', voided: o.input.totals.total, captured: 0 });
  const releases = env.stubs.callsFor(o.id, 'refundPayment').map((c) => c.args[0]);
  expect(releases.every((r) => r.paymentId === `pay-${o.id}`)).toBe(true);
  expect(releases.reduce((t, r) => t + r.amount, 0)).toBe(o.input.totals.total);
  const names = env.stubs.namesFor(o.id);
  expect(names.indexOf('refundPayment')).toBeLessThan(names.lastIndexOf('releaseStock'));
  expect(env.stubs.callsFor(o.id, 'releaseStock').at(-1)!.args[0]).toEqual({ orderId: o.id }); // the submission's compensation, last
  expect(env.stubs.available(o.skus[0])).toBe(o.input.lines[0].quantity);
}

describe('awaiting the merchant', () => {
  it('the customer cancels: a cancellation without reason is refused first and changes nothing', async () => {
    const o = await env.startOrder({ policy: { autoAccept: false } });
    const waiting = await awaitingMerchant(o);
    expect(waiting.pendingDecision).toMatchObject({ awaiting: 'merchant_decision', actor: 'merchant' });
    expect(env.stubs.callsFor(o.id, 'notify')[0].args[0]).toMatchObject({
      recipientType: 'merchant',
      kind: 'order.new',
    });

    const bad = await refusal(o.handle.executeUpdate(cancelOrder, { args: [{ reason: '  ', actor: 'customer' }] }));
    expect(bad).toMatchObject({ http: 422, message: 'reason: is required' });
    expect(await o.state()).toMatchObject({ status: 'awaiting_merchant', version: waiting.version });

    const answer = await o.handle.executeUpdate(cancelOrder, {
      args: [{ reason: 'found it cheaper', actor: 'customer' }],
    });
    expect(answer).toMatchObject({
      status: 'cancelled',
      cancellation: { reason: 'found it cheaper', actor: 'customer' },
    });
    expect(answer.pendingDecision).toBeUndefined();
    expectUnwound(o, answer);
    expect(types(o.id).slice(-3)).toEqual(['merchant.notified', 'payment.released', 'order.cancelled']);
  });

  it('the SLA ends unanswered: the order is flagged for support, then cancelled (the default action)', async () => {
    const o = await env.startOrder({ policy: { autoAccept: false, merchantSlaSeconds: 2 } });
    const s = await o.until((x) => x.status === 'cancelled', 'cancelled by the SLA');
    expect(s.flags).toEqual([
      expect.objectContaining({ kind: 'merchant_sla_expired', detail: expect.objectContaining({ action: 'cancel' }) }),
    ]);
    expect(s.cancellation).toEqual({ reason: 'merchant did not answer within the SLA', actor: 'system' });
    expectUnwound(o, s);
    expect(types(o.id).slice(-4)).toEqual([
      'merchant.notified',
      'flag.merchant_sla_expired',
      'payment.released',
      'order.cancelled',
    ]);
    expect(env.stubs.timelineOf(o.id).find((e) => e.type === 'merchant.notified')?.status).toBe('awaiting_merchant');
  });

  it("with merchantSlaAction 'flag' the order keeps waiting after the SLA, and a late acceptance still counts", async () => {
    const o = await env.startOrder({ policy: { autoAccept: false, merchantSlaSeconds: 1, merchantSlaAction: 'flag' } });
    const flagged = await o.until((x) => (x.flags ?? []).some((f) => f.kind === 'merchant_sla_expired'), 'flagged');
    expect(flagged.status).toBe('awaiting_merchant');
    const answer = await o.handle.executeUpdate(decideAsMerchant, {
      args: [{ decision: 'accept', actor: 'merchant-1' }],
    });
    expect(answer.status).toBe('fulfilling');
    expect(answer.pendingDecision).toBeUndefined();
    expect(env.stubs.timelineOf(o.id).find((e) => e.type === 'merchant.accepted')).toMatchObject({
      actor: 'merchant-1',
    });
    await o.booked();
    expect(env.stubs.callsFor(o.id, 'releaseStock')).toHaveLength(0);
  });

  it('the merchant rejects: a rejection without reason is refused; with one the order is rejected and unwound', async () => {
    const o = await env.startOrder({ policy: { autoAccept: false } });
    const waiting = await awaitingMerchant(o);
    const bad = await refusal(
      o.handle.executeUpdate(decideAsMerchant, { args: [{ decision: 'reject', actor: 'merchant-1' }] }),
    );
    expect(bad).toMatchObject({ http: 422, message: 'reason: is required to reject' });
    expect((await o.state()).version).toBe(waiting.version);

    const answer = await o.handle.executeUpdate(decideAsMerchant, {
      args: [{ decision: 'reject', reason: 'discontinued', actor: 'merchant-1' }],
    });
    expect(answer).toMatchObject({ status: 'rejected', rejection: { reason: 'merchant rejected: discontinued' } });
    expect(answer.cancellation).toBeUndefined();
    expectUnwound(o, answer);
    expect(env.stubs.timelineOf(o.id).at(-1)).toMatchObject({ type: 'order.rejected', actor: 'merchant-1' });
  });

  it('a merchant decision on an order that is not awaiting one is refused without a change', async () => {
    const o = await env.startOrder({ policy: { autoAccept: true } });
    const s = await o.booked();
    const bad = await refusal(
      o.handle.executeUpdate(decideAsMerchant, { args: [{ decision: 'accept', actor: 'merchant-1' }] }),
    );
    expect(bad).toMatchObject({ http: 409, message: 'order is fulfilling, not awaiting the merchant' });
    expect((await o.state()).version).toBe(s.version);
  });
});

describe('a cancellation racing the acceptance', () => {
  it('both sent at once: the cancellation wins, the saga runs exactly once, the acceptance never leaves the order fulfilling', async () => {
    // Several orders, so that both interleavings (same workflow task, or acceptance first) get a chance.
    const orders = await Promise.all([1, 2, 3].map(() => env.startOrder({ policy: { autoAccept: false } })));
    await Promise.all(orders.map(awaitingMerchant));
    const outcomes = await Promise.all(
      orders.map(async (o) => {
        const [cancel, accept] = await Promise.allSettled([
          o.handle.executeUpdate(cancelOrder, { args: [{ reason: 'too slow', actor: 'customer' }] }),
          o.handle.executeUpdate(decideAsMerchant, { args: [{ decision: 'accept', actor: 'merchant-1' }] }),
        ]);
        return { o, cancel, accept };
      }),
    );
    for (const { o, cancel, accept } of outcomes) {
      // The customer may cancel until hand-over, so the cancellation succeeds whatever came first.
      expect(cancel.status).toBe('fulfilled');
      const s = await o.until((x) => x.status === 'cancelled', 'cancelled');
      expect(s.cancellation).toEqual({ reason: 'too slow', actor: 'customer' });
      expect(types(o.id).filter((t) => t === 'order.cancelled')).toHaveLength(1);
      expectUnwound(o, s);
      // The acceptance either took effect first (its answer shows the order fulfilling, and the
      // booked shipment was then cancelled) or lost to the cancellation.
      if (types(o.id).includes('merchant.accepted')) {
        expect(types(o.id).indexOf('merchant.accepted')).toBeLessThan(types(o.id).indexOf('order.cancelled'));
        expect(s.shipments.every((x) => x.status === 'cancelled')).toBe(true);
        expect(env.stubs.callsFor(o.id, 'captureCard')).toHaveLength(0);
      } else {
        expect(s.shipments).toEqual([]);
        // An acceptance that lost is refused (409), never answered with the cancelled order.
        expect(accept.status).toBe('rejected');
      }
    }
  });
});

// Payment and risk windows of the order workflow, with every activity stubbed (test/helpers/flows.ts).
import { cancelOrder, reviewRisk, submitVerification } from '../../contract';
import { refusal, useFlowEnv } from '../helpers/flows';

const env = useFlowEnv();
const types = (orderId: string) => env.stubs.timelineOf(orderId).map((e) => e.type);

describe('wallet payment window', () => {
  it('ends unpaid: the order is cancelled and its compensations run in reverse (payment closed, then stock released)', async () => {
    const o = await env.startOrder({ paymentMethod: 'wechat_pay', policy: { paymentWindowSeconds: 2 } });
    await o.pay(o.input.totals.total - 1); // a notification for another amount does not pay the order

    const s = await o.until((x) => x.status === 'cancelled', 'cancelled by the window');
    expect(s.cancellation).toEqual({ reason: 'payment window ended without payment', actor: 'system' });
    expect(s.pendingDecision).toBeUndefined();
    expect(s.payments[0]).toMatchObject({ status: 'cancelled', captured: 0, refunded: 0 });
    expect(s.payments[0].action).toBeUndefined();

    const names = env.stubs.namesFor(o.id);
    expect(names).not.toContain('recordCapture');
    expect(names).not.toContain('refundPayment');
    // Registered submission → payment; unwound payment → submission.
    const close = names.indexOf('closeWalletPayment');
    expect(close).toBeGreaterThan(names.indexOf('createWalletPayment'));
    expect(close).toBeLessThan(names.indexOf('releaseStock'));
    expect(env.stubs.available(o.skus[0])).toBe(1);
    // The window as the order showed it meanwhile (read from its timeline: a 2 s window may be over before a poll sees it).
    const [, requested, cancelled] = env.stubs.timelineOf(o.id);
    expect(types(o.id)).toEqual(['order.submitted', 'payment.requested', 'order.cancelled']);
    expect(requested).toMatchObject({
      status: 'awaiting_payment',
      detail: { paymentId: `pay-${o.id}`, method: 'wechat_pay', action: { type: 'qr_code' } },
    });
    expect(cancelled).toMatchObject({ actor: 'system', status: 'cancelled' });
    expect(env.stubs.callsFor(o.id, 'reserveStock')).toHaveLength(1); // reserved at submission, released at the end
  });

  it('paid within the window: captured once (a duplicate notification changes nothing), then allocated and accepted', async () => {
    const o = await env.startOrder({ paymentMethod: 'alipay' });
    await o.until((s) => s.status === 'awaiting_payment', 'awaiting payment');
    await o.pay();
    await o.pay(); // the provider notifies twice
    const s = await o.until((x) => x.shipments.length === 1, 'fulfilling with a shipment');
    expect(s.payments[0]).toMatchObject({ status: 'captured', captured: o.input.totals.total });
    expect(s.pendingDecision).toBeUndefined();
    expect(env.stubs.callsFor(o.id, 'recordCapture')).toHaveLength(1);
    expect(env.stubs.callsFor(o.id, 'recordCapture')[0].args[0]).toMatchObject({
      paymentId: `pay-${o.id}`,
      amount: o.input.totals.total,
      method: 'alipay',
    });
    expect(types(o.id)).toEqual(expect.arrayContaining(['payment.requested', 'payment.captured', 'merchant.accepted']));
    expect(types(o.id).indexOf('payment.captured')).toBeLessThan(types(o.id).indexOf('merchant.accepted'));
  });

  it('cancelled while awaiting payment, but the customer paid just before the close: the capture is refunded in full', async () => {
    const o = await env.startOrder({ paymentMethod: 'wechat_pay', behaviour: { walletPaidBeforeClose: true } });
    await o.until((s) => s.status === 'awaiting_payment', 'awaiting payment');
    const answer = await o.handle.executeUpdate(cancelOrder, {
      args: [{ reason: 'changed my mind', actor: 'customer' }],
    });
    expect(answer.status).toBe('cancelled');
    expect(answer.cancellation).toEqual({ reason: 'changed my mind', actor: 'customer' });
    expect(answer.payments[0]).toMatchObject({
      status: 'captured',
      captured: o.input.totals.total,
      refunded: o.input.totals.total,
    });
    const refund = env.stubs.callsFor(o.id, 'refundPayment');
    expect(refund).toHaveLength(1);
    expect(refund[0].args[0]).toMatchObject({
      paymentId: `pay-${o.id}`,
      amount: o.input.totals.total,
      reason: 'changed my mind',
    });
    const names = env.stubs.namesFor(o.id);
    expect(names.indexOf('closeWalletPayment')).toBeLessThan(names.indexOf('refundPayment'));
    expect(names.indexOf('refundPayment')).toBeLessThan(names.indexOf('releaseStock'));
    expect(types(o.id).slice(-2)).toEqual(['payment.refunded', 'order.cancelled']);
  });
});

describe('card payment', () => {
  it('a declined card cancels the order at once (no retry, nothing to refund, stock released)', async () => {
    const o = await env.startOrder({ paymentMethod: 'card', behaviour: { cardDeclines: 'insufficient funds' } });
    const s = await o.until((x) => x.status === 'cancelled', 'cancelled');
    expect(s.cancellation).toEqual({ reason: 'payment declined: insufficient funds', actor: 'payment-provider' });
    expect(s.payments).toEqual([]);
    expect(env.stubs.callsFor(o.id, 'authorizeCard')).toHaveLength(1);
    expect(env.stubs.callsFor(o.id, 'refundPayment')).toHaveLength(0);
    expect(env.stubs.callsFor(o.id, 'releaseStock')).toHaveLength(1);
    expect(env.stubs.available(o.skus[0])).toBe(1);
  });
});

describe('risk holds', () => {
  it('a review holds the order: refusals leave it as it was, approval lets the payment run', async () => {
    const o = await env.startOrder({
      paymentMethod: 'card',
      policy: { autoAccept: false },
      behaviour: { risk: { decision: 'review', reason: 'large amount' } },
    });
    const held = await o.until((s) => s.status === 'under_review', 'under review');
    expect(held.pendingDecision).toMatchObject({ awaiting: 'risk_review', actor: 'support' });
    expect(held.risk).toEqual({ decision: 'review', reason: 'large amount' });

    const noReason = await refusal(
      o.handle.executeUpdate(reviewRisk, { args: [{ decision: 'approve', reason: ' ', actor: 'support' }] }),
    );
    expect(noReason).toMatchObject({ http: 422, type: 'InvalidRequest', message: 'reason is required' });
    const wrongHold = await refusal(
      o.handle.executeUpdate(submitVerification, { args: [{ result: 'passed', actor: 'platform' }] }),
    );
    expect(wrongHold).toMatchObject({
      http: 409,
      message: expect.stringContaining('not awaiting step-up verification'),
    });
    expect((await o.state()).version).toBe(held.version);
    expect(env.stubs.callsFor(o.id, 'authorizeCard')).toHaveLength(0);

    const answer = await o.handle.executeUpdate(reviewRisk, {
      args: [{ decision: 'approve', reason: 'known customer', actor: 'support-agent' }],
    });
    expect(answer.risk).toMatchObject({ outcome: 'approved', decidedBy: 'support-agent', note: 'known customer' });
    const s = await o.until((x) => x.status === 'awaiting_merchant', 'paid and awaiting the merchant');
    expect(s.payments[0]).toMatchObject({ status: 'authorized' });
    expect(types(o.id).slice(0, 4)).toEqual([
      'order.submitted',
      'risk.review_requested',
      'risk.approved',
      'payment.authorized',
    ]);
  });

  it('an unanswered step-up verification rejects the order when its window ends', async () => {
    const o = await env.startOrder({
      paymentMethod: 'card',
      policy: { riskVerificationWindowSeconds: 1 },
      behaviour: { risk: { decision: 'step_up', reason: 'new account' } },
    });
    const s = await o.until((x) => x.status === 'rejected', 'rejected');
    expect(s.risk).toMatchObject({ outcome: 'rejected', decidedBy: 'policy:risk-window' });
    expect(s.rejection?.reason).toMatch(/^step-up verification: no verification within the window/);
    expect(env.stubs.callsFor(o.id, 'authorizeCard')).toHaveLength(0);
    expect(env.stubs.callsFor(o.id, 'releaseStock')).toHaveLength(1);
    expect(types(o.id)).toEqual(['order.submitted', 'risk.verification_requested', 'order.rejected']);
  });
});

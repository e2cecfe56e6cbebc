// docs/risk.md: risk control on the real stack: every outcome (approve, review, step-up, reject)
// with its window, frozen accounts, the blocklist and per-phone velocity, all through the HTTP API.
import { randomUUID } from 'node:crypto';
import { expectOk, expectProblem, send } from '../api/api-helpers';
import { createRiskActivities } from '../../activities/risk';
import { resolvePolicy } from '../../domain';
import { createMerchant, createSku, providerBooks, stockOf } from '../helpers/catalog';
import { KEYS, orderBody, submitOrder, useStack, waitForOrder, waitForStatus } from '../helpers/stack';

const stack = useStack();

/** A merchant of its own whose policy sends orders of `price` to the given hold, and one SKU of it. */
async function setup(policy: Record<string, unknown>, price = 1000) {
  const merchantId = await createMerchant(stack.db, policy as never);
  const sku = await createSku(stack.db, { merchantId, price, stock: { 'wh-shanghai': 5 } });
  return { merchantId, sku };
}
const REVIEW = { riskReviewAmount: 500 }; // every order above 5.00 CNY is reviewed
const STEP_UP = { riskNewAccountAmount: 500 }; // a new account above 5.00 CNY must verify

const review = (id: string, body: unknown, key: string = KEYS.support) =>
  send(stack.app, 'POST', `/v1/ops/orders/${id}/review`, key, body);
const verify = (id: string, body: unknown, key: string = KEYS.platform) =>
  send(stack.app, 'POST', `/v1/orders/${id}/verification`, key, body);
const auditOf = async (orderId: string) =>
  expectOk(await send(stack.app, 'GET', `/v1/ops/audit?orderId=${orderId}`, KEYS.support)).items;

describe('review by support', () => {
  test('an order above the review amount waits under_review; support approves with a reason; it is then paid and fulfilled', async () => {
    const { sku } = await setup(REVIEW);
    const { body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 2 }] }));
    const held = await waitForStatus(stack.app, body.id, 'under_review');
    expect(held.pendingDecision).toMatchObject({
      awaiting: 'risk_review',
      actor: 'support',
      until: expect.any(String),
    });
    expect(held.risk).toMatchObject({ decision: 'review', reason: expect.stringMatching(/above 500/) });
    expect(held.payments).toEqual([]);
    expect(await stockOf(stack.db, sku)).toMatchObject({ reserved: 2 });

    const approved = expectOk(await review(body.id, { decision: 'approve', reason: 'known corporate buyer' }));
    expect(approved.risk).toMatchObject({
      outcome: 'approved',
      decidedBy: 'support:dev support',
      note: 'known corporate buyer',
    });
    const fulfilling = await waitForStatus(stack.app, body.id, 'fulfilling');
    expect(fulfilling.payments[0]).toMatchObject({ status: 'authorized', amount: body.totals.total });
    expect(fulfilling.timeline.map((e: any) => e.type)).toEqual(
      expect.arrayContaining(['risk.review_requested', 'risk.approved', 'payment.authorized']),
    );
    expect(await auditOf(body.id)).toEqual([
      expect.objectContaining({
        operation: 'order.review',
        outcome: 'succeeded',
        reason: 'known corporate buyer',
        details: { decision: 'approve' },
      }),
    ]);
  });

  test('support rejects: the order is rejected with the reason, nothing is charged and the stock is released', async () => {
    const { sku } = await setup(REVIEW);
    const { body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    await waitForStatus(stack.app, body.id, 'under_review');
    const answer = expectOk(await review(body.id, { decision: 'reject', reason: 'stolen card pattern' }));
    expect(answer.status).toBe('rejected');
    const rejected = await waitForStatus(stack.app, body.id, 'rejected');
    expect(rejected.rejection.reason).toBe('risk review: stolen card pattern');
    expect(rejected.payments).toEqual([]);
    expect((await providerBooks(stack.db, body.id)).rows).toEqual([]);
    expect(await stockOf(stack.db, sku)).toEqual({ onHand: 5, reserved: 0, allocated: 0 });
  });

  test('no review within the SLA applies the default: reject', async () => {
    const { sku } = await setup(REVIEW);
    const { body } = await submitOrder(
      stack.app,
      orderBody({ lines: [{ sku, quantity: 1 }], policy: { riskReviewSlaSeconds: 1 } }),
    );
    const rejected = await waitForStatus(stack.app, body.id, 'rejected');
    expect(rejected.rejection.reason).toMatch(/no review within the SLA \(default: reject\)/);
    expect(rejected.risk).toMatchObject({ outcome: 'rejected', decidedBy: 'policy:risk-window' });
    expect(await stockOf(stack.db, sku)).toEqual({ onHand: 5, reserved: 0, allocated: 0 });
  });

  test("a merchant whose expired reviews approve: the order goes on after the merchant's SLA, which the order cannot shorten", async () => {
    const { sku } = await setup({ ...REVIEW, riskReviewExpiryAction: 'approve', riskReviewSlaSeconds: 2 });
    const { body } = await submitOrder(
      stack.app,
      orderBody({ lines: [{ sku, quantity: 1 }], policy: { riskReviewSlaSeconds: 1 } }),
    );
    const held = await waitForStatus(stack.app, body.id, 'under_review');
    const window = Date.parse(held.pendingDecision.until) - Date.parse(held.submittedAt);
    expect(window).toBeGreaterThanOrEqual(2000); // the merchant's 2 s, not the order's 1 s
    const fulfilling = await waitForStatus(stack.app, body.id, 'fulfilling');
    expect(fulfilling.risk).toMatchObject({ outcome: 'approved', decidedBy: 'policy:risk-window' });
  });

  test('refusals: wrong state 409, missing reason 400, unknown order 404, wrong role 403 — each changes nothing', async () => {
    const { sku } = await setup(STEP_UP);
    const { body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    await waitForStatus(stack.app, body.id, 'under_review'); // awaiting verification, not a review
    expectProblem(await review(body.id, { decision: 'approve', reason: 'ok' }), 409, '/problems/not-allowed-in-state');
    expectProblem(await review(body.id, { decision: 'approve' }), 400, '/problems/validation-error', ['reason']);
    expectProblem(await review(body.id, { decision: 'maybe', reason: 'x' }), 400, '/problems/validation-error', [
      'decision',
    ]);
    expectProblem(await review('ord_missing', { decision: 'approve', reason: 'x' }), 404, '/problems/not-found');
    expectProblem(
      await review(body.id, { decision: 'approve', reason: 'x' }, KEYS.platform),
      403,
      '/problems/forbidden',
    );
    const still = await waitForOrder(stack.app, body.id, (o) => o.status === 'under_review');
    expect(still.pendingDecision.awaiting).toBe('verification');
    expect((await auditOf(body.id)).map((e: any) => [e.outcome, e.statusCode])).toEqual([['refused', 409]]);
  });
});

describe('step-up verification', () => {
  test('a new account ordering above the amount must verify; passed → payment and fulfilment', async () => {
    const { sku } = await setup(STEP_UP);
    const { body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    const held = await waitForStatus(stack.app, body.id, 'under_review');
    expect(held.pendingDecision).toMatchObject({ awaiting: 'verification', actor: 'platform' });
    expect(held.risk).toMatchObject({ decision: 'step_up', reason: expect.stringMatching(/new account/) });
    const verified = expectOk(await verify(body.id, { result: 'passed', method: 'sms', reference: 'sms-123' }));
    expect(verified.risk).toMatchObject({ outcome: 'approved', note: 'verification passed (sms sms-123)' });
    await waitForStatus(stack.app, body.id, 'fulfilling');
  });

  test('failed verification rejects the order', async () => {
    const { sku } = await setup(STEP_UP);
    const { body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    await waitForStatus(stack.app, body.id, 'under_review');
    expectOk(await verify(body.id, { result: 'failed', method: 'face' }));
    const rejected = await waitForStatus(stack.app, body.id, 'rejected');
    expect(rejected.rejection.reason).toBe('step-up verification: verification failed (face)');
    expect(await stockOf(stack.db, sku)).toEqual({ onHand: 5, reserved: 0, allocated: 0 });
  });

  test('no verification within the window rejects the order; a late result is 409', async () => {
    const { sku } = await setup(STEP_UP);
    const { body } = await submitOrder(
      stack.app,
      orderBody({ lines: [{ sku, quantity: 1 }], policy: { riskVerificationWindowSeconds: 1 } }),
    );
    const rejected = await waitForStatus(stack.app, body.id, 'rejected');
    expect(rejected.rejection.reason).toMatch(/no verification within the window/);
    expectProblem(await verify(body.id, { result: 'passed' }), 409, '/problems/not-allowed-in-state');
  });

  test('verification refusals: not awaiting it 409, bad input 400, merchant 403, support 403', async () => {
    const { sku } = await setup(REVIEW);
    const { body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    await waitForStatus(stack.app, body.id, 'under_review'); // a review, not a verification
    expectProblem(await verify(body.id, { result: 'passed' }), 409, '/problems/not-allowed-in-state');
    expectProblem(await verify(body.id, { result: 'ok' }), 400, '/problems/validation-error', ['result']);
    expectProblem(await verify(body.id, { result: 'passed' }, KEYS.merchant), 403, '/problems/forbidden');
    expectProblem(await verify(body.id, { result: 'passed' }, KEYS.support), 403, '/problems/forbidden');
    expect((await waitForOrder(stack.app, body.id, (o) => o.status === 'under_review')).pendingDecision.awaiting).toBe(
      'risk_review',
    );
  });

  test('the customer may cancel while the order is held; the stock is released', async () => {
    const { sku } = await setup(STEP_UP);
    const { body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 2 }] }));
    await waitForStatus(stack.app, body.id, 'under_review');
    const cancelled = expectOk(
      await send(stack.app, 'POST', `/v1/orders/${body.id}/cancel`, KEYS.platform, { reason: 'changed my mind' }),
    );
    expect(cancelled.status).toBe('cancelled');
    expect(await stockOf(stack.db, sku)).toEqual({ onHand: 5, reserved: 0, allocated: 0 });
  });
});

describe('frozen accounts', () => {
  test('support freezes an account: its new orders are rejected with a clear reason; unfreezing restores it; both audited', async () => {
    const customer = { id: `frz-${randomUUID().slice(0, 8)}`, name: '赵六', phone: '+86 137 0000 0000' };
    const first = await submitOrder(stack.app, orderBody({ customer }));
    await waitForStatus(stack.app, first.body.id, 'fulfilling');

    const frozen = expectOk(
      await send(stack.app, 'POST', `/v1/ops/customers/${customer.id}/freeze`, KEYS.support, {
        reason: 'chargeback fraud ring',
      }),
    );
    expect(frozen).toMatchObject({
      customerId: customer.id,
      frozen: true,
      reason: 'chargeback fraud ring',
      by: 'support:dev support',
    });
    const second = await submitOrder(stack.app, orderBody({ customer }));
    const rejected = await waitForStatus(stack.app, second.body.id, 'rejected');
    expect(rejected.rejection.reason).toBe('the customer account is frozen by support: chargeback fraud ring');
    expect(rejected.payments).toEqual([]);
    // The order that was already running is not affected.
    expect((await waitForOrder(stack.app, first.body.id, () => true)).status).toBe('fulfilling');

    expectOk(
      await send(stack.app, 'POST', `/v1/ops/customers/${customer.id}/unfreeze`, KEYS.support, {
        reason: 'cleared by investigation',
      }),
    );
    const third = await submitOrder(stack.app, orderBody({ customer }));
    await waitForStatus(stack.app, third.body.id, 'fulfilling');

    const audit = expectOk(await send(stack.app, 'GET', '/v1/ops/audit?limit=200', KEYS.support)).items.filter(
      (e: any) => e.details?.customerId === customer.id,
    );
    expect(audit.map((e: any) => [e.operation, e.reason, e.outcome])).toEqual([
      ['customer.unfreeze', 'cleared by investigation', 'succeeded'],
      ['customer.freeze', 'chargeback fraud ring', 'succeeded'],
    ]);
  });

  test('freeze refusals: unknown customer 404, no reason 400, non-support 403', async () => {
    expectProblem(
      await send(stack.app, 'POST', '/v1/ops/customers/nobody-here/freeze', KEYS.support, { reason: 'x' }),
      404,
      '/problems/not-found',
    );
    expectProblem(
      await send(stack.app, 'POST', '/v1/ops/customers/c-1/freeze', KEYS.support, {}),
      400,
      '/problems/validation-error',
      ['reason'],
    );
    for (const key of [KEYS.platform, KEYS.merchant, KEYS.logistics])
      expectProblem(
        await send(stack.app, 'POST', '/v1/ops/customers/c-1/freeze', key, { reason: 'x' }),
        403,
        '/problems/forbidden',
      );
  });
});

describe('blocklist and velocity', () => {
  test('a blocklisted phone number rejects the order, whatever its formatting; only a fingerprint is stored', async () => {
    const phone = `+86 135 ${String(Date.now()).slice(-8)}`;
    const added = expectOk(
      await send(stack.app, 'POST', '/v1/ops/risk/blocklist', KEYS.support, {
        kind: 'phone',
        value: phone,
        reason: 'reported scam',
      }),
      201,
    );
    expect(added.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await stack.db.riskBlocklistEntry.findMany())).not.toContain(phone.replace(/\D/g, ''));
    const spaced = phone.replace(/ /g, '-');
    const { body } = await submitOrder(
      stack.app,
      orderBody({ customer: { id: `bl-${randomUUID().slice(0, 8)}`, name: '钱七', phone: spaced } }),
    );
    const rejected = await waitForStatus(stack.app, body.id, 'rejected');
    expect(rejected.rejection.reason).toBe("the order's phone is blocklisted: reported scam");
  });

  test('a blocklisted shipping address rejects orders from any customer', async () => {
    const line1 = `黑名单路 ${randomUUID().slice(0, 6)} 号`;
    const address = { province: '上海', city: '上海市', district: '浦东新区', line1 };
    expectOk(
      await send(stack.app, 'POST', '/v1/ops/risk/blocklist', KEYS.support, {
        kind: 'address',
        value: address,
        reason: 'drop address',
      }),
      201,
    );
    const body = orderBody();
    const { body: order } = await submitOrder(stack.app, {
      ...body,
      shippingAddress: { ...body.shippingAddress, line1: ` ${line1.toUpperCase()} ` },
    });
    expect((await waitForStatus(stack.app, order.id, 'rejected')).rejection.reason).toBe(
      "the order's address is blocklisted: drop address",
    );
  });

  test('blocklist input is validated per kind', async () => {
    expectProblem(
      await send(stack.app, 'POST', '/v1/ops/risk/blocklist', KEYS.support, {
        kind: 'phone',
        value: 'abc',
        reason: 'x',
      }),
      400,
      '/problems/validation-error',
      ['value'],
    );
    expectProblem(
      await send(stack.app, 'POST', '/v1/ops/risk/blocklist', KEYS.support, {
        kind: 'email',
        value: 'a@b.c',
        reason: 'x',
      }),
      400,
      '/problems/validation-error',
    );
  });

  test('per-phone velocity: different customers sharing a phone beyond the limit are rejected', async () => {
    const { sku } = await setup({ riskPhoneVelocityLimit: 2, riskVelocityWindowSeconds: 3600 });
    const phone = `+86 136 ${String(Date.now()).slice(-8)}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { body } = await submitOrder(
        stack.app,
        orderBody({
          customer: { id: `vel-${randomUUID().slice(0, 8)}`, name: '孙八', phone },
          lines: [{ sku, quantity: 1 }],
        }),
      );
      ids.push(body.id);
      await waitForOrder(stack.app, body.id, (o) => !['submitted'].includes(o.status));
    }
    expect((await waitForStatus(stack.app, ids[2], 'rejected')).rejection.reason).toMatch(
      /3 orders to the same phone number within 3600s \(limit 2\)/,
    );
    expect((await waitForOrder(stack.app, ids[1], () => true)).status).not.toBe('rejected');
  });

  test('a retried assessment (same order) counts its own signals once', async () => {
    const { assessOrderRisk } = createRiskActivities({ db: stack.db } as never);
    const phone = `+86 133 ${String(Date.now()).slice(-8)}`;
    const policy = resolvePolicy({ riskPhoneVelocityLimit: 1 });
    const req = (orderId: string) => ({
      orderId,
      customerId: 'c-none',
      total: 100,
      submittedAt: new Date().toISOString(),
      policy,
      phone,
    });
    expect(await assessOrderRisk(req('ord_retry_a'))).toEqual({ decision: 'approve' });
    expect(await assessOrderRisk(req('ord_retry_a'))).toEqual({ decision: 'approve' }); // the retry: still 1 order
    expect(await assessOrderRisk(req('ord_retry_b'))).toMatchObject({
      decision: 'reject',
      reason: expect.stringMatching(/2 orders to the same phone/),
    });
  });
});

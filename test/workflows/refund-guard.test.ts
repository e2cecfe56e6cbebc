// docs/payments.md: money invariants at the database guard: refund decisions are reserved against the capture
// under a row lock, so concurrent refunds (random amounts, repeated idempotency keys, racing each
// other) never refund more than was captured, never twice for one key, and our books agree with the
// provider's. Property-based (fast-check) over the real refundPayment activity, PostgreSQL and the
// card simulator.
import fc from 'fast-check';
import { createActivities } from '../../activities';
import { providerBooks } from '../helpers/catalog';
import { orderBody, submitOrder, useStack, waitForOrder } from '../helpers/stack';

const stack = useStack();

/** The activities, and one real order to hang the test's payments on (its own payment is left alone). */
async function paymentsHost() {
  const { body } = await submitOrder(stack.app, orderBody());
  await waitForOrder(stack.app, body.id, (o) => o.status === 'fulfilling');
  return { activities: createActivities({ db: stack.db, providers: stack.providers }), orderId: body.id as string };
}

test("racing refunds: refunded ≤ captured, one refund per key, our books = the provider's", async () => {
  const { activities, orderId } = await paymentsHost();
  let run = 0;

  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 50_000 }),
      fc.array(fc.record({ amount: fc.integer({ min: -5, max: 30_000 }), key: fc.integer({ min: 0, max: 5 }) }), {
        minLength: 1,
        maxLength: 8,
      }),
      async (captured, refunds) => {
        run += 1;
        const paymentId = `pay-${orderId}-prop-${run}`;
        await activities.chargeCard({
          orderId,
          paymentId,
          idempotencyKey: `${orderId}:prop-payment:${run}`,
          amount: captured,
          currency: 'CNY',
          token: 'tok_visa',
        });

        // All at once: every refund races every other; equal `key`s are retries of one business refund.
        const results = await Promise.all(
          refunds.map((r) =>
            // Retried on failure as Temporal retries the activity: a request that loses the race for its
            // key, or whose gateway call fails, is asked again and carries out its key's decision.
            retried(() =>
              activities.refundPayment({
                orderId,
                paymentId,
                idempotencyKey: `${orderId}:prop-refund-${run}:${r.key}`,
                amount: r.amount,
                reason: 'property test',
              }),
            ).then(
              (result) => ({ ...r, result }),
              (error: Error) => ({ ...r, result: undefined, error: error.message }),
            ),
          ),
        );

        const payment = await stack.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        const decisions = await stack.db.refund.findMany({ where: { paymentId } });
        const decided = decisions.reduce((t, d) => t + d.amount, 0);
        // refunded ≤ captured, and the payment's running total is exactly the sum of its decisions.
        expect(payment.capturedAmount).toBe(captured);
        expect(payment.refundedAmount).toBeLessThanOrEqual(payment.capturedAmount);
        expect(payment.refundedAmount).toBe(decided);
        // One decision per business key, never a non-positive amount.
        expect(new Set(decisions.map((d) => d.id)).size).toBe(decisions.length);
        expect(decisions.length).toBeLessThanOrEqual(new Set(refunds.map((r) => r.key)).size);
        for (const d of decisions) expect(d.amount).toBeGreaterThan(0);
        // Every decision was carried out once at the provider, for the same amount.
        expect(decisions.every((d) => d.status === 'succeeded')).toBe(true);
        const books = (await providerBooks(stack.db, orderId)).rows.filter(
          (r) => r.kind === 'refund' && decisions.some((d) => d.id === r.idempotencyKey),
        );
        expect(books.map((b) => b.amount).sort()).toEqual(decisions.map((d) => d.amount).sort());
        // An answer is refused (null) or its key's decision carried out: a retry moves what was
        // decided, whatever it asks, and a key nobody decided never moved money.
        for (const r of results) {
          expect(r).not.toHaveProperty('error');
          if (!r.result) continue;
          const decision = decisions.find((d) => d.id === `${orderId}:prop-refund-${run}:${r.key}`);
          expect(r.result).toEqual({ providerRef: decision?.providerRef, status: 'succeeded' });
        }
        if (refunds.some((r) => r.amount > 0 && r.amount <= captured)) expect(decisions.length).toBeGreaterThan(0);
      },
    ),
    { numRuns: 25 },
  );
}, 120_000);

test('releases, refunds and the capture racing on a card authorization: released + captured = authorized, refunded ≤ captured, the gateway agrees', async () => {
  const { activities, orderId } = await paymentsHost();
  let run = 0;

  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 50_000 }),
      fc.array(fc.record({ amount: fc.integer({ min: 1, max: 30_000 }), key: fc.integer({ min: 0, max: 5 }) }), {
        minLength: 1,
        maxLength: 8,
      }),
      fc.nat(8),
      async (authorized, giveBacks, captureAt) => {
        run += 1;
        const paymentId = `pay-${orderId}-auth-${run}`;
        await activities.authorizeCard({
          orderId,
          paymentId,
          idempotencyKey: `${orderId}:auth-payment:${run}`,
          amount: authorized,
          currency: 'CNY',
          token: 'tok_visa',
        });
        // Retried on failure as Temporal retries the activity (a refund decided while the capture is in
        // flight waits for it at the gateway).
        const calls: Array<() => Promise<unknown>> = giveBacks.map(
          (g) => () =>
            retried(() =>
              activities.refundPayment({
                orderId,
                paymentId,
                idempotencyKey: `${orderId}:auth-refund-${run}:${g.key}`,
                amount: g.amount,
                reason: 'property test',
              }),
            ),
        );
        // The hand-over's capture lands somewhere among them; all run at once.
        calls.splice(Math.min(captureAt, calls.length), 0, () =>
          activities.captureCard({ orderId, paymentId, idempotencyKey: `${orderId}:auth-capture:${run}` }),
        );
        await Promise.all(calls.map((call) => call()));

        const payment = await stack.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        const decisions = await stack.db.refund.findMany({ where: { paymentId } });
        const sum = (kind: string) => decisions.filter((d) => d.kind === kind).reduce((t, d) => t + d.amount, 0);
        expect(payment.voidedAmount).toBe(sum('release'));
        expect(payment.refundedAmount).toBe(sum('refund'));
        expect(payment.refundedAmount).toBeLessThanOrEqual(payment.capturedAmount);
        if (payment.status === 'captured') expect(payment.capturedAmount + payment.voidedAmount).toBe(authorized);
        else expect(payment).toMatchObject({ status: 'voided', capturedAmount: 0, voidedAmount: authorized });

        const books = (await providerBooks(stack.db, orderId)).rows;
        const gateway = books.find(
          (r) => r.kind === 'authorization' && (r.response as { paymentId: string }).paymentId === paymentId,
        )!;
        expect(gateway.status).toBe(payment.status);
        if (payment.status === 'captured')
          expect((gateway.response as { capturedAmount: number }).capturedAmount).toBe(payment.capturedAmount);
        const theirRefunds = books.filter(
          (r) => r.kind === 'refund' && decisions.some((d) => d.id === r.idempotencyKey),
        );
        expect(theirRefunds.map((r) => r.amount).sort()).toEqual(
          decisions
            .filter((d) => d.kind === 'refund')
            .map((d) => d.amount)
            .sort(),
        );
      },
    ),
    { numRuns: 20 },
  );
}, 120_000);

test('a capture retried while in flight and after it landed takes the money once, at the amount fixed when it began', async () => {
  const { activities, orderId } = await paymentsHost();
  const paymentId = `pay-${orderId}-capture-retries`;
  await activities.authorizeCard({
    orderId,
    paymentId,
    idempotencyKey: `${orderId}:capture-retries-payment`,
    amount: 10_000,
    currency: 'CNY',
    token: 'tok_visa',
  });
  const giveBack = (key: string, amount: number) =>
    activities.refundPayment({
      orderId,
      paymentId,
      idempotencyKey: `${orderId}:capture-retries-${key}`,
      amount,
      reason: 'test',
    });
  await giveBack('release', 2_000);
  const capture = () =>
    activities.captureCard({ orderId, paymentId, idempotencyKey: `${orderId}:capture-retries-capture` });
  // Two attempts at once (a retry after a lost answer), then one more once the capture landed.
  expect(await Promise.all([capture(), capture()])).toEqual([{ captured: 8_000 }, { captured: 8_000 }]);
  expect(await capture()).toEqual({ captured: 8_000 });

  expect(await stack.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).toMatchObject({
    status: 'captured',
    capturedAmount: 8_000,
    voidedAmount: 2_000,
  });
  const gateway = (await providerBooks(stack.db, orderId)).rows.filter(
    (r) => r.kind === 'authorization' && (r.response as { paymentId: string }).paymentId === paymentId,
  );
  expect(gateway).toHaveLength(1);
  expect(gateway[0]).toMatchObject({
    status: 'captured',
    response: expect.objectContaining({ capturedAmount: 8_000 }),
  });
  // A refund after it draws on the capture.
  expect(await giveBack('refund', 1_000)).toMatchObject({ status: 'succeeded' });
  expect(await stack.db.refund.findUniqueOrThrow({ where: { id: `${orderId}:capture-retries-refund` } })).toMatchObject(
    {
      kind: 'refund',
    },
  );
});

async function retried<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt === 20) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt)); // backoff, like the activity's retry policy
    }
  }
}

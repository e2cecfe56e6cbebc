// SPEC §5 money invariants over random sequences (fast-check), through the pure functions the order
// workflow uses to pick and bound refunds (domain/money.ts: payerFor, refundableOf): payments and
// extra charges (a dearer substitute), partial refunds (shortages, cheaper substitutes, undelivered
// shipments) and cancellation. The database guard is tested against the real stack in
// test/workflows/refund-guard.test.ts.
import fc from 'fast-check';
import { payerFor, refundableOf, type PaymentMoney } from '../../domain';

type Event =
  | { type: 'extra_charge'; amount: number }
  | { type: 'partial_refund'; amount: number }
  | { type: 'cancel' };

const event = fc.oneof(
  fc.record({ type: fc.constant('extra_charge' as const), amount: fc.integer({ min: 1, max: 20_000 }) }),
  fc.record({ type: fc.constant('partial_refund' as const), amount: fc.integer({ min: -100, max: 60_000 }) }),
  fc.constant({ type: 'cancel' as const }),
);

/** An order's payments driven like workflows/order.ts drives them (refundPart, settlePayments). */
function run(method: 'card' | 'wechat_pay' | 'cod', total: number, events: Event[]) {
  const payments: Array<PaymentMoney & { amount: number }> = [];
  if (method !== 'cod') payments.push({ method, amount: total, captured: total, refunded: 0 });
  let charged = method === 'cod' ? 0 : total; // what the customer was charged, extras included
  let refundedParts = 0;
  let cancelled = false;
  for (const e of events) {
    if (cancelled) break;
    if (e.type === 'extra_charge' && method !== 'cod') {
      payments.push({ method, amount: e.amount, captured: e.amount, refunded: 0 });
      charged += e.amount;
    }
    if (e.type === 'partial_refund') {
      const paid = payerFor(payments, e.amount);
      if (paid) {
        paid.refunded += e.amount;
        refundedParts += e.amount;
      }
    }
    if (e.type === 'cancel') {
      for (const p of payments) p.refunded += Math.max(0, refundableOf(p));
      cancelled = true;
    }
    for (const p of payments) {
      expect(p.refunded).toBeGreaterThanOrEqual(0);
      expect(p.refunded).toBeLessThanOrEqual(p.captured); // refunded ≤ captured
      expect(p.captured).toBeLessThanOrEqual(p.amount); // captured ≤ what it was for
    }
  }
  const captured = payments.reduce((t, p) => t + p.captured, 0);
  const refunded = payments.reduce((t, p) => t + p.refunded, 0);
  return { payments, captured, refunded, charged, refundedParts, cancelled };
}

test('refunded ≤ captured ≤ charged for every payment, whatever happens in whatever order', () => {
  fc.assert(
    fc.property(fc.constantFrom('card' as const, 'wechat_pay' as const, 'cod' as const), fc.integer({ min: 1, max: 50_000 }), fc.array(event, { maxLength: 12 }), (method, total, events) => {
      const { captured, refunded, charged } = run(method, total, events);
      expect(captured).toBe(charged);
      expect(refunded).toBeLessThanOrEqual(captured);
    }),
    { numRuns: 500 },
  );
});

test('captured − refunded is what the customer finally paid for; a cancelled order keeps nothing', () => {
  fc.assert(
    fc.property(fc.constantFrom('card' as const, 'wechat_pay' as const), fc.integer({ min: 1, max: 50_000 }), fc.array(event, { maxLength: 12 }), (method, total, events) => {
      const { captured, refunded, charged, refundedParts, cancelled, payments } = run(method, total, events);
      if (cancelled) {
        expect(captured - refunded).toBe(0);
        for (const p of payments) expect(refundableOf(p)).toBe(0);
      } else {
        expect(captured - refunded).toBe(charged - refundedParts);
      }
    }),
    { numRuns: 500 },
  );
});

test('a partial refund is granted exactly when one non-cash payment can carry it whole', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ method: fc.constantFrom('card', 'alipay', 'cod'), captured: fc.integer({ min: 0, max: 10_000 }), refunded: fc.nat(10_000) }), { maxLength: 5 }).map((ps) => ps.map((p) => ({ ...p, refunded: Math.min(p.refunded, p.captured) }))),
      fc.integer({ min: -10, max: 12_000 }),
      (payments, amount) => {
        const payer = payerFor(payments, amount);
        const possible = amount > 0 && payments.some((p) => p.method !== 'cod' && p.captured - p.refunded >= amount);
        expect(payer !== undefined).toBe(possible);
        if (payer) {
          expect(payer.method).not.toBe('cod');
          expect(refundableOf(payer)).toBeGreaterThanOrEqual(amount);
          expect(payer).toBe(payments.find((p) => p.method !== 'cod' && refundableOf(p) >= amount)); // the first, as the workflow always picked
        }
      },
    ),
    { numRuns: 1000 },
  );
});

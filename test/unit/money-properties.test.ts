// docs/payments.md: money invariants over random sequences (fast-check), through the pure functions the order
// workflow uses to pick, bound and book give-backs (domain/money.ts: payerFor, refundableOf,
// applyGiveBack, applyCapture): payments and extra charges (a dearer substitute), partial refunds
// (shortages, cheaper substitutes, undelivered shipments), the hand-over that captures card
// authorizations, and cancellation. The database guard is tested against the real stack in
// test/workflows/refund-guard.test.ts and test/workflows/payments.test.ts.
import fc from 'fast-check';
import { applyCapture, applyGiveBack, payerFor, refundableOf, type PaymentMoney } from '../../domain';

type Event =
  | { type: 'extra_charge'; amount: number }
  | { type: 'partial_refund'; amount: number }
  | { type: 'hand_over' }
  | { type: 'cancel' };

const event = fc.oneof(
  fc.record({ type: fc.constant('extra_charge' as const), amount: fc.integer({ min: 1, max: 20_000 }) }),
  fc.record({ type: fc.constant('partial_refund' as const), amount: fc.integer({ min: -100, max: 60_000 }) }),
  fc.constant({ type: 'hand_over' as const }),
  fc.constant({ type: 'cancel' as const }),
);

type Payment = PaymentMoney & { amount: number };

/**
 * An order's payments driven like workflows/order.ts drives them (refundPart, giveBack,
 * captureAuthorized, settlePayments); a card is authorized until the first hand-over, and the refund
 * guard releases from an authorization what it would refund from a capture. An order that is not
 * cancelled is handed over in the end.
 */
function run(method: 'card' | 'wechat_pay' | 'cod', total: number, events: Event[]) {
  const payments: Payment[] = [];
  const pay = (amount: number): Payment =>
    method === 'card'
      ? { method, status: 'authorized', amount, captured: 0, refunded: 0 }
      : { method, status: 'captured', amount, captured: amount, refunded: 0 };
  if (method !== 'cod') payments.push(pay(total));
  let charged = method === 'cod' ? 0 : total; // what the customer was asked for, extras included
  let refundedParts = 0;
  let handedOver = false;
  let cancelled = false;
  const giveBack = (p: Payment, amount: number) => applyGiveBack(p, amount, p.status === 'authorized');
  const handOver = () => {
    if (handedOver) return;
    handedOver = true;
    for (const p of payments) if (p.status === 'authorized') applyCapture(p, p.amount - (p.voided ?? 0));
  };
  for (const e of [...events, ...(events.some((e) => e.type === 'cancel') ? [] : [{ type: 'hand_over' as const }])]) {
    if (cancelled) break;
    // A dearer substitute is chosen at the stock check, before anything is handed over.
    if (e.type === 'extra_charge' && method !== 'cod' && !handedOver) {
      payments.push(pay(e.amount));
      charged += e.amount;
    }
    if (e.type === 'partial_refund') {
      const paid = payerFor(payments, e.amount);
      if (paid) {
        giveBack(paid, e.amount);
        refundedParts += e.amount;
      }
    }
    if (e.type === 'hand_over') handOver();
    if (e.type === 'cancel') {
      for (const p of payments) if (refundableOf(p) > 0) giveBack(p, refundableOf(p));
      cancelled = true;
    }
    for (const p of payments) {
      expect(p.refunded).toBeGreaterThanOrEqual(0);
      expect(p.refunded).toBeLessThanOrEqual(p.captured); // refunded ≤ captured
      expect(p.captured + (p.voided ?? 0)).toBeLessThanOrEqual(p.amount); // captured ≤ what it was for, less what was released
      if (p.status === 'authorized') expect(p.captured).toBe(0); // nothing taken before the hand-over
    }
  }
  const sum = (pick: (p: Payment) => number) => payments.reduce((t, p) => t + pick(p), 0);
  return {
    payments,
    captured: sum((p) => p.captured),
    refunded: sum((p) => p.refunded),
    voided: sum((p) => p.voided ?? 0),
    charged,
    refundedParts,
    cancelled,
  };
}

test('refunded ≤ captured, and captured + released = charged, whatever happens in whatever order', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('card' as const, 'wechat_pay' as const, 'cod' as const),
      fc.integer({ min: 1, max: 50_000 }),
      fc.array(event, { maxLength: 12 }),
      (method, total, events) => {
        const { captured, refunded, voided, charged } = run(method, total, events);
        expect(captured + voided).toBe(charged);
        expect(refunded).toBeLessThanOrEqual(captured);
        if (method !== 'card') expect(voided).toBe(0);
      },
    ),
    { numRuns: 500 },
  );
});

test('captured − refunded is what the customer finally paid for; a cancelled order keeps nothing', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('card' as const, 'wechat_pay' as const),
      fc.integer({ min: 1, max: 50_000 }),
      fc.array(event, { maxLength: 12 }),
      (method, total, events) => {
        const { captured, refunded, charged, refundedParts, cancelled, payments } = run(method, total, events);
        if (cancelled) {
          expect(captured - refunded).toBe(0);
          for (const p of payments) expect(refundableOf(p)).toBe(0);
        } else {
          expect(captured - refunded).toBe(charged - refundedParts);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('a partial refund is granted exactly when one non-cash payment can carry it whole', () => {
  fc.assert(
    fc.property(
      fc
        .array(
          fc.record({
            method: fc.constantFrom('card', 'alipay', 'cod'),
            captured: fc.integer({ min: 0, max: 10_000 }),
            refunded: fc.nat(10_000),
          }),
          { maxLength: 5 },
        )
        .map((ps) => ps.map((p) => ({ ...p, refunded: Math.min(p.refunded, p.captured) }))),
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

// docs/pricing.md, decision 070: coupons and points at checkout in the one quote() engine, and the
// points ledger's balance (oldest lots first, 12-month expiry, restored redemptions), by example and
// by property.
import fc from 'fast-check';
import {
  couponOff,
  couponTemplateBodySchema,
  couponTemplateProblems,
  everyUnitGivenBack,
  maxRedeemablePoints,
  newLedgerLine,
  paidOfUnits,
  redeemedPointsDue,
  pointsBalance,
  quote,
  type CatalogEntry,
  type CouponTerms,
  type PointsLedgerEntry,
  type Promotion,
  type QuoteInput,
} from '../../domain';

const entries: CatalogEntry[] = [
  { sku: 'TEA', name: 'Longjing tea', priceAmount: 12900, currency: 'CNY', active: true, merchantId: 'm-1' },
  { sku: 'CUP', name: 'Celadon cup', priceAmount: 4550, currency: 'CNY', active: true, merchantId: 'm-1' },
  { sku: 'POT', name: 'Clay pot', priceAmount: 30001, currency: 'CNY', active: true, merchantId: 'm-1' },
];
const catalog = new Map(entries.map((e) => [e.sku, e]));
const AT = '2026-11-25T12:00:00.000Z';
const TERMS = { rate: 100, maxPercent: 50 };

const coupon = (over: Partial<CouponTerms> = {}): CouponTerms => ({
  code: 'C1',
  kind: 'amount',
  amount: 1000,
  minSpend: 0,
  merchantId: 'm-1',
  currency: 'CNY',
  validFrom: '2026-11-01T00:00:00.000Z',
  validUntil: '2026-12-01T00:00:00.000Z',
  ...over,
});
const spendSave: Promotion = {
  id: 'p-1',
  code: 'MJ',
  name: '满300减50',
  merchantId: 'm-1',
  startsAt: '2026-11-01T00:00:00.000Z',
  endsAt: '2026-12-01T00:00:00.000Z',
  priority: 0,
  exclusive: false,
  active: true,
  rule: { kind: 'spend_save', scope: {}, tiers: [{ threshold: 30000, off: 5000 }], perEvery: false },
};
function input(lines: Array<{ sku: string; quantity: number }>, over: Partial<QuoteInput> = {}): QuoteInput {
  return {
    at: AT,
    channel: 'app',
    customer: { id: 'c-1' },
    lines,
    catalog,
    promotions: [],
    province: 'Zhejiang',
    ...over,
  };
}
function ok(i: QuoteInput) {
  const q = quote(i);
  if (!q.ok) throw new Error(JSON.stringify(q.errors));
  return q;
}
const cart = [
  { sku: 'TEA', quantity: 2 },
  { sku: 'CUP', quantity: 3 },
];

describe('coupons at checkout', () => {
  test('after the promotions, on the goods left, allocated by largest remainder; the order names the coupon', () => {
    const q = ok(input(cart, { promotions: [spendSave], coupon: coupon({ amount: 1000 }) }));
    // 5000 by value: 3269.96… / 1730.03… → 3270, 1730; the coupon's 1000 over 22530 and 11920 → 653.99… / 346.00… → 654, 346.
    expect(q.adjustments.filter((a) => a.source === 'coupon').map((a) => [a.lineNo, a.amount])).toEqual([
      [1, 654],
      [2, 346],
    ]);
    expect(q.totals).toEqual({ currency: 'CNY', subtotal: 39450, discount: 6000, shippingFee: 0, total: 33450 });
    expect(q.couponCode).toBe('C1');
  });

  test('a percentage is capped by maxOff and scoped to its SKUs', () => {
    const q = ok(
      input(cart, { coupon: coupon({ kind: 'percent', amount: null, percent: 20, maxOff: 500, skus: ['CUP'] }) }),
    );
    expect(q.lines.map((l) => l.discount)).toEqual([0, 500]);
  });

  test.each([
    [{ validUntil: '2026-11-20T00:00:00.000Z' }, /expired/],
    [{ validFrom: '2026-11-30T00:00:00.000Z' }, /not valid before/],
    [{ merchantId: 'm-2' }, /another merchant/],
    [{ minSpend: 50000 }, /needs a spend of 50000/],
    [{ skus: ['POT'] }, /none of these lines/],
  ])('a coupon that cannot apply is an error naming couponCode (%j)', (over, message) => {
    const q = quote(input(cart, { coupon: coupon(over) }));
    expect(q.ok).toBe(false);
    if (!q.ok) {
      expect(q.errors[0].path).toBe('couponCode');
      expect(q.errors[0].message).toMatch(message);
    }
  });

  test('minimum spend looks at the goods after promotions (实付满)', () => {
    // 39450 list, 34450 after 满300减50: a 35000 minimum is not met.
    const q = quote(input(cart, { promotions: [spendSave], coupon: coupon({ minSpend: 35000 }) }));
    expect(q.ok).toBe(false);
  });

  test('templates: a percentage over 100, an end before its start, an amount coupon without its amount are problems naming the field', () => {
    const body = (o: object) =>
      couponTemplateBodySchema.parse({
        name: 'x',
        kind: 'percent',
        percent: 10,
        startsAt: '2026-01-01T00:00:00Z',
        endsAt: '2027-01-01T00:00:00Z',
        ...o,
      });
    expect(couponTemplateProblems(body({}))).toEqual([]);
    expect(couponTemplateProblems(body({ percent: 120 })).map((p) => p.path)).toEqual(['percent']);
    expect(couponTemplateProblems(body({ endsAt: '2025-01-01T00:00:00Z' })).map((p) => p.path)).toEqual(['endsAt']);
    expect(couponTemplateProblems(body({ kind: 'amount', percent: undefined })).map((p) => p.path)).toEqual(['amount']);
  });
});

describe('points at checkout', () => {
  test('100 points = ¥1, allocated to lines, shown apart from the discount', () => {
    const q = ok(input(cart, { points: { requested: 2000, balance: 5000, terms: TERMS } }));
    expect(q.totals).toEqual({
      currency: 'CNY',
      subtotal: 39450,
      discount: 0,
      shippingFee: 0,
      pointsRedeemed: 2000,
      total: 37450,
    });
    expect(q.lines.reduce((t, l) => t + l.discount, 0)).toBe(2000);
    expect(q.pointsSpent).toBe(2000);
  });

  test('more than the balance, or more than half of the goods, is an error naming pointsToRedeem', () => {
    const over = quote(input(cart, { points: { requested: 6000, balance: 5000, terms: TERMS } }));
    expect(!over.ok && over.errors[0]).toMatchObject({ path: 'pointsToRedeem', message: 'the balance is 5000 points' });
    const cap = quote(input(cart, { points: { requested: 20000, balance: 1e6, terms: TERMS } }));
    expect(!cap.ok && cap.errors[0]).toMatchObject({ path: 'pointsToRedeem' });
    expect(maxRedeemablePoints(39450, TERMS)).toBe(19725);
    expect(ok(input(cart, { points: { requested: 19725, balance: 1e6, terms: TERMS } })).totals.total).toBe(19725);
  });
});

describe('properties', () => {
  const line = fc.record({ sku: fc.constantFrom('TEA', 'CUP', 'POT'), quantity: fc.integer({ min: 1, max: 9 }) });
  const lines = fc.uniqueArray(line, { minLength: 1, maxLength: 3, selector: (l) => l.sku });
  const terms = fc.record({
    kind: fc.constantFrom<'amount' | 'percent'>('amount', 'percent'),
    amount: fc.integer({ min: 1, max: 200000 }),
    percent: fc.integer({ min: 1, max: 10000 }).map((p) => p / 100),
    maxOff: fc.option(fc.integer({ min: 1, max: 100000 }), { nil: null }),
    minSpend: fc.integer({ min: 0, max: 50000 }),
  });

  test('Σ paid = total − shipping, no line below 0, the coupon never exceeds the goods it covers, points never exceed their cap', () => {
    fc.assert(
      fc.property(lines, terms, fc.boolean(), fc.integer({ min: 0, max: 400000 }), (ls, t, promo, pts) => {
        const q = quote(
          input(ls, {
            promotions: promo ? [spendSave] : [],
            coupon: coupon(t),
            points: { requested: pts, balance: 1e9, terms: TERMS },
          }),
        );
        if (!q.ok) return; // min spend not met, or too many points: refused, never mispriced
        const paid = q.lines.reduce((s, l) => s + l.paid, 0);
        expect(paid).toBe(q.totals.total - q.totals.shippingFee);
        for (const l of q.lines) expect(l.paid).toBeGreaterThanOrEqual(0);
        const byCoupon = q.adjustments.filter((a) => a.source === 'coupon').reduce((s, a) => s + a.amount, 0);
        const goods = q.totals.subtotal - (q.totals.discount - byCoupon);
        expect(byCoupon).toBe(couponOff(coupon(t), goods));
        expect(q.totals.pointsRedeemed ?? 0).toBeLessThanOrEqual(Math.floor(((goods - byCoupon) * 50) / 100));
        expect(q.totals.pointsRedeemed ?? 0).toBe(pts);
      }),
    );
  });

  const ledger = fc
    .array(
      fc.record({
        day: fc.integer({ min: 0, max: 800 }),
        delta: fc.integer({ min: -500, max: 500 }).filter((d) => d !== 0),
        restore: fc.boolean(),
      }),
      { maxLength: 40 },
    )
    .map((xs) =>
      xs.flatMap((x, i): PointsLedgerEntry[] => {
        const at = new Date(Date.UTC(2025, 0, 1) + x.day * 86400000).toISOString();
        if (x.delta > 0) return [{ id: `e${i}`, delta: x.delta, reason: 'earned', createdAt: at }];
        const redeemed = {
          id: `o${i}:points-redeemed`,
          orderId: `o${i}`,
          delta: x.delta,
          reason: 'redeemed',
          createdAt: at,
        };
        return x.restore
          ? [
              redeemed,
              { id: `o${i}:points-restored`, orderId: `o${i}`, delta: -x.delta, reason: 'restored', createdAt: at },
            ]
          : [redeemed];
      }),
    );

  test('the balance is never negative, equals the lots left, and a restored redemption only ever adds back', () => {
    fc.assert(
      fc.property(ledger, fc.integer({ min: 0, max: 1000 }), (es, day) => {
        const at = new Date(Date.UTC(2025, 0, 1) + day * 86400000).toISOString();
        const b = pointsBalance(es, at);
        expect(b.balance).toBeGreaterThanOrEqual(0);
        expect(b.balance).toBe(b.lots.reduce((s, l) => s + l.points, 0));
        for (const l of b.lots) expect(Date.parse(l.expiresAt)).toBeGreaterThan(Date.parse(at));
        const without = pointsBalance(
          es.filter((e) => e.reason !== 'restored'),
          at,
        );
        expect(b.balance).toBeGreaterThanOrEqual(without.balance);
        // Never more than everything earned.
        expect(b.balance).toBeLessThanOrEqual(es.filter((e) => e.reason === 'earned').reduce((s, e) => s + e.delta, 0));
      }),
    );
  });
});

describe('points balance by example', () => {
  const e = (
    id: string,
    delta: number,
    createdAt: string,
    reason = delta > 0 ? 'earned' : 'redeemed',
    orderId?: string,
  ) => ({
    id,
    delta,
    createdAt,
    reason,
    orderId,
  });
  test('spending takes the oldest lot first; a lot expires 12 months after it was earned', () => {
    const es = [
      e('a', 100, '2025-01-10T00:00:00Z'),
      e('b', 100, '2025-06-10T00:00:00Z'),
      e('r', -50, '2025-07-01T00:00:00Z'),
    ];
    expect(pointsBalance(es, '2025-12-01T00:00:00Z').balance).toBe(150);
    // January's lot (50 left) expired on 2026-01-10: only June's 100 remain.
    expect(pointsBalance(es, '2026-02-01T00:00:00Z')).toMatchObject({ balance: 100, expired: 50 });
    expect(pointsBalance(es, '2026-06-10T00:00:00Z').balance).toBe(0);
  });
  test('a restored redemption gives back its lots with their own expiry', () => {
    const es = [
      e('a', 100, '2025-01-10T00:00:00Z'),
      e('o1:points-redeemed', -100, '2025-03-01T00:00:00Z', 'redeemed', 'o1'),
      e('o1:points-restored', 100, '2025-03-02T00:00:00Z', 'restored', 'o1'),
    ];
    expect(pointsBalance(es, '2025-12-01T00:00:00Z').balance).toBe(100);
    expect(pointsBalance(es, '2026-01-11T00:00:00Z').balance).toBe(0);
  });
});

describe('what returns give back of checkout (decisions 078, 079)', () => {
  test('redeemed points by example: the partial-return walk-through', () => {
    expect(redeemedPointsDue(1000, 7254, 31450)).toBe(230);
    expect(redeemedPointsDue(1000, 10882, 31450)).toBe(346);
    expect(redeemedPointsDue(1000, 31450, 31450)).toBe(1000);
    expect(redeemedPointsDue(0, 31450, 31450)).toBe(0);
    expect(redeemedPointsDue(1000, 0, 31450)).toBe(0);
  });

  test('returning units one by one never gives back more than redeemed, and every unit back gives all', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 50_000 }),
        (paid, quantity, redeemed) => {
          let due = 0;
          for (let n = 1; n <= quantity; n++) {
            const next = redeemedPointsDue(redeemed, paidOfUnits(paid, quantity, 0, n), paid);
            expect(next).toBeGreaterThanOrEqual(due); // cumulative: more units back never ask less
            expect(next).toBeLessThanOrEqual(redeemed);
            due = next;
          }
          expect(due).toBe(redeemed);
        },
      ),
    );
  });

  test('the whole order is back only when every unit of every line is, gifts and substitutes counted', () => {
    const line = (quantity: number, refunded: number, substituted?: number) => ({
      ...newLedgerLine(1, 'A', 'a', 1000, quantity),
      refunded,
      ...(substituted ? { substituted } : {}),
    });
    expect(everyUnitGivenBack([line(2, 2), line(1, 1)])).toBe(true);
    expect(everyUnitGivenBack([line(2, 2), line(1, 0)])).toBe(false); // a gift kept
    expect(everyUnitGivenBack([line(3, 2, 1), line(1, 1)])).toBe(true);
    expect(everyUnitGivenBack([])).toBe(false);
  });
});

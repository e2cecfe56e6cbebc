// docs/pricing.md: the pricing engine (domain/pricing/engine.ts quote) by example and by property.
import fc from 'fast-check';
import {
  allocateLargestRemainder,
  defaultRefund,
  requestValue,
  giveUpShortUnits,
  substitute,
  newLedgerLine,
  parcelValue,
  refundValueOf,
  paidOfUnits,
  promotionBodySchema,
  promotionProblems,
  quote,
  type CatalogEntry,
  type Promotion,
  type PromotionRule,
  type PromotionUsage,
  type QuoteInput,
} from '../../domain';
import { DEMO_PROMOTIONS } from '../../scripts/seed';

const entries: CatalogEntry[] = [
  { sku: 'TEA', name: 'Longjing tea', priceAmount: 12900, currency: 'CNY', active: true, merchantId: 'm-1' },
  { sku: 'CUP', name: 'Celadon cup', priceAmount: 4550, currency: 'CNY', active: true, merchantId: 'm-1' },
  { sku: 'POT', name: 'Clay pot', priceAmount: 30001, currency: 'CNY', active: true, merchantId: 'm-1' },
  { sku: 'BAG', name: 'Tote bag (gift)', priceAmount: 1500, currency: 'CNY', active: true, merchantId: 'm-1' },
  { sku: 'FAR', name: 'Other shop', priceAmount: 999, currency: 'CNY', active: true, merchantId: 'm-2' },
];
const catalog = new Map(entries.map((e) => [e.sku, e]));
const AT = '2026-11-25T12:00:00.000Z';

let seq = 0;
function promo(rule: PromotionRule, over: Partial<Promotion> = {}): Promotion {
  seq += 1;
  return {
    id: `p-${seq}`,
    code: over.code ?? `P${seq}`,
    name: 'promo',
    merchantId: 'm-1',
    startsAt: '2026-11-01T00:00:00.000Z',
    endsAt: '2026-12-01T00:00:00.000Z',
    priority: 0,
    exclusive: false,
    active: true,
    rule,
    ...over,
  };
}
const all = { skus: undefined };
function input(
  lines: Array<{ sku: string; quantity: number }>,
  promotions: Promotion[],
  over: Partial<QuoteInput> = {},
): QuoteInput {
  return { at: AT, channel: 'app', customer: { id: 'c-1' }, lines, catalog, promotions, province: 'Zhejiang', ...over };
}
function ok(i: QuoteInput) {
  const q = quote(i);
  if (!q.ok) throw new Error(JSON.stringify(q.errors));
  return q;
}

describe('quote: rules by example', () => {
  it('满减 with tiers takes the highest tier reached and allocates it by line value (largest remainder)', () => {
    const p = promo({
      kind: 'spend_save',
      scope: all,
      tiers: [
        { threshold: 10000, off: 1000 },
        { threshold: 30000, off: 5000 },
      ],
      perEvery: false,
    });
    const q = ok(
      input(
        [
          { sku: 'TEA', quantity: 2 },
          { sku: 'CUP', quantity: 3 },
        ],
        [p],
      ),
    );
    // 25800 + 13650 = 39450 ≥ 30000 → 5000 off: 5000×25800/39450 = 3269.96… → 3269 (+1 by remainder), 1730.03… → 1730.
    expect(q.lines.map((l) => l.discount)).toEqual([3270, 1730]);
    expect(q.totals).toEqual({ currency: 'CNY', subtotal: 39450, discount: 5000, shippingFee: 0, total: 34450 });
    expect(q.adjustments).toEqual([
      { source: 'promotion', code: p.code, kind: 'spend_save', promotionId: p.id, lineNo: 1, amount: 3270 },
      { source: 'promotion', code: p.code, kind: 'spend_save', promotionId: p.id, lineNo: 2, amount: 1730 },
    ]);
    expect(q.orderLines[0].discount).toBe(3270);
  });

  it('每满 (per every X) multiplies the tier, capped by maxOff', () => {
    const p = promo({
      kind: 'spend_save',
      scope: all,
      tiers: [{ threshold: 10000, off: 1000 }],
      perEvery: true,
      maxOff: 2500,
    });
    expect(ok(input([{ sku: 'TEA', quantity: 2 }], [p])).totals.discount).toBe(2000);
    expect(ok(input([{ sku: 'TEA', quantity: 4 }], [p])).totals.discount).toBe(2500);
  });

  it('percentage off chosen SKUs only; fixed amount off each unit', () => {
    const pct = promo({ kind: 'percent_off', scope: { skus: ['CUP'] }, percent: 10 });
    const q = ok(
      input(
        [
          { sku: 'TEA', quantity: 1 },
          { sku: 'CUP', quantity: 3 },
        ],
        [pct],
      ),
    );
    expect(q.lines.map((l) => l.discount)).toEqual([0, 1365]);
    const each = promo({ kind: 'amount_off', scope: { skus: ['TEA'] }, amount: 500, per: 'unit' });
    expect(ok(input([{ sku: 'TEA', quantity: 3 }], [each])).totals.discount).toBe(1500);
  });

  it('buy 2 get 1 of the same SKU makes every third unit free; of another SKU not in the cart adds a 0-price gift line', () => {
    const same = promo({ kind: 'buy_get', scope: { skus: ['CUP'] }, buyQuantity: 2, getSku: 'CUP', getQuantity: 1 });
    expect(ok(input([{ sku: 'CUP', quantity: 3 }], [same])).totals.discount).toBe(4550);
    expect(ok(input([{ sku: 'CUP', quantity: 2 }], [same])).totals.discount).toBe(0);
    const other = promo({ kind: 'buy_get', scope: { skus: ['TEA'] }, buyQuantity: 1, getSku: 'BAG', getQuantity: 1 });
    const q = ok(input([{ sku: 'TEA', quantity: 2 }], [other]));
    expect(q.lines[1]).toEqual({
      lineNo: 2,
      sku: 'BAG',
      name: 'Tote bag (gift)',
      unitPrice: 0,
      quantity: 2,
      discount: 0,
      paid: 0,
      gift: true,
    });
    expect(q.orderLines[1].gift).toBe(true);
    expect(q.totals.total).toBe(25800);
  });

  it('满赠 adds the gift at the threshold, never a gift of another merchant', () => {
    const gift = promo({ kind: 'gift', scope: all, threshold: 20000, giftSku: 'BAG', quantity: 1 });
    expect(ok(input([{ sku: 'TEA', quantity: 1 }], [gift])).lines).toHaveLength(1);
    expect(ok(input([{ sku: 'TEA', quantity: 2 }], [gift])).lines[1].sku).toBe('BAG');
    const far = promo({ kind: 'gift', scope: all, threshold: 0, giftSku: 'FAR', quantity: 1 });
    expect(ok(input([{ sku: 'TEA', quantity: 2 }], [far])).lines).toHaveLength(1);
  });

  it('flash sale: only inside its window, for what is left of its cap and of the customer limit', () => {
    const flash = promo(
      { kind: 'flash_sale', sku: 'TEA', price: 9900, stockCap: 100, perCustomerLimit: 2 },
      { exclusive: true, startsAt: '2026-11-25T10:00:00.000Z', endsAt: '2026-11-25T14:00:00.000Z' },
    );
    expect(ok(input([{ sku: 'TEA', quantity: 3 }], [flash])).totals.discount).toBe(2 * 3000);
    expect(ok(input([{ sku: 'TEA', quantity: 3 }], [flash], { at: '2026-11-25T14:00:00.000Z' })).totals.discount).toBe(
      0,
    );
    const usage = new Map<string, PromotionUsage>([[flash.id, { units: 99, customerUnits: 0 }]]);
    expect(ok(input([{ sku: 'TEA', quantity: 3 }], [flash], { usage })).totals.discount).toBe(3000);
    const mine = new Map<string, PromotionUsage>([[flash.id, { units: 0, customerUnits: 2 }]]);
    expect(ok(input([{ sku: 'TEA', quantity: 3 }], [flash], { usage: mine })).totals.discount).toBe(0);
  });

  it('member discount by tier; channels and customer tiers restrict who gets a promotion', () => {
    const member = promo({ kind: 'member_discount', scope: all, percentByTier: { gold: 5, silver: 2 } });
    expect(
      ok(input([{ sku: 'TEA', quantity: 1 }], [member], { customer: { id: 'c', tier: 'gold' } })).totals.discount,
    ).toBe(645);
    expect(ok(input([{ sku: 'TEA', quantity: 1 }], [member])).totals.discount).toBe(0);
    const appOnly = promo({ kind: 'percent_off', scope: all, percent: 10 }, { channels: ['mini-program'] });
    expect(ok(input([{ sku: 'TEA', quantity: 1 }], [appOnly])).totals.discount).toBe(0);
  });

  it('shipping: by destination province, free above the merchant threshold or with a 包邮 promotion', () => {
    const shipping = { defaultFee: 1200, byProvince: { Zhejiang: 600 }, freeAbove: 30000 };
    expect(ok(input([{ sku: 'TEA', quantity: 1 }], [], { shipping })).totals).toMatchObject({
      shippingFee: 600,
      total: 13500,
    });
    expect(ok(input([{ sku: 'TEA', quantity: 1 }], [], { shipping, province: 'Tibet' })).totals.shippingFee).toBe(1200);
    expect(ok(input([{ sku: 'TEA', quantity: 3 }], [], { shipping })).totals.shippingFee).toBe(0);
    const free = promo({ kind: 'free_shipping', threshold: 10000 });
    const q = ok(input([{ sku: 'TEA', quantity: 1 }], [free], { shipping }));
    expect(q.totals).toMatchObject({ shippingFee: 0, discount: 0, total: 12900 });
    expect(q.adjustments).toEqual([
      { source: 'shipping', code: free.code, kind: 'free_shipping', promotionId: free.id, amount: 600 },
    ]);
  });

  it('stackable promotions combine (unit prices first, then 满减 on what is left); an exclusive one wins only when it is better', () => {
    const pct = promo({ kind: 'percent_off', scope: all, percent: 10 }, { code: 'TEN' });
    const save = promo(
      { kind: 'spend_save', scope: all, tiers: [{ threshold: 20000, off: 2000 }], perEvery: false },
      { code: 'SAVE' },
    );
    const q = ok(input([{ sku: 'TEA', quantity: 2 }], [save, pct]));
    // 25800 −10% = 23220 ≥ 20000 → −2000: 2580 + 2000.
    expect(q.totals.discount).toBe(4580);
    expect(q.applied).toEqual(['TEN', 'SAVE']);
    const solo = promo({ kind: 'percent_off', scope: all, percent: 20 }, { code: 'SOLO', exclusive: true });
    expect(ok(input([{ sku: 'TEA', quantity: 2 }], [save, pct, solo])).applied).toEqual(['SOLO']);
    const weak = promo({ kind: 'percent_off', scope: all, percent: 5 }, { code: 'WEAK', exclusive: true });
    expect(ok(input([{ sku: 'TEA', quantity: 2 }], [save, pct, weak])).applied).toEqual(['TEN', 'SAVE']);
  });

  it('a stack that loses a threshold is beaten by the single promotion alone', () => {
    const pct = promo({ kind: 'percent_off', scope: all, percent: 5 });
    const save = promo({ kind: 'spend_save', scope: all, tiers: [{ threshold: 25800, off: 5000 }], perEvery: false });
    // Together: 25800 − 1290 = 24510 < 25800, so only 1290; 满减 alone gives 5000.
    expect(ok(input([{ sku: 'TEA', quantity: 2 }], [pct, save])).totals.discount).toBe(5000);
  });

  it('money budgets cap what a promotion gives; used-up budgets and other merchants’ promotions do not apply', () => {
    const capped = promo({ kind: 'percent_off', scope: all, percent: 50 }, { budgetAmount: 10000 });
    const usage = new Map<string, PromotionUsage>([[capped.id, { amount: 9000 }]]);
    expect(ok(input([{ sku: 'TEA', quantity: 1 }], [capped], { usage })).totals.discount).toBe(1000);
    const spent = promo({ kind: 'percent_off', scope: all, percent: 50 }, { budgetUses: 3 });
    expect(
      ok(input([{ sku: 'TEA', quantity: 1 }], [spent], { usage: new Map([[spent.id, { uses: 3 }]]) })).totals.discount,
    ).toBe(0);
    expect(
      ok(
        input(
          [{ sku: 'TEA', quantity: 1 }],
          [promo({ kind: 'percent_off', scope: all, percent: 50 }, { merchantId: 'm-2' })],
        ),
      ).totals.discount,
    ).toBe(0);
    expect(
      ok(
        input(
          [{ sku: 'TEA', quantity: 1 }],
          [promo({ kind: 'percent_off', scope: all, percent: 50 }, { merchantId: null })],
        ),
      ).totals.discount,
    ).toBe(6450);
  });

  it('rejects unknown SKUs and mixed merchants as before', () => {
    expect(quote(input([{ sku: 'NOPE', quantity: 1 }], []))).toEqual({
      ok: false,
      errors: [{ path: 'lines.0.sku', message: 'unknown sku NOPE' }],
    });
    expect(
      quote(
        input(
          [
            { sku: 'TEA', quantity: 1 },
            { sku: 'FAR', quantity: 1 },
          ],
          [],
        ),
      ).ok,
    ).toBe(false);
  });
});

describe('promotion validation', () => {
  const body = { code: 'X', name: 'x', startsAt: '2026-11-01T00:00:00Z', endsAt: '2026-12-01T00:00:00Z' };
  const issues = (b: unknown) => {
    const r = promotionBodySchema.safeParse(b);
    return r.success
      ? promotionProblems(r.data).map((i) => i.path.join('.'))
      : r.error.issues.map((i) => i.path.join('.'));
  };
  it('names the field of a percentage over 100, an end before its start, a tier saving more than it asks', () => {
    expect(issues({ ...body, rule: { kind: 'percent_off', percent: 120 } })).toEqual(['rule.percent']);
    expect(issues({ ...body, endsAt: '2026-10-01T00:00:00Z', rule: { kind: 'percent_off', percent: 10 } })).toEqual([
      'endsAt',
    ]);
    expect(issues({ ...body, rule: { kind: 'spend_save', tiers: [{ threshold: 100, off: 200 }] } })).toEqual([
      'rule.tiers.0.off',
    ]);
    expect(issues({ ...body, rule: { kind: 'percent_off', percent: 12.5 } })).toEqual([]);
    expect(issues({ ...body, rule: { kind: 'percent_off', percent: 12.555 } })).toEqual(['rule.percent']);
  });
});

describe('demo promotions', () => {
  it('every seeded promotion is valid', () => {
    for (const p of DEMO_PROMOTIONS) {
      const body = promotionBodySchema.parse({
        code: p.code,
        name: p.name,
        startsAt: '2026-01-01T00:00:00Z',
        endsAt: '2030-01-01T00:00:00Z',
        rule: p.rule,
      });
      expect(promotionProblems(body)).toEqual([]);
    }
  });
});

describe('allocation', () => {
  it('largest remainder: exact sum, no part above its weight, deterministic', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (weights, share) => {
          const total = weights.reduce((t, w) => t + w, 0);
          fc.pre(total > 0);
          const amount = Math.floor(total * share);
          const parts = allocateLargestRemainder(amount, weights);
          expect(parts.reduce((t, p) => t + p, 0)).toBe(amount);
          parts.forEach((p, i) => {
            expect(p).toBeGreaterThanOrEqual(0);
            expect(p).toBeLessThanOrEqual(weights[i]);
            expect(Number.isInteger(p)).toBe(true);
          });
          expect(allocateLargestRemainder(amount, weights)).toEqual(parts);
        },
      ),
    );
  });

  it('the paid price of units given back in order sums to the line’s paid amount, never more', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 99 }),
        fc.array(fc.integer({ min: 1, max: 99 })),
        (paid, quantity, steps) => {
          let from = 0;
          let given = 0;
          for (const s of steps) {
            const count = Math.min(s, quantity - from);
            given += paidOfUnits(paid, quantity, from, count);
            from += count;
            expect(given).toBeLessThanOrEqual(paid);
          }
          given += paidOfUnits(paid, quantity, from, quantity - from);
          expect(given).toBe(paid);
        },
      ),
    );
    expect([0, 1, 2].map((u) => paidOfUnits(100, 3, u, 1))).toEqual([33, 33, 34]);
  });
});

const skus = ['TEA', 'CUP', 'POT', 'BAG'];
const scopeArb = fc.oneof(
  fc.constant({ skus: undefined }),
  fc.subarray(skus, { minLength: 1 }).map((s) => ({ skus: s })),
);
const ruleArb: fc.Arbitrary<PromotionRule> = fc.oneof(
  fc.record({
    kind: fc.constant('spend_save' as const),
    scope: scopeArb,
    tiers: fc.uniqueArray(
      fc.record({ threshold: fc.integer({ min: 1000, max: 100_000 }), off: fc.integer({ min: 1, max: 1000 }) }),
      { minLength: 1, maxLength: 3, selector: (t) => t.threshold },
    ),
    perEvery: fc.boolean(),
    maxOff: fc.option(fc.integer({ min: 1, max: 50_000 }), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('percent_off' as const),
    scope: scopeArb,
    percent: fc.integer({ min: 1, max: 10000 }).map((b) => b / 100),
    maxOff: fc.option(fc.integer({ min: 1, max: 50_000 }), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('amount_off' as const),
    scope: scopeArb,
    amount: fc.integer({ min: 1, max: 60_000 }),
    per: fc.constantFrom('order' as const, 'unit' as const),
  }),
  fc.record({
    kind: fc.constant('buy_get' as const),
    scope: scopeArb,
    buyQuantity: fc.integer({ min: 1, max: 4 }),
    getSku: fc.constantFrom(...skus),
    getQuantity: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('gift' as const),
    scope: scopeArb,
    threshold: fc.integer({ min: 0, max: 80_000 }),
    giftSku: fc.constantFrom(...skus),
    quantity: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('flash_sale' as const),
    sku: fc.constantFrom(...skus),
    price: fc.integer({ min: 0, max: 40_000 }),
    stockCap: fc.integer({ min: 1, max: 10 }),
    perCustomerLimit: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('member_discount' as const),
    scope: scopeArb,
    percentByTier: fc.constant({ gold: 8 }),
  }),
  fc.record({ kind: fc.constant('free_shipping' as const), threshold: fc.integer({ min: 0, max: 80_000 }) }),
);
const promoArb = fc.record({
  rule: ruleArb,
  priority: fc.integer({ min: 0, max: 5 }),
  exclusive: fc.boolean(),
  budgetAmount: fc.option(fc.integer({ min: 1, max: 20_000 }), { nil: undefined }),
});
const cartArb = fc.uniqueArray(fc.record({ sku: fc.constantFrom(...skus), quantity: fc.integer({ min: 1, max: 9 }) }), {
  minLength: 1,
  maxLength: 4,
  selector: (l) => l.sku,
});
const shippingArb = fc.option(
  fc.record({
    defaultFee: fc.integer({ min: 0, max: 2000 }),
    freeAbove: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
  }),
  { nil: null },
);

describe('quote: properties', () => {
  const scenarioOf = (maxPromotions: number) =>
    fc.record({
      cart: cartArb,
      promos: fc.array(promoArb, { maxLength: maxPromotions }),
      shipping: shippingArb,
      gold: fc.boolean(),
    });
  const scenario = scenarioOf(6);
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
  const build = ({ cart, promos, shipping, gold }: Scenario) => {
    const promotions = promos.map((p, i) =>
      promo(p.rule, {
        id: `q-${i}`,
        code: `Q${i}`,
        priority: p.priority,
        exclusive: p.exclusive,
        budgetAmount: p.budgetAmount,
      }),
    );
    return input(cart, promotions, { shipping, customer: { id: 'c', tier: gold ? 'gold' : null } });
  };
  const benefit = (q: ReturnType<typeof ok>, i: QuoteInput) => {
    const fee = i.shipping?.defaultFee ?? 0;
    const gifts = q.lines.filter((l) => l.gift).reduce((t, l) => t + catalog.get(l.sku)!.priceAmount * l.quantity, 0);
    return q.totals.discount + (fee - q.totals.shippingFee) + gifts;
  };

  it('Σ paid = total − shipping; no line below 0; allocation sums exactly; a discount never exceeds what it applies to', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const i = build(s);
        const q = ok(i);
        const paid = q.lines.reduce((t, l) => t + l.paid, 0);
        expect(paid).toBe(q.totals.total - q.totals.shippingFee);
        expect(q.totals.total).toBe(q.totals.subtotal - q.totals.discount + q.totals.shippingFee);
        for (const l of q.lines) {
          expect(l.paid).toBeGreaterThanOrEqual(0);
          expect(l.discount).toBeLessThanOrEqual(l.unitPrice * l.quantity);
          const adj = q.adjustments.filter((a) => a.lineNo === l.lineNo).reduce((t, a) => t + a.amount, 0);
          expect(adj).toBe(l.discount);
          expect(Number.isInteger(l.paid)).toBe(true);
        }
        expect(q.adjustments.filter((a) => a.source === 'promotion').reduce((t, a) => t + a.amount, 0)).toBe(
          q.totals.discount,
        );
        expect(q.totals.shippingFee).toBeGreaterThanOrEqual(0);
        for (const p of i.promotions) {
          const given = q.adjustments
            .filter((a) => a.promotionId === p.id && a.source === 'promotion')
            .reduce((t, a) => t + a.amount, 0);
          if (p.budgetAmount != null) expect(given).toBeLessThanOrEqual(p.budgetAmount);
        }
        expect(quote(i)).toEqual(q);
      }),
      { numRuns: 300 },
    );
  });

  it('leaving out singles that cannot beat the best found changes no answer', () => {
    const many = scenarioOf(12);
    fc.assert(
      fc.property(many, (s) => {
        const i = build(s);
        expect(quote(i)).toEqual(quote(i, { exhaustive: true }));
      }),
      { numRuns: 1000 },
    );
  });

  it('the chosen combination is never worse for the customer than any single allowed promotion', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const i = build(s);
        const chosen = benefit(ok(i), i);
        for (const p of i.promotions) expect(chosen).toBeGreaterThanOrEqual(benefit(ok({ ...i, promotions: [p] }), i));
        expect(chosen).toBeGreaterThanOrEqual(benefit(ok({ ...i, promotions: [] }), i));
      }),
      { numRuns: 300 },
    );
  });
});

describe('give-backs at the paid price', () => {
  it('a shortage given up refunds what the short units were paid, never the list price', () => {
    // The worked example of docs/pricing.md: CUP 3 × 4550 with 2978 off → paid 10672; units 3557, 3557, 3558.
    const lines = [
      { ...newLedgerLine(1, 'TEA', 'tea', 12900, 2), discount: 3387 },
      { ...newLedgerLine(2, 'CUP', 'cup', 4550, 3), discount: 2978 },
    ];
    expect(giveUpShortUnits(lines, [{ lineNo: 2, sku: 'CUP', quantity: 1 }])).toBe(3557);
    expect(lines[1].refunded).toBe(1);
    expect(
      giveUpShortUnits(lines, [
        { lineNo: 2, sku: 'CUP', quantity: 2 },
        { lineNo: 1, sku: 'TEA', quantity: 2 },
      ]),
    ).toBe(3557 + 3558 + 22413);
  });

  it('an undelivered parcel gives back its units’ paid value; on undiscounted lines exactly list × units', () => {
    const lines = [{ ...newLedgerLine(1, 'TEA', 'tea', 12900, 2), discount: 3387 }];
    expect(refundValueOf(lines, [{ lineNo: 1, quantity: 1 }])).toBe(11206);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        (price, quantity, raw) => {
          const line = newLedgerLine(1, 'X', 'x', price, quantity);
          const count = raw % (quantity + 1);
          expect(refundValueOf([line], [{ lineNo: 1, quantity: count }])).toBe(price * count);
        },
      ),
    );
  });
});

describe('after-sales lines at the paid price', () => {
  it('a return of discounted units is valued and refunded at what they were paid; older requests at list price', () => {
    const line = {
      lineNo: 2,
      sku: 'CUP',
      name: 'cup',
      unitPrice: 4550,
      quantity: 2,
      warehouseId: 'wh',
      paid: 3557 + 3558,
    };
    expect(requestValue({ type: 'return', lines: [line] })).toBe(7115);
    expect(defaultRefund([line, { ...line, lineNo: 3, paid: 100, condition: 'damaged' }])).toBe(7115);
    const { paid: _paid, ...older } = line;
    expect(defaultRefund([older])).toBe(9100);
  });
});

describe('cash on delivery collects the paid price', () => {
  it('parcels collect their units’ paid price in order, the fee with the first; together exactly the total', () => {
    // Worked example: TEA paid 22413 (2 units), CUP paid 10672 (3 units), a 600 fee: total 33685.
    const lines = [
      { ...newLedgerLine(1, 'TEA', 'tea', 12900, 2), discount: 3387 },
      { ...newLedgerLine(2, 'CUP', 'cup', 4550, 3), discount: 2978 },
    ];
    const first = {
      seq: 1,
      lines: [
        { lineNo: 1, quantity: 1 },
        { lineNo: 2, quantity: 2 },
      ],
    };
    const second = {
      seq: 2,
      lines: [
        { lineNo: 1, quantity: 1 },
        { lineNo: 2, quantity: 1 },
      ],
    };
    const shipments = [first, second];
    expect(parcelValue(lines, shipments, 1, first.lines, 600)).toBe(11206 + 3557 + 3557 + 600);
    expect(parcelValue(lines, shipments, 2, second.lines, 600)).toBe(11207 + 3558);
    expect(
      parcelValue(lines, shipments, 1, first.lines, 600) + parcelValue(lines, shipments, 2, second.lines, 600),
    ).toBe(22413 + 10672 + 600);
    const plain = [newLedgerLine(1, 'TEA', 'tea', 12900, 2)];
    expect(parcelValue(plain, [], 1, [{ lineNo: 1, quantity: 2 }])).toBe(25800);
  });
});

describe('substitutes keep the discount of the units they replace', () => {
  it('charges or refunds the list difference, the replacement line pays what the replaced units paid plus it', () => {
    const lines = [{ ...newLedgerLine(1, 'CUP', 'cup', 4550, 3), discount: 2978 }];
    // 2 of 3 cups (paid 3557 + 3557) replaced by a dearer 5000 cup: +900 charged; the new line pays 7114 + 900.
    expect(
      substitute(
        lines,
        [{ lineNo: 1, sku: 'CUP', quantity: 2 }],
        [{ lineNo: 1, sku: 'CUP2', name: 'cup 2', unitPrice: 5000 }],
      ),
    ).toBe(900);
    expect(lines[1]).toMatchObject({
      lineNo: 2,
      sku: 'CUP2',
      unitPrice: 5000,
      quantity: 2,
      discount: 10000 - 8014,
      substituteFor: 1,
    });
    // The last cup (paid 3558) replaced by a 0-price item: the list difference −4550 is capped at the 3558 paid.
    expect(
      substitute(
        lines,
        [{ lineNo: 1, sku: 'CUP', quantity: 1 }],
        [{ lineNo: 1, sku: 'FREE', name: 'free', unitPrice: 0 }],
      ),
    ).toBe(-3558);
    expect(lines[2].discount).toBeUndefined();
    const plain = [newLedgerLine(1, 'CUP', 'cup', 4550, 3)];
    expect(
      substitute(
        plain,
        [{ lineNo: 1, sku: 'CUP', quantity: 3 }],
        [{ lineNo: 1, sku: 'C', name: 'c', unitPrice: 4000 }],
      ),
    ).toBe(-1650);
    expect(plain[1].discount).toBeUndefined();
  });
});

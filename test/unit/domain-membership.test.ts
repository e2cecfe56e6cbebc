// docs/pricing.md "Membership", decision 072: growth value over a rolling 12 months, the tier it
// reaches and what is missing for the next, points earned with the tier's multiplier and taken back in
// proportion; the tier's benefits in quote() (member discount, free shipping, early flash-sale access).
import fc from 'fast-check';
import { DEFAULT_MEMBERSHIP_TIERS, loadConfig } from '../../config';
import {
  bonusKept,
  growthValue,
  membershipStanding,
  pointsEarned,
  promotionBodySchema,
  promotionProblems,
  quote,
  tierFor,
  tierLadderSchema,
  type CatalogEntry,
  type Promotion,
  type PromotionRule,
  type QuoteInput,
  type Tier,
} from '../../domain';

const tiers = DEFAULT_MEMBERSHIP_TIERS;
const byName = (name: string) => tiers.find((t) => t.name === name)!;
const AT = '2026-11-25T12:00:00.000Z';

describe('growth value', () => {
  it('counts orders completed in the 12 months up to now, each at what was paid less refunds', () => {
    const facts = [
      { completedAt: '2026-11-20T00:00:00.000Z', paid: 30_000 },
      { completedAt: '2025-11-25T12:00:00.001Z', paid: 20_000 }, // just inside the window
      { completedAt: '2025-11-25T12:00:00.000Z', paid: 50_000 }, // exactly 12 months ago: out
      { completedAt: '2026-11-25T12:00:01.000Z', paid: 70_000 }, // after `at`: not yet
    ];
    expect(growthValue(facts, AT)).toBe(50_000);
  });

  it('is the sum of the facts in the window, whatever their order, and never negative', () => {
    const fact = fc.record({
      completedAt: fc
        .integer({ min: Date.parse('2024-01-01'), max: Date.parse('2027-12-31') })
        .map((t) => new Date(t).toISOString()),
      paid: fc.integer({ min: 0, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(fact, { maxLength: 30 }), (facts) => {
        const g = growthValue(facts, AT);
        expect(g).toBeGreaterThanOrEqual(0);
        expect(growthValue([...facts].reverse(), AT)).toBe(g);
        expect(g).toBeLessThanOrEqual(facts.reduce((t, f) => t + f.paid, 0));
      }),
    );
  });
});

describe('tiers', () => {
  it('the highest tier whose threshold is reached; the next one and what is missing', () => {
    expect(tierFor(tiers, 0).name).toBe('member');
    expect(tierFor(tiers, 99_999).name).toBe('member');
    expect(tierFor(tiers, 100_000).name).toBe('silver');
    expect(membershipStanding(tiers, 120_000)).toMatchObject({
      tier: { name: 'silver' },
      growth: 120_000,
      next: { name: 'gold', minGrowth: 500_000, missing: 380_000 },
    });
    expect(membershipStanding(tiers, 9_000_000).next).toBeNull();
  });

  it('more growth never means a lower tier, and the tier reached is never above the growth', () => {
    const rank = (t: Tier) => tiers.indexOf(t);
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.nat(10_000_000), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(rank(tierFor(tiers, lo))).toBeLessThanOrEqual(rank(tierFor(tiers, hi)));
        const s = membershipStanding(tiers, lo);
        expect(s.tier.minGrowth).toBeLessThanOrEqual(lo);
        if (s.next) expect(s.next.missing).toBe(s.next.minGrowth - lo);
        if (s.next) expect(s.next.missing).toBeGreaterThan(0);
      }),
    );
  });

  it('a ladder must start at 0 with rising thresholds and distinct names; MEMBERSHIP_TIERS replaces the default', () => {
    expect(tierLadderSchema.safeParse(tiers).success).toBe(true);
    expect(tierLadderSchema.safeParse([{ ...tiers[1] }]).success).toBe(false);
    expect(tierLadderSchema.safeParse([tiers[0], tiers[2], tiers[1]]).success).toBe(false);
    expect(tierLadderSchema.safeParse([tiers[0], { ...tiers[1], name: 'member' }]).success).toBe(false);
    expect(tierLadderSchema.safeParse([{ ...tiers[0], pointsMultiplier: 0.5 }]).success).toBe(false);
    const own = [tiers[0], { ...tiers[3], minGrowth: 1000 }];
    expect(loadConfig({ MEMBERSHIP_TIERS: JSON.stringify(own), POINTS_EARN_RATE: '2' }).membership).toEqual({
      tiers: own,
      earnRate: 2,
    });
    expect(() => loadConfig({ MEMBERSHIP_TIERS: '[{"name":"x"}]' })).toThrow(/MEMBERSHIP_TIERS/);
  });
});

describe('promotions naming tiers', () => {
  it('a tier the ladder does not have is a problem naming the field', () => {
    const body = promotionBodySchema.parse({
      code: 'VIP',
      name: 'vip',
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '2027-01-01T00:00:00Z',
      customerTiers: ['gold', 'vip'],
      rule: { kind: 'member_discount', scope: {}, percentByTier: { gold: 5, vip: 9 } },
    });
    const names = tiers.map((t) => t.name);
    expect(promotionProblems(body, names).map((p) => p.path.join('.'))).toEqual([
      'customerTiers.1',
      'rule.percentByTier.vip',
    ]);
    expect(promotionProblems(body)).toEqual([]);
    const sale = promotionBodySchema.parse({
      ...body,
      customerTiers: undefined,
      rule: { kind: 'flash_sale', sku: 'TEA', price: 1, stockCap: 1, perCustomerLimit: 1, earlyAccessTiers: ['x'] },
    });
    expect(promotionProblems(sale, names).map((p) => p.path.join('.'))).toEqual(['rule.earlyAccessTiers.0']);
  });
});

describe('points earned and taken back', () => {
  it('base × rate × multiplier in whole points, with exact hundredths', () => {
    expect(pointsEarned(129, 1, 1)).toBe(129);
    expect(pointsEarned(129, 1, 1.5)).toBe(193);
    expect(pointsEarned(100, 1, 1.15)).toBe(115); // 1.15 × 100 is 114.999… in floating point
    expect(pointsEarned(100, 2, 3)).toBe(600);
  });

  it('the bonus kept follows the base points kept; reversals in any steps never take more than the bonus', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.constantFrom(...tiers.map((t) => t.pointsMultiplier)),
        fc.array(fc.nat(100_000), { maxLength: 6 }),
        (base, multiplier, steps) => {
          const bonus = pointsEarned(base, 1, multiplier) - base;
          expect(bonus).toBeGreaterThanOrEqual(0);
          let reversed = 0;
          let taken = 0;
          for (const step of steps) {
            reversed = Math.min(base, reversed + step);
            const due = bonus - bonusKept(bonus, base, reversed);
            expect(due).toBeGreaterThanOrEqual(taken); // only ever more is taken back
            taken = due;
          }
          expect(taken).toBeLessThanOrEqual(bonus);
          expect(bonus - bonusKept(bonus, base, base)).toBe(bonus); // everything refunded: the whole bonus
          expect(bonusKept(bonus, base, 0)).toBe(bonus);
        },
      ),
    );
  });
});

describe('benefits in quote()', () => {
  const entries: CatalogEntry[] = [
    { sku: 'TEA', name: 'Longjing tea', priceAmount: 12900, currency: 'CNY', active: true, merchantId: 'm-1' },
  ];
  const catalog = new Map(entries.map((e) => [e.sku, e]));
  const promo = (rule: PromotionRule, over: Partial<Promotion> = {}): Promotion => ({
    id: `p-${rule.kind}`,
    code: rule.kind.toUpperCase(),
    name: 'promo',
    merchantId: null,
    startsAt: '2026-11-01T00:00:00.000Z',
    endsAt: '2026-12-01T00:00:00.000Z',
    priority: 0,
    exclusive: false,
    active: true,
    rule,
    ...over,
  });
  const as = (tier: Tier | null, promotions: Promotion[], over: Partial<QuoteInput> = {}) => {
    const q = quote({
      at: AT,
      channel: 'app',
      customer: { id: 'c-1', tier: tier?.name ?? null, benefits: tier },
      lines: [{ sku: 'TEA', quantity: 2 }],
      catalog,
      promotions,
      province: 'Zhejiang',
      ...over,
    });
    if (!q.ok) throw new Error(JSON.stringify(q.errors));
    return q;
  };
  const member = promo({ kind: 'member_discount', scope: {}, percentByTier: {} });

  it('a member discount gives the tier its configured percentage unless the promotion names one', () => {
    expect(as(byName('gold'), [member]).adjustments).toEqual([
      {
        source: 'promotion',
        code: 'MEMBER_DISCOUNT',
        kind: 'member_discount',
        promotionId: member.id,
        lineNo: 1,
        amount: 1290,
      },
    ]);
    expect(as(byName('member'), [member]).totals.discount).toBe(0);
    const named = promo({ kind: 'member_discount', scope: {}, percentByTier: { gold: 10 } });
    expect(as(byName('gold'), [named]).totals.discount).toBe(2580);
    expect(as(null, [member]).totals.discount).toBe(0);
  });

  it('customerTiers admits only the tiers listed', () => {
    const goldOnly = promo({ kind: 'percent_off', scope: {}, percent: 10 }, { customerTiers: ['gold', 'platinum'] });
    expect(as(byName('gold'), [goldOnly]).totals.discount).toBe(2580);
    expect(as(byName('silver'), [goldOnly]).totals.discount).toBe(0);
  });

  it('free shipping waives the fee for tiers that have it', () => {
    const shipping = { defaultFee: 1200 };
    expect(as(byName('gold'), [], { shipping }).totals.shippingFee).toBe(0);
    expect(as(byName('gold'), [], { shipping }).adjustments).toEqual([
      { source: 'shipping', code: 'member-free-shipping', kind: 'member_shipping', amount: 1200 },
    ]);
    expect(as(byName('silver'), [], { shipping }).totals.shippingFee).toBe(1200);
  });

  it('a flash sale opens earlier for the tiers it lists, by their minutes', () => {
    const sale = promo(
      { kind: 'flash_sale', sku: 'TEA', price: 9900, stockCap: 10, perCustomerLimit: 2, earlyAccessTiers: ['gold'] },
      { startsAt: '2026-11-25T12:20:00.000Z' }, // 20 minutes after AT
    );
    expect(as(byName('gold'), [sale]).totals.discount).toBe(6000); // gold: 30 minutes early
    expect(as(byName('platinum'), [sale]).totals.discount).toBe(0); // not listed
    const later = { ...sale, startsAt: '2026-11-25T12:40:00.000Z' };
    expect(as(byName('gold'), [later]).totals.discount).toBe(0); // 40 > 30 minutes
  });
});

// The candidate promotions a quote reads (store/pricing.ts candidatePromotions, docs/pricing.md): only
// those that could touch the cart, and leaving the others out never changes the price. Real
// PostgreSQL (the query filters the rules' JSON); the merchant's and the platform's promotions of
// other test files share the database, so the assertions look at this file's promotions only.
import { DEFAULT_MEMBERSHIP } from '../../config';
import { quote, type Promotion } from '../../domain';
import { candidatePromotions, promotionOf, quoteInputOf } from '../../store/pricing';
import { KEYS, useStack } from '../helpers/stack';
import { createProduct, uid } from './api-helpers';

const stack = useStack({ worker: false, env: { PRICING_PROMOTIONS: 'on' } });

const at = new Date();
// Every promotion here is limited to a channel of this file's own: whole-catalog and platform-wide
// rules in force would otherwise price the carts of every other test file running meanwhile.
const CHANNEL = 'pricing-candidates-test';
const inForce = { startsAt: new Date(at.getTime() - 3_600_000), endsAt: new Date(at.getTime() + 3_600_000) };

describe('candidate promotions of a cart', () => {
  test('whole-catalog, in-cart SKUs and in-cart flash sales are read; other SKUs, other merchants and ended ones are not; the price is the same as with all of them', async () => {
    const make = () => createProduct(stack.app, { key: KEYS.manualMerchant, priceAmount: 20000 });
    const [inCart, alsoInCart, notInCart, gift] = [await make(), await make(), await make(), await make()];
    const rules = {
      wholeCatalog: { merchantId: 'm-manual', rule: { kind: 'percent_off', scope: {}, percent: 5 } },
      scopedInCart: {
        merchantId: 'm-manual',
        rule: { kind: 'amount_off', scope: { skus: [notInCart, inCart] }, amount: 300, per: 'unit' },
      },
      giftForCart: {
        merchantId: 'm-manual',
        rule: { kind: 'gift', scope: { skus: [alsoInCart] }, threshold: 100, giftSku: gift, quantity: 1 },
      },
      flashInCart: {
        merchantId: 'm-manual',
        rule: { kind: 'flash_sale', sku: inCart, price: 9900, stockCap: 10, perCustomerLimit: 1 },
      },
      platformSpendSave: {
        merchantId: null,
        rule: { kind: 'spend_save', scope: {}, tiers: [{ threshold: 100, off: 50 }] },
      },
      scopedElsewhere: {
        merchantId: 'm-manual',
        rule: { kind: 'percent_off', scope: { skus: [notInCart] }, percent: 50 },
      },
      flashElsewhere: {
        merchantId: 'm-manual',
        rule: { kind: 'flash_sale', sku: notInCart, price: 100, stockCap: 10, perCustomerLimit: 1 },
      },
      otherMerchant: { merchantId: 'm-demo', rule: { kind: 'percent_off', scope: {}, percent: 50 } },
      ended: { merchantId: 'm-manual', rule: { kind: 'percent_off', scope: {}, percent: 50 }, ended: true },
    };
    const ids = new Map<string, string>();
    for (const [name, p] of Object.entries(rules)) {
      const id = uid('promo-cand');
      ids.set(id, name);
      await stack.db.promotion.create({
        data: {
          id,
          code: id.toUpperCase(),
          name,
          merchantId: p.merchantId,
          rule: p.rule,
          channels: [CHANNEL],
          ...('ended' in p
            ? { startsAt: new Date(at.getTime() - 7_200_000), endsAt: new Date(at.getTime() - 1) }
            : inForce),
        },
      });
    }
    const lines = [
      { sku: inCart, quantity: 2 },
      { sku: alsoInCart, quantity: 1 },
    ];

    const read = await candidatePromotions(stack.db, {
      merchantId: 'm-manual',
      skus: [inCart, alsoInCart],
      at,
      opensBy: at,
    });
    const mine = read.filter((p) => ids.has(p.id)).map((p) => ids.get(p.id));
    expect(mine.sort()).toEqual(['flashInCart', 'giftForCart', 'platformSpendSave', 'scopedInCart', 'wholeCatalog']);

    // The engine over every promotion of the merchant and the platform gives the very same quote.
    const input = await quoteInputOf(stack.db, {
      at,
      channel: CHANNEL,
      customerId: 'cust-candidates',
      province: '上海',
      lines,
      promotions: true,
      membership: DEFAULT_MEMBERSHIP,
    });
    if ('errors' in input) throw new Error(JSON.stringify(input.errors));
    const all = (
      await stack.db.promotion.findMany({ where: { OR: [{ merchantId: 'm-manual' }, { merchantId: null }] } })
    )
      .map(promotionOf)
      .filter((p): p is Promotion => p !== null);
    const everything = quote({ ...input, promotions: all });
    expect(quote(input)).toEqual(everything);
    expect(everything.ok && everything.applied.length).toBeGreaterThan(0);
  });
});

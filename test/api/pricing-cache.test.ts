// The promotion cache (store/promotions.ts, decision 082) on a real PostgreSQL: a promotion created,
// changed or ended — through the API or by hand-written SQL — is seen by the very next quote of this
// process and of another (its own pool and cache); and a quote priced before a change, as any quote
// is by the time it is accepted, cannot take a flash sale past its cap, a budget past its money or an
// ended promotion: acceptance refuses it (409 promotion-exhausted, decision 069).
import { randomUUID } from 'node:crypto';
import type { Quote } from '../../domain';
import { CheckoutRefused, claimCheckout } from '../../store/checkout';
import { createDb, inTransaction, type Db } from '../../store/db';
import { priceCart, type PriceRequest } from '../../store/pricing';
import { PromotionCache } from '../../store/promotions';
import { KEYS, useStack } from '../helpers/stack';
import { createProduct, expectOk, send, uid } from './api-helpers';

const stack = useStack({ worker: false, env: { PRICING_PROMOTIONS: 'on' } });

// Every promotion here is limited to this file's own channel: the database is shared with other files.
const CHANNEL = 'pricing-cache-test';
const window = { startsAt: '2026-01-01T00:00:00Z', endsAt: '2035-01-01T00:00:00Z' };

let other: Db;
let otherCache: PromotionCache;
beforeAll(() => {
  other = createDb(process.env.TEST_DATABASE_URL!, 2); // another process: its own pool and cache
  otherCache = new PromotionCache();
});
afterAll(() => other.$disconnect());

const cart = (sku: string, customerId = uid('cust-cache'), quantity = 1): PriceRequest => ({
  at: new Date(),
  channel: CHANNEL,
  customerId,
  province: '上海',
  lines: [{ sku, quantity }],
  promotions: true,
  membership: stack.config.membership,
});
const priced = async (q: Promise<Quote>) => {
  const r = await q;
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r;
};
/** The cart's discount as this process's API quotes it, and as the other process prices it. */
async function discounts(sku: string): Promise<[number, number]> {
  const here = expectOk(
    await send(stack.app, 'POST', '/v1/quotes', KEYS.platform, {
      channel: CHANNEL,
      customerId: 'cust-cache',
      province: '上海',
      lines: [{ sku, quantity: 1 }],
    }),
  );
  const there = await priced(priceCart(other, cart(sku, 'cust-cache'), otherCache));
  return [here.totals.discount, there.totals.discount];
}
const promotion = async (body: Record<string, unknown>) =>
  expectOk(
    await send(stack.app, 'POST', '/v1/promotions', KEYS.manualMerchant, {
      code: uid('PC').toUpperCase(),
      name: 'cache test',
      channels: [CHANNEL],
      ...window,
      ...body,
    }),
    201,
  );
/** Accepts a quote as submission does: its one transaction takes what it was priced with, or throws. */
const accept = (customerId: string, q: Quote & { ok: true }) =>
  inTransaction(stack.db, (tx) => claimCheckout(tx, `ord_cache_${randomUUID()}`, customerId, q, new Date()));
/** 'accepted', or the CheckoutRefused type the acceptance answered with (409). */
async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    if (err instanceof CheckoutRefused) return err.type;
    throw err;
  }
}

describe('promotion cache', () => {
  test('a promotion created, changed, ended and changed by hand is seen by the next quote here and in another process', async () => {
    const sku = await createProduct(stack.app, { key: KEYS.manualMerchant, priceAmount: 10000 });
    expect(await discounts(sku)).toEqual([0, 0]); // both caches loaded

    const rule = { kind: 'percent_off', scope: { skus: [sku] }, percent: 10 };
    const p = await promotion({ rule });
    expect(await discounts(sku)).toEqual([1000, 1000]);

    const body = { code: p.code, name: 'cache test', channels: [CHANNEL], ...window };
    expectOk(
      await send(stack.app, 'PUT', `/v1/promotions/${p.id}`, KEYS.manualMerchant, {
        ...body,
        rule: { ...rule, percent: 20 },
      }),
    );
    expect(await discounts(sku)).toEqual([2000, 2000]);

    expectOk(await send(stack.app, 'POST', `/v1/promotions/${p.id}/end`, KEYS.manualMerchant));
    expect(await discounts(sku)).toEqual([0, 0]);

    // Not through the API: the version moves on at every write to the table, whoever makes it.
    await other.$executeRaw`UPDATE promotions SET active = true, rule = jsonb_set(rule, '{percent}', '30') WHERE id = ${p.id}`;
    expect(await discounts(sku)).toEqual([3000, 3000]);
  });

  test('a database whose version went back (restored from a backup) is read again, not trusted', async () => {
    const sku = await createProduct(stack.app, { key: KEYS.manualMerchant, priceAmount: 10000 });
    const p = await promotion({ rule: { kind: 'percent_off', scope: { skus: [sku] }, percent: 10 } });
    expect(await discounts(sku)).toEqual([1000, 1000]);
    await other.$transaction([
      other.$executeRaw`UPDATE promotions SET rule = jsonb_set(rule, '{percent}', '40') WHERE id = ${p.id}`,
      other.$executeRaw`UPDATE promotions_version SET version = version - 1000000`,
    ]);
    expect(await discounts(sku)).toEqual([4000, 4000]);
  });

  test('a quote priced before the flash sale sold out is refused at acceptance; the cap holds', async () => {
    const sku = await createProduct(stack.app, { key: KEYS.manualMerchant, priceAmount: 10000 });
    const flash = await promotion({
      rule: { kind: 'flash_sale', sku, price: 5000, stockCap: 2, perCustomerLimit: 1 },
    });
    const late = await priced(priceCart(other, cart(sku, 'cust-late'), otherCache));
    expect(late.totals.discount).toBe(5000);

    for (const customerId of ['cust-first', 'cust-second'])
      expect(await refused(accept(customerId, await priced(priceCart(stack.db, cart(sku, customerId)))))).toBe(
        'accepted',
      );
    expect(await refused(accept('cust-late', late))).toBe('promotion-exhausted');
    expect(await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: flash.id } })).toMatchObject({
      uses: 2,
      units: 2,
    });
    // Priced now, the cart gets no flash price at all.
    expect((await priced(priceCart(other, cart(sku, 'cust-late'), otherCache))).totals.discount).toBe(0);
  });

  test('a quote priced before a budget ran low, or before its promotion ended, is refused at acceptance', async () => {
    const sku = await createProduct(stack.app, { key: KEYS.manualMerchant, priceAmount: 10000 });
    const campaign = await promotion({
      rule: { kind: 'amount_off', scope: { skus: [sku] }, amount: 1000, per: 'order' },
      budgetAmount: 1500,
    });
    const late = await priced(priceCart(other, cart(sku, 'cust-budget-late'), otherCache));
    expect(late.totals.discount).toBe(1000);
    const first = await priced(priceCart(stack.db, cart(sku, 'cust-budget-first')));
    expect(await refused(accept('cust-budget-first', first))).toBe('accepted');
    expect(await refused(accept('cust-budget-late', late))).toBe('promotion-exhausted');
    expect(await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: campaign.id } })).toMatchObject({
      uses: 1,
      amount: 1000,
    });

    const ending = await promotion({
      rule: { kind: 'percent_off', scope: { skus: [sku] }, percent: 8 },
      exclusive: true,
    });
    const before = await priced(priceCart(other, cart(sku, 'cust-ended'), otherCache));
    expect(before.applied).toContain(ending.code);
    expectOk(await send(stack.app, 'POST', `/v1/promotions/${ending.id}/end`, KEYS.manualMerchant));
    expect(await refused(accept('cust-ended', before))).toBe('promotion-exhausted');
  });
});

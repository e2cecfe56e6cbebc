// The demo catalog: two merchants, three warehouses, a handful of products with stock.
// `npm run db:seed` seeds DATABASE_URL; tests and the bench import seedDemoCatalog and the constants.
import type { Db } from '../store/db';

export interface DemoMerchant {
  id: string;
  name: string;
  policy: Record<string, unknown>;
}

export interface DemoWarehouse {
  id: string;
  name: string;
  province: string;
}

export interface DemoProduct {
  sku: string;
  merchantId: string;
  name: string;
  /** Price in fen (CNY minor units). */
  priceAmount: number;
  /** Initial on-hand units per warehouse id; set only when the inventory row does not exist yet. */
  stock: Readonly<Record<string, number>>;
}

export const DEMO_MERCHANT_ID = 'm-demo';
export const MANUAL_MERCHANT_ID = 'm-manual';

export const DEMO_MERCHANTS: readonly DemoMerchant[] = [
  { id: DEMO_MERCHANT_ID, name: 'Demo Store', policy: {} },
  // Orders wait for the merchant to accept them (docs/fulfilment.md: merchant decision with an SLA), and the
  // merchant books the courier itself (POST /v1/orders/{id}/shipments).
  { id: MANUAL_MERCHANT_ID, name: 'Manual Store', policy: { autoAccept: false, autoShip: false } },
];

export const DEMO_WAREHOUSES: readonly DemoWarehouse[] = [
  { id: 'wh-shanghai', name: 'Shanghai Qingpu DC', province: '上海' },
  { id: 'wh-beijing', name: 'Beijing Daxing DC', province: '北京' },
  { id: 'wh-guangzhou', name: 'Guangzhou Baiyun DC', province: '广东' },
];

export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  {
    sku: 'SKU-TEA-001',
    merchantId: DEMO_MERCHANT_ID,
    name: 'West Lake Longjing Green Tea 250g',
    priceAmount: 8800,
    stock: { 'wh-shanghai': 500, 'wh-beijing': 200, 'wh-guangzhou': 150 },
  },
  {
    sku: 'SKU-TEA-002',
    merchantId: DEMO_MERCHANT_ID,
    name: 'Anxi Tieguanyin Oolong 200g',
    priceAmount: 12800,
    stock: { 'wh-shanghai': 300, 'wh-guangzhou': 300 },
  },
  {
    sku: 'SKU-MUG-001',
    merchantId: DEMO_MERCHANT_ID,
    name: 'Jingdezhen Porcelain Tea Cup Set',
    priceAmount: 19900,
    stock: { 'wh-shanghai': 120, 'wh-beijing': 80 },
  },
  {
    sku: 'SKU-RICE-001',
    merchantId: DEMO_MERCHANT_ID,
    name: 'Wuchang Rice 5kg',
    priceAmount: 6990,
    stock: { 'wh-beijing': 400, 'wh-shanghai': 250 },
  },
  {
    sku: 'SKU-SNACK-001',
    merchantId: DEMO_MERCHANT_ID,
    name: 'Cantonese Mooncake Gift Box',
    priceAmount: 16800,
    stock: { 'wh-guangzhou': 200 },
  },
  {
    sku: 'SKU-SAUCE-001',
    merchantId: DEMO_MERCHANT_ID,
    name: 'Lee Kum Kee Premium Oyster Sauce 510g',
    priceAmount: 2590,
    stock: { 'wh-guangzhou': 600, 'wh-shanghai': 400, 'wh-beijing': 300 },
  },
  {
    sku: 'SKU-ELEC-001',
    merchantId: DEMO_MERCHANT_ID,
    name: 'Xiaomi Mi Band Fitness Tracker',
    priceAmount: 24900,
    stock: { 'wh-shanghai': 100, 'wh-beijing': 100, 'wh-guangzhou': 100 },
  },
  // Deliberately scarce: exercises backorders and split shipments.
  {
    sku: 'SKU-SILK-001',
    merchantId: DEMO_MERCHANT_ID,
    name: 'Suzhou Mulberry Silk Scarf',
    priceAmount: 39900,
    stock: { 'wh-shanghai': 5 },
  },
  {
    sku: 'SKU-HAND-001',
    merchantId: MANUAL_MERCHANT_ID,
    name: 'Hand-thrown Yixing Clay Teapot',
    priceAmount: 68800,
    stock: { 'wh-shanghai': 20 },
  },
  {
    sku: 'SKU-HAND-002',
    merchantId: MANUAL_MERCHANT_ID,
    name: 'Hand-embroidered Shu Brocade Pouch',
    priceAmount: 15800,
    stock: { 'wh-beijing': 30, 'wh-guangzhou': 10 },
  },
];

/** SKUs of the demo catalog, m-demo's first. */
export const DEMO_SKUS: readonly string[] = DEMO_PRODUCTS.map((p) => p.sku);
/** SKUs sold by m-demo (auto-accepting merchant). */
export const DEMO_STORE_SKUS: readonly string[] = DEMO_PRODUCTS.filter((p) => p.merchantId === DEMO_MERCHANT_ID).map(
  (p) => p.sku,
);
/** SKUs sold by m-manual (merchant must accept each order). */
export const MANUAL_STORE_SKUS: readonly string[] = DEMO_PRODUCTS.filter(
  (p) => p.merchantId === MANUAL_MERCHANT_ID,
).map((p) => p.sku);

/**
 * Upserts the demo catalog. Idempotent: merchants, warehouses and products are brought back to
 * their demo definition, but an inventory row that already exists is left untouched, so re-running
 * never resets stock that orders have reserved, allocated or shipped.
 */
export async function seedDemoCatalog(db: Db): Promise<void> {
  for (const m of DEMO_MERCHANTS) {
    await db.merchant.upsert({
      where: { id: m.id },
      create: { id: m.id, name: m.name, policy: m.policy as object },
      update: { name: m.name, policy: m.policy as object },
    });
  }
  for (const w of DEMO_WAREHOUSES) {
    await db.warehouse.upsert({
      where: { id: w.id },
      create: { id: w.id, name: w.name, province: w.province },
      update: { name: w.name, province: w.province },
    });
  }
  for (const p of DEMO_PRODUCTS) {
    await db.product.upsert({
      where: { sku: p.sku },
      create: {
        sku: p.sku,
        merchantId: p.merchantId,
        name: p.name,
        priceAmount: p.priceAmount,
        currency: 'CNY',
        active: true,
      },
      update: { merchantId: p.merchantId, name: p.name, priceAmount: p.priceAmount, currency: 'CNY', active: true },
    });
  }
  // Only rows that do not exist yet; existing stock is the live system's business.
  await db.inventory.createMany({
    data: DEMO_PRODUCTS.flatMap((p) =>
      Object.entries(p.stock).map(([warehouseId, onHand]) => ({ sku: p.sku, warehouseId, onHand })),
    ),
    skipDuplicates: true,
  });
}

/**
 * Demo promotions and shipping fees of m-demo (docs/pricing.md), so a quote of the walk-through shows a
 * discount: 满200减20 / 满500减60, 10% off the teas, a gift at 满300, 满99包邮 and a flash sale on the
 * fitness tracker. They price orders unless PRICING_PROMOTIONS=off (the kill switch). Idempotent (fixed ids).
 */
export const DEMO_PROMOTIONS = [
  {
    id: 'promo_demo_manjian',
    code: 'DEMO-MANJIAN',
    name: '满200减20, 满500减60',
    priority: 10,
    exclusive: false,
    rule: {
      kind: 'spend_save',
      scope: {},
      tiers: [
        { threshold: 20000, off: 2000 },
        { threshold: 50000, off: 6000 },
      ],
      perEvery: false,
    },
  },
  {
    id: 'promo_demo_tea',
    code: 'DEMO-TEA-10',
    name: 'Teas 10% off',
    priority: 20,
    exclusive: false,
    rule: { kind: 'percent_off', scope: { skus: ['SKU-TEA-001', 'SKU-TEA-002'] }, percent: 10 },
  },
  {
    id: 'promo_demo_gift',
    code: 'DEMO-GIFT',
    name: '满300 gift: oyster sauce',
    priority: 5,
    exclusive: false,
    rule: { kind: 'gift', scope: {}, threshold: 30000, giftSku: 'SKU-SAUCE-001', quantity: 1 },
  },
  {
    id: 'promo_demo_baoyou',
    code: 'DEMO-BAOYOU',
    name: '满99包邮',
    priority: 0,
    exclusive: false,
    rule: { kind: 'free_shipping', threshold: 9900 },
  },
  {
    id: 'promo_demo_flash',
    code: 'DEMO-FLASH',
    name: 'Mi Band flash sale ¥199',
    priority: 50,
    exclusive: true,
    rule: { kind: 'flash_sale', sku: 'SKU-ELEC-001', price: 19900, stockCap: 50, perCustomerLimit: 1 },
  },
] as const;

export async function seedDemoPromotions(db: Db): Promise<void> {
  const window = { startsAt: new Date('2026-01-01T00:00:00+08:00'), endsAt: new Date('2030-01-01T00:00:00+08:00') };
  for (const p of DEMO_PROMOTIONS) {
    const data = {
      code: p.code,
      merchantId: DEMO_MERCHANT_ID,
      name: p.name,
      priority: p.priority,
      exclusive: p.exclusive,
      rule: p.rule as object,
      active: true,
      ...window,
    };
    await db.promotion.upsert({ where: { id: p.id }, create: { id: p.id, ...data }, update: data });
  }
  const rate = { defaultFee: 1000, byProvince: { 上海: 600, 北京: 800 }, freeAbove: null };
  await db.shippingRate.upsert({
    where: { merchantId: DEMO_MERCHANT_ID },
    create: { merchantId: DEMO_MERCHANT_ID, ...rate },
    update: rate,
  });
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      'DATABASE_URL is not set, e.g. DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/orders npm run db:seed',
    );
    process.exit(2);
  }
  const { createDb } = await import('../store/db');
  const db = createDb(url, 1);
  try {
    await seedDemoCatalog(db);
    await seedDemoPromotions(db);
    console.log(
      `Seeded ${DEMO_MERCHANTS.length} merchants, ${DEMO_WAREHOUSES.length} warehouses, ${DEMO_PRODUCTS.length} products, ${DEMO_PROMOTIONS.length} promotions ` +
        `(existing stock left as is).`,
    );
  } finally {
    await db.$disconnect();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

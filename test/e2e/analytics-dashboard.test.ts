import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { KEYS, startStack, type Stack } from '../helpers/stack';
import {
  plantAfterSales,
  plantMerchant,
  plantOrder,
  plantPayment,
  plantShipment,
  rid,
  setLine,
  setStatus,
} from '../helpers/analytics-rows';

// The analytics dashboard (/console/analytics) in headless Chromium against the real API listening on
// a port: planted months of one merchant drawn as the sales trend, funnel, top products, after-sales
// reasons and stock cover. DOCS_SCREENSHOTS=1 also refreshes docs/analytics-dashboard.png.
const stack = {} as Stack;
const OUTPUT = path.join(__dirname, '..', '..', 'test-output');
const CHROMIUM = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].find((p): p is string => Boolean(p) && existsSync(p!));
const MISSING = 'No Chromium for the dashboard test: apt-get install chromium, or set CHROMIUM_PATH';
if (!CHROMIUM && !process.env.CI) console.warn(`SKIPPED: ${MISSING}`);
const browserTest = CHROMIUM || process.env.CI ? test : test.skip;

let browser: Browser;
let base: string;
const M = rid('m-dash');

/** 60 days of orders in early 2020 (a period no other test writes), with returns, and current stock. */
async function plant(): Promise<void> {
  const { db } = stack;
  await plantMerchant(db, M);
  const skus = ['TEA', 'CUP', 'POT', 'MAT', 'SPOON'].map((s) => `${M}-${s}`);
  for (const [i, sku] of skus.entries())
    await db.product.create({
      data: { sku, merchantId: M, name: `Product ${sku.slice(-5)}`, priceAmount: 1000 * (i + 1) },
    });
  for (let d = 0; d < 60; d++)
    for (let k = 0; k < 1 + (d % 4); k++) {
      const sku = skus[(d + k) % skus.length];
      const createdAt = new Date(Date.parse('2020-02-01T02:00:00Z') + d * 86_400_000 + k * 3_600_000);
      const id = await plantOrder(db, {
        merchantId: M,
        createdAt,
        lines: [{ sku, quantity: 1 + (k % 3), unitPrice: 1000 }],
      });
      if ((d + k) % 9 === 0) {
        await setStatus(db, id, 'cancelled', k % 2 ? 'customer changed mind' : 'payment window ended');
        continue;
      }
      await plantPayment(db, id, 1000);
      await plantShipment(db, {
        orderId: id,
        seq: 1,
        warehouseId: 'wh-shanghai',
        courier: 'sf-express',
        createdAt,
        pickedUpAt: createdAt,
        deliveredAt: createdAt,
        lines: [{ lineNo: 1, sku, quantity: 1 }],
      });
      await setLine(db, id, 1, { allocated: 1, shipped: 1, delivered: 1 });
      if ((d + k) % 7 === 0)
        await plantAfterSales(db, {
          orderId: id,
          merchantId: M,
          type: 'return',
          reason: ['defective', 'wrong_item', 'damaged_in_transit'][d % 3],
          lines: [{ lineNo: 1, sku, quantity: 1 }],
        });
      if (d % 10 === 0) await setStatus(db, id, 'completed');
    }
  for (const [i, sku] of skus.entries()) {
    await db.inventory.create({ data: { sku, warehouseId: 'wh-shanghai', onHand: i * 15 } });
    const createdAt = new Date(Date.now() - 3 * 86_400_000);
    const id = await plantOrder(db, {
      merchantId: M,
      createdAt,
      lines: [{ sku, quantity: 20 + i * 5, unitPrice: 1000 }],
    });
    await plantShipment(db, {
      orderId: id,
      seq: 1,
      warehouseId: 'wh-shanghai',
      courier: 'yto',
      createdAt,
      lines: [{ lineNo: 1, sku, quantity: 20 + i * 5 }],
    });
  }
}

beforeAll(async () => {
  if (!CHROMIUM) {
    if (process.env.CI) throw new Error(MISSING);
    return;
  }
  Object.assign(stack, await startStack({ worker: false }));
  base = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  mkdirSync(OUTPUT, { recursive: true });
  await plant();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack.stop?.();
});

browserTest(
  'the dashboard draws every chart from the API with Chart.js served by the engine',
  async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(`${base}/console/analytics`);
    await page.fill('#key', KEYS.support);
    await page.fill('#from', '2020-02-01');
    await page.fill('#to', '2020-04-01');
    await page.fill('#merchantId', M);
    await page.click('#filters button[type=submit]');
    await page.waitForSelector('body[data-loaded=true]', { timeout: 30_000 });
    expect(await page.textContent('#error')).toBe('');
    // Every canvas holds a Chart.js chart with data.
    const drawn = await page.evaluate(() =>
      ['sales', 'funnel', 'top', 'reasons', 'cover'].map((id) => {
        const chart = (
          globalThis as unknown as { Chart: { getChart(id: string): { data: { labels: unknown[] } } } }
        ).Chart.getChart(id);
        return [id, chart?.data.labels.length ?? 0];
      }),
    );
    expect(drawn).toEqual([
      ['sales', 60],
      ['funnel', 7],
      ['top', 5],
      ['reasons', 3],
      ['cover', 5],
    ]);
    expect(await page.locator('#cover-rows tr').count()).toBe(5);
    expect(await page.locator('#cover-rows td.stockout, #cover-rows td.critical').count()).toBeGreaterThan(0);
    expect(failed).toEqual([]);
    const shot = path.join(OUTPUT, 'analytics-dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.DOCS_SCREENSHOTS)
      copyFileSync(shot, path.join(__dirname, '..', '..', 'docs', 'analytics-dashboard.png'));
    await page.close();
  },
  120_000,
);

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { eventually, expectOk, send } from '../api/api-helpers';
import { KEYS, OUTBOX_TURN_TIMEOUT_MS, startStack, submitOrder, type Stack } from '../helpers/stack';
import { startReceiver } from '../helpers/webhook-receiver';

// The console's failed webhook deliveries (docs/notifications.md, "Delivery log and redelivery") in a
// real headless Chromium against the real stack: a failed delivery is listed with its last answer,
// and its Redeliver button sends the same webhook-id again to a real receiver on 127.0.0.1.
const stack = {} as Stack;
const OUTPUT = path.join(__dirname, '..', '..', 'test-output');
const CHROMIUM = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].find((p): p is string => Boolean(p) && existsSync(p!));
if (!CHROMIUM && !process.env.CI)
  console.warn('SKIPPED: no Chromium for the console browser test (see test/e2e/console.test.ts)');
const browserTest = CHROMIUM || process.env.CI ? test : test.skip;

let browser: Browser;
let base: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  if (!CHROMIUM) {
    if (process.env.CI) throw new Error('no Chromium for the console browser test');
    return;
  }
  Object.assign(stack, await startStack({ dispatchers: ['webhooks'] }));
  receiver = await startReceiver();
  base = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(OUTPUT, { recursive: true });
}, OUTBOX_TURN_TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  await receiver?.stop();
  await stack.stop?.();
});

browserTest(
  'support sees a failed delivery with its last answer and redelivers it (same webhook-id)',
  async () => {
    const hook = '/console-hook';
    receiver.always(hook, 503);
    const sub = expectOk(
      await send(stack.app, 'POST', '/v1/webhook-subscriptions', KEYS.support, {
        url: receiver.url(hook),
        eventTypes: ['order.submitted'],
      }),
      201,
    );
    const { body } = await submitOrder(stack.app);
    const eventId = `evt_${body.id}_1`;
    // Planted: the first attempt answered 503, then the delivery is taken as failed for good.
    const delivery = await eventually(
      () => stack.db.webhookDelivery.findFirst({ where: { subscriptionId: sub.id, eventId } }),
      (d) => (d?.lastStatusCode ?? 0) === 503,
      'a first failed attempt',
    );
    // Only between two attempts: a retry here waits at most 1 s, a claimed attempt holds a lease of 31 s.
    // Else an attempt in flight could reach the receiver after it turns to 200: a success besides the
    // redelivery's (CI saw two once).
    await eventually(
      () => stack.db.$executeRaw`UPDATE webhook_deliveries SET status = 'failed'
        WHERE id = ${delivery!.id} AND status IN ('pending', 'failed') AND next_attempt_at < now() + interval '5 seconds'`,
      (planted) => planted === 1,
      'the failure planted between two attempts',
    );
    receiver.always(hook, 200);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${base}/console`);
      await page.fill('#key', KEYS.support);
      await page.click('#key-form button[type=submit]');
      const row = page.locator(`#webhooks-list li[data-event="${eventId}"]`);
      await row.waitFor({ timeout: 15_000 });
      expect(await row.textContent()).toMatch(/HTTP 503/);
      await page.screenshot({ path: path.join(OUTPUT, 'console-webhooks.png'), fullPage: true });
      await row.locator('button', { hasText: 'Redeliver' }).click();
      // Page-side expression (evaluated in the browser): the status line names the event once queued.
      await page.waitForFunction(`document.getElementById('webhooks-status').textContent.includes('${eventId}')`);
      await eventually(
        async () => receiver.received.filter((r) => r.id === eventId && r.okAt).length,
        (n) => n === 1,
        'the redelivery at the receiver',
      );
      await eventually(
        () => stack.db.webhookDelivery.findUniqueOrThrow({ where: { id: delivery!.id } }),
        (d) => d.status === 'delivered',
        'the delivery recorded as delivered',
      );
    } finally {
      await page.close();
      await stack.db.webhookSubscription.update({ where: { id: sub.id }, data: { enabled: false } });
    }
  },
  60_000,
);

// The worker's queue gauges (outbound webhooks, analytics backlog and lag), on a scratch database of
// their own: the run's shared one has other files' deliveries and marks coming and going.
import { applyMigrations } from '../../scripts/migrations';
import { createDb, type Db } from '../../store/db';
import { businessRegistry } from '../../workers/metrics';
import { scratchDatabase } from '../helpers/scratch-database';

const HOUR = 3600;
const thresholds = { STUCK_WAIT_GRACE_SECONDS: HOUR, STUCK_TRACKING_SILENCE_SECONDS: HOUR, STUCK_REFUND_SECONDS: HOUR };

let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  const scratch = await scratchDatabase('gauges_test');
  drop = scratch.drop;
  await applyMigrations(scratch.url);
  db = createDb(scratch.url, 2);
});

afterAll(async () => {
  await db?.$disconnect();
  await drop?.();
});

/** `name{labels} value` lines of the gauges this file is about, as a map. */
async function gauges(): Promise<Record<string, number>> {
  const text = await businessRegistry(db, thresholds).metrics();
  const lines = text.matchAll(/^((?:webhook_deliveries|analytics_\w+)(?:\{[^}]*\})?) (\S+)$/gm);
  return Object.fromEntries([...lines].map(([, name, value]) => [name, Number(value)]));
}

/** One event of a made-up order to one subscription, delivered or not as `statuses` say (one delivery each). */
async function plantDeliveries(statuses: string[]): Promise<void> {
  for (const [i, status] of statuses.entries()) {
    const sub = `whsub_${i}`;
    await db.$executeRaw`INSERT INTO webhook_subscriptions (id, owner_role, owner_name, url, event_types, secret)
      VALUES (${sub}, 'platform', 'p', 'https://example.test/hook', ARRAY['order.submitted'], 'whsec_x')`;
    await db.$executeRaw`INSERT INTO outbound_events (id, order_id, merchant_id, seq, type, occurred_at, payload)
      VALUES (${`evt_o_${i}`}, 'o', 'm', ${i}, 'order.submitted', now(), '{}')`;
    await db.$executeRaw`INSERT INTO webhook_deliveries (subscription_id, event_id, order_id, seq, status)
      VALUES (${sub}, ${`evt_o_${i}`}, 'o', ${i}, ${status})`;
  }
}

test('empty queues read 0, each undelivered status named', async () => {
  expect(await gauges()).toEqual({
    'webhook_deliveries{status="pending"}': 0,
    'webhook_deliveries{status="parked"}': 0,
    'webhook_deliveries{status="failed"}': 0,
    analytics_backlog_orders: 0,
    analytics_lag_seconds: 0,
  });
});

test('deliveries are counted by status, delivered ones left out; the analytics lag is the age of the oldest mark', async () => {
  await plantDeliveries(['pending', 'pending', 'parked', 'failed', 'delivered', 'delivered']);
  // Two orders queued, one of them twice (a mark per write); the oldest mark is two hours old.
  await db.$executeRaw`INSERT INTO analytics_dirty (order_id, marked_at)
    VALUES ('a', now() - interval '2 hours'), ('a', now()), ('b', now() - interval '10 minutes')`;

  const read = await gauges();
  expect(read).toMatchObject({
    'webhook_deliveries{status="pending"}': 2,
    'webhook_deliveries{status="parked"}': 1,
    'webhook_deliveries{status="failed"}': 1,
    analytics_backlog_orders: 2,
  });
  expect(read.analytics_lag_seconds).toBeGreaterThanOrEqual(2 * HOUR);
  expect(read.analytics_lag_seconds).toBeLessThan(2 * HOUR + 60);
});

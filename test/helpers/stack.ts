import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { webhookSecret } from '../../adapters/secrets';
import { signWebhook } from '../../adapters/signing';
import { createSimulatedProviders, type SimulatedProviders } from '../../adapters/simulators';
import { buildApp } from '../../api/app';
import { loadConfig, type Config, type PayloadKeys } from '../../config';
import type { OrderStatus, TrackingEventType } from '../../domain';
import { createDb, type Db } from '../../store/db';
import { alignDeliveries } from '../../store/outbound-events';
import { encryptedDataConverter } from '../../platform/codec';
import type { Tracing } from '../../platform/telemetry';
import { startNotificationDispatcher, type DispatcherOptions } from '../../workers/notifications';
import type { NotifierOptions } from '../../adapters/simulators';
import { createWebhookDispatcher, webhookDispatcherOptions } from '../../workers/webhooks';
import { createWorker } from '../../workers/worker';
import { Client as PgClient } from 'pg';
import { orderBody } from './order-body';
import { installQuietRuntime } from './quiet-runtime';

export { orderBody };

installQuietRuntime();

export const KEYS = {
  platform: 'dev-platform-key',
  merchant: 'dev-merchant-key',
  manualMerchant: 'dev-manual-merchant-key',
  support: 'dev-support-key',
  logistics: 'dev-logistics-key',
} as const;

type Outbox = 'notifications' | 'webhooks';

export interface StackOptions {
  /** false: start the worker later with stack.startWorker(). */
  worker?: boolean;
  /** Extra environment for the API's configuration (e.g. API_KEYS). */
  env?: NodeJS.ProcessEnv;
  /** Payload codec keys of this stack's client and worker (default: the configured ones). */
  payloadKeys?: PayloadKeys;
  /** Join an existing task queue (e.g. a second stack taking over the first one's orders). */
  taskQueue?: string;
  /**
   * The outbox dispatchers this stack runs beside its worker (default none). They claim any due row of
   * the run's one shared database, so a file that tests delivery must not have other files' dispatchers
   * (with other simulators and settings) sending its rows: only files that test delivery start them,
   * and such files take turns (takeOutboxTurn), one per kind of outbox at a time.
   */
  dispatchers?: Outbox[];
  /** Outboxes whose rows this file reads or changes by hand: no other file dispatches them meanwhile. */
  quietOutboxes?: Outbox[];
  /** The notification dispatcher's timeouts and scans (test/api/notices.test.ts). */
  dispatcher?: Omit<DispatcherOptions, 'db' | 'notifiers'>;
  /** The simulated SMS / email / in-app gateways' faults. */
  notifier?: Omit<NotifierOptions, 'latencyMs' | 'random'>;
  /** OpenTelemetry on (platform/tracing.ts): API hook, client and worker interceptors, span sink. */
  tracing?: Tracing;
  /** Another workflow bundle than the run's (one built with the tracing interceptors module). */
  workflowBundle?: string;
}

export interface Stack {
  /** The API's configuration (payload keys included). */
  config: Config;
  db: Db;
  app: FastifyInstance;
  client: Client;
  providers: SimulatedProviders;
  taskQueue: string;
  /** Starts this file's in-process worker (already running unless startStack({ worker: false })). */
  startWorker(): Promise<void>;
  /** Stops it (drains it), e.g. to make an order's timers go unanswered; startWorker() brings it back. */
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real engine for one test file: its own task queue and worker on the run's Temporal dev server,
 * the run's PostgreSQL database, the simulators, and the API (used through app.inject()).
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const outboxes = [...new Set([...(opts.dispatchers ?? []), ...(opts.quietOutboxes ?? [])])];
  const turn = await takeOutboxTurn(process.env.TEST_DATABASE_URL!, outboxes);
  try {
    const stack = await startEngine(opts);
    return {
      ...stack,
      async stop() {
        await stack.stop().finally(() => turn.release());
      },
    };
  } catch (err) {
    await turn.release();
    throw err;
  }
}

async function startEngine(opts: StackOptions): Promise<Stack> {
  const address = process.env.TEST_TEMPORAL_ADDRESS!;
  const databaseUrl = process.env.TEST_DATABASE_URL!;
  const taskQueue = opts.taskQueue ?? `test-${randomUUID()}`;
  const config = loadConfig({
    // Every file's stack delivers outbound events from the one test database, so all share these:
    // receivers in tests listen on 127.0.0.1, and retries come fast (docs/testing.md).
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s',
    WEBHOOK_TIMEOUT_MS: '1000',
    WEBHOOK_DISPATCH_INTERVAL_MS: '100',
    // Promotions are rows of the one shared database: a file that does not opt in prices at list, so
    // other files' promotions never price its orders (docs/testing.md).
    PRICING_PROMOTIONS: 'off',
    ...opts.env,
    TASK_QUEUE: taskQueue,
    TEMPORAL_ADDRESS: address,
    DATABASE_URL: databaseUrl,
  });
  const payloadKeys = opts.payloadKeys ?? config.payloadKeys;
  const db = createDb(databaseUrl, 8);
  const connection = await Connection.connect({ address });
  // Clients and workers encrypt payloads exactly as the engine's processes do (platform/codec.ts).
  const client = new Client({
    connection,
    dataConverter: encryptedDataConverter(payloadKeys),
    interceptors: opts.tracing?.clientInterceptors,
  });
  // Wallet simulators "post" their signed notifications straight into the API under test.
  const providers = createSimulatedProviders(db, {
    webhookBaseUrl: 'http://engine.test',
    latencyMs: [0, 2],
    refundDelayMs: [5, 60],
    // No random courier timeouts (YTO's profile has 5 %): tests plant the failures they need, and
    // test/unit/simulators.test.ts covers the failure rate itself.
    courierFailureRate: 0,
    notifier: opts.notifier,
    deliver: async (url, body, headers) => {
      const res = await app.inject({ method: 'POST', url: new URL(url).pathname, payload: body, headers });
      return { status: res.statusCode };
    },
  });
  const nativeConnection = await NativeConnection.connect({ address });
  let stopWorker = async () => undefined as void;
  const startWorker = async () => {
    const worker = await createWorker({
      connection: nativeConnection,
      taskQueue,
      db,
      providers,
      payloadKeys,
      membership: config.membership,
      workflowBundle: { codePath: opts.workflowBundle ?? process.env.TEST_WORKFLOW_BUNDLE! },
      tracing: opts.tracing,
      // Memory is not what the suite measures: a file's hundreds of open orders (flash sale) stay cached
      // as before the production default was sized for 400 MB (docs/operations.md, "Worker cache").
      maxCachedWorkflows: 500,
    });
    const running = worker.run();
    const wanted = opts.dispatchers ?? [];
    const dispatchers = [
      ...(wanted.includes('notifications')
        ? [await caughtUp(startNotificationDispatcher({ ...opts.dispatcher, db, notifiers: providers.notifiers }), db)]
        : []),
      ...(wanted.includes('webhooks') ? [await caughtUpWebhookDispatcher(db, config)] : []),
    ];
    stopWorker = async () => {
      stopWorker = async () => undefined;
      await Promise.all(dispatchers.map((d) => d.stop()));
      worker.shutdown();
      await running;
    };
  };
  if (opts.worker !== false) await startWorker();
  const stackConfig = { ...config, payloadKeys };
  // Declared after the simulators that post into it: they only post once orders run.
  const app = await buildApp({ config: stackConfig, db, temporal: client }, { tracer: opts.tracing?.tracer });
  return {
    config: stackConfig,
    db,
    app,
    client,
    providers,
    taskQueue,
    startWorker,
    stopWorker: () => stopWorker(),
    async stop() {
      // Refund notifications still scheduled would post into a closed API and keep Jest's worker alive.
      await Promise.all(Object.values(providers.wallets).map((w) => w.notificationsSettled()));
      await app.close();
      await stopWorker();
      await nativeConnection.close();
      await connection.close();
      await db.$disconnect();
    },
  };
}

/**
 * A webhook dispatcher that has first fanned out every event written while no file ran one (other
 * files' orders, possibly thousands), so this file's events are not queued behind them. Deliveries
 * of subscriptions earlier files disabled by hand (each got every order's events while it lived) are
 * parked, as disabling through the API parks them: every claim would scan past them.
 */
async function caughtUpWebhookDispatcher(db: Db, config: Config) {
  const dispatcher = createWebhookDispatcher({ db, ...webhookDispatcherOptions(config) });
  while ((await dispatcher.fanOut(1000)) > 0);
  await alignDeliveries(db);
  dispatcher.start();
  return dispatcher;
}

/**
 * Returns the notification dispatcher once it has sent (or scheduled again) every notice that was
 * due when it started: other files' notices, written while no file ran one, would otherwise be sent
 * before this file's.
 */
async function caughtUp<D>(dispatcher: D, db: Db): Promise<D> {
  const started = new Date();
  const deadline = Date.now() + OUTBOX_TURN_TIMEOUT_MS / 2;
  while (
    Date.now() < deadline &&
    (await db.notification.count({ where: { status: 'pending', nextAttemptAt: { lte: started } } })) > 0
  )
    await new Promise((r) => setTimeout(r, 100));
  return dispatcher;
}

/** How long a file may wait for its turn at the outbox: other files' whole runs (see useStack). */
export const OUTBOX_TURN_TIMEOUT_MS = 10 * 60_000;

/**
 * Waits until no other test file runs a dispatcher of these kinds, and holds them until released:
 * one session-level advisory lock per kind, on a connection of its own, so a crashed file frees it.
 */
async function takeOutboxTurn(databaseUrl: string, kinds: readonly string[]) {
  if (kinds.length === 0) return { release: async () => undefined };
  const session = new PgClient({ connectionString: databaseUrl });
  await session.connect();
  // Sorted, so two files wanting both kinds cannot each hold one and wait for the other.
  for (const kind of [...kinds].sort())
    await session.query('SELECT pg_advisory_lock(hashtext($1))', [`test-outbox-dispatcher:${kind}`]);
  return { release: () => session.end() };
}

/**
 * The stack of one test file: started before its tests, stopped after them. The object is filled in
 * by `beforeAll`, so read its fields inside hooks and tests.
 */
export function useStack(opts: StackOptions = {}): Stack {
  const stack = {} as Stack;
  beforeAll(async () => {
    Object.assign(stack, await startStack(opts));
  }, OUTBOX_TURN_TIMEOUT_MS);
  afterAll(() => stack.stop?.());
  return stack;
}

export const auth = (key: string) => ({ authorization: `Bearer ${key}` });
/** auth() with a fresh Idempotency-Key, for a write that requires one (docs/api.md, "Idempotency"). */
export const keyed = (key: string) => ({ ...auth(key), 'idempotency-key': randomUUID() });

export async function submitOrder(
  app: FastifyInstance,
  body: Record<string, unknown> = orderBody(),
  key = randomUUID(),
) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...auth(KEYS.platform), 'idempotency-key': key },
    payload: body,
  });
  return { res, body: res.json(), key };
}

export async function getOrder(app: FastifyInstance, id: string, key: string = KEYS.support) {
  const res = await app.inject({ method: 'GET', url: `/v1/orders/${id}`, headers: auth(key) });
  return res.json();
}

/**
 * Awaits many orders reaching one of `statuses`, reading all their statuses in one query per pass
 * (polling each through the API would share the worker's connection pool with hundreds of readers and
 * starve the very orders being awaited), then returns each order as the API shows it.
 */
export async function waitForOrders(
  app: FastifyInstance,
  db: Db,
  ids: string[],
  statuses: OrderStatus[],
  timeoutMs: number,
): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  let waiting = ids;
  while (waiting.length > 0 && Date.now() < deadline) {
    const rows = await db.order.findMany({ where: { id: { in: waiting } }, select: { id: true, status: true } });
    const done = new Set(rows.filter((r) => statuses.includes(r.status as OrderStatus)).map((r) => r.id));
    waiting = waiting.filter((id) => !done.has(id));
    if (waiting.length > 0) await new Promise((r) => setTimeout(r, 500));
  }
  if (waiting.length > 0) {
    const stuck = await Promise.all(waiting.slice(0, 3).map((id) => getOrder(app, id)));
    const seen = stuck.map((o) => ({ id: o.id, status: o.status, pending: o.pendingDecision }));
    throw new Error(`${waiting.length} orders did not reach ${statuses.join('/')}; e.g. ${JSON.stringify(seen)}`);
  }
  const orders = [];
  for (const id of ids) orders.push(await getOrder(app, id));
  return orders;
}

/** Awaits a condition on the order (polling the API), failing with the last state seen. */
export async function waitForOrder(
  app: FastifyInstance,
  id: string,
  done: (order: any) => boolean,
  timeoutMs = 20_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = await getOrder(app, id);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `order ${id} did not reach the expected state; last: ${JSON.stringify({ status: last?.status, pending: last?.pendingDecision, shipments: last?.shipments })}`,
  );
}

export const waitForStatus = (app: FastifyInstance, id: string, status: OrderStatus, timeoutMs?: number) =>
  waitForOrder(app, id, (o) => o.status === status, timeoutMs);

/** Posts a courier's signed tracking event, as the logistics adapter would. */
export async function postTracking(
  app: FastifyInstance,
  courier: string,
  event: {
    trackingNumber: string;
    type: TrackingEventType;
    eventId?: string;
    occurredAt?: string;
    signedBy?: string;
    codCollected?: { amount: number; currency: string };
  },
  opts: { secret?: string; timestamp?: number } = {},
) {
  const payload = JSON.stringify({
    eventId: event.eventId ?? randomUUID(),
    occurredAt: event.occurredAt ?? new Date().toISOString(),
    location: 'Shanghai hub',
    ...event,
  });
  const signature = signWebhook(opts.secret ?? webhookSecret(courier), payload, opts.timestamp);
  return app.inject({
    method: 'POST',
    url: `/v1/webhooks/logistics/${courier}`,
    headers: { 'content-type': 'application/json', 'x-signature': signature },
    payload,
  });
}

/**
 * Awaits every parcel of an auto-shipped order booked: from then on the order is quiet (it publishes
 * nothing more) until a courier's event, a decision or a timer moves it.
 */
export const waitForBooked = (app: FastifyInstance, id: string) =>
  waitForOrder(app, id, (o) => o.shipments.length > 0 && o.shipments.every((s: any) => s.trackingNumber));

/** Drives every shipment of an order from pick-up to delivery. */
export async function deliverAll(
  app: FastifyInstance,
  id: string,
  extra: (shipment: any) => Record<string, unknown> = () => ({}),
) {
  const order = await waitForBooked(app, id);
  for (const s of order.shipments) {
    for (const type of ['picked_up', 'in_transit', 'out_for_delivery'] as const)
      expect((await postTracking(app, s.courier, { trackingNumber: s.trackingNumber, type })).statusCode).toBe(200);
    expect(
      (
        await postTracking(app, s.courier, {
          trackingNumber: s.trackingNumber,
          type: 'delivered',
          signedBy: '张三',
          ...extra(s),
        })
      ).statusCode,
    ).toBe(200);
  }
  return waitForOrder(
    app,
    id,
    (o) => o.status === 'delivered' && o.pendingDecision?.awaiting === 'receipt_confirmation',
  );
}

/**
 * The load: whole order lifecycles driven through the HTTP API only — through the typed client
 * generated from /openapi.json (api-client/), so the benchmark breaks at compile time when the
 * contract changes — started open-loop at the target rate with bounded in-flight work:
 *
 *   POST /v1/orders → (wechat_pay: signed payment.succeeded webhook) → the outbound event showing
 *   every shipment with a tracking number (`shipment.booked`) → signed courier webhooks picked_up,
 *   in_transit, out_for_delivery, delivered → `order.delivered` → POST /v1/orders/{id}/confirm-receipt
 *   → status completed.
 *
 * The driver learns each state from the outbound events its subscribed receiver gets (receiver.ts),
 * as a platform would; it polls GET /v1/orders/{id} only when an awaited event has not come within
 * opts.eventTimeoutMs, and counts those fallbacks (they should be 0).
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { bearer, createApiClient, type ApiClient, type operations, type Schemas } from '../api-client';
import { webhookSecret } from '../adapters/secrets';
import { signWebhook } from '../adapters/signing';
import { DEMO_STORE_SKUS } from '../scripts/seed';
import { lightTransport } from './http';
import { diagnose, Metrics, type Kind } from './metrics';
import { opts } from './options';
import { EventReceiver, type Snapshot } from './receiver';
import { log, round, sleep } from './util';

export const KEYS = { platform: 'dev-platform-key', support: 'dev-support-key' } as const;
const TRACKING_STEPS = ['picked_up', 'in_transit', 'out_for_delivery', 'delivered'] as const;
const TERMINAL_OTHER = new Set(['cancelled', 'rejected']);
// Every SKU of the auto-accepting demo merchant (stock raised, so the scarce one is fine too).
const SKUS = DEMO_STORE_SKUS;
const PROVINCES = [
  { province: '上海', city: '上海市', district: '浦东新区', postalCode: '200120' },
  { province: '北京', city: '北京市', district: '大兴区', postalCode: '102600' },
  { province: '广东', city: '广州市', district: '白云区', postalCode: '510080' },
];

export interface OrderRun {
  method: 'card' | 'wechat_pay';
  startedAt: number;
  orderId?: string;
  /** performance.now() when each stage ended: submitted, paid (wechat), tracking, webhooks, delivered, completed. */
  marks: Partial<Record<Mark, number>>;
  completedAt?: number;
  lastStatus?: string;
  failure?: string;
  shipments?: number;
  stage: string;
  /** `<kind> <status>` of every 5xx this order's requests got. */
  serverErrors: string[];
}
type SubmitOrder = NonNullable<operations['submitOrder']['requestBody']>['content']['application/json'];
type PaymentEvent = NonNullable<operations['notifyPayment']['requestBody']>['content']['application/json'];
type TrackingEvent = NonNullable<operations['notifyTracking']['requestBody']>['content']['application/json'];
type TrackingCourier = operations['notifyTracking']['parameters']['path']['courier'];
type Mark = 'submitted' | 'paid' | 'tracking' | 'webhooks' | 'delivered' | 'completed';

class HttpError extends Error {
  constructor(
    readonly kind: Kind,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${kind} → ${status || 'network error'} ${body.slice(0, 300)}`);
  }
}

type Order = Schemas['OrderDetail'];
/** What every openapi-fetch call resolves to: the typed data of a 2xx, the problem otherwise. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

const retryable = (err: unknown) => err instanceof HttpError && (err.status >= 500 || err.status === 0);

export class Driver {
  readonly runs: OrderRun[] = [];
  readonly metrics = new Metrics();
  inFlight = 0;
  skipped = 0;
  private readonly abort = new AbortController();
  aborted = false;
  private readonly api: ApiClient;
  readonly events = new EventReceiver();
  /** `<stage>` → how often an awaited event did not come in time and the driver polled instead. */
  readonly fallbacks = new Map<string, number>();

  constructor(apiUrl: string) {
    // Every request and waiter listens on this one signal, so no listener limit applies.
    setMaxListeners(0, this.abort.signal);
    this.api = createApiClient(apiUrl, lightTransport);
  }

  /** Starts the receiver and subscribes it to every event: before any order, so none is missed. */
  async subscribe(): Promise<void> {
    await this.events.listen();
    const id = await this.events.subscribe(this.api, KEYS.platform);
    log(`receiver ${this.events.url} subscribed (${id})`);
  }

  stopAll() {
    this.aborted = true;
    this.abort.abort();
  }

  /** Aborts what is still in flight and gives it a moment to record how far it got. */
  async stopAndSettle(ms = 5000) {
    if (this.inFlight === 0) return;
    this.stopAll();
    const until = performance.now() + ms;
    while (this.inFlight > 0 && performance.now() < until) await sleep(50);
  }

  /** One typed call (`send` gets the abort signal), timed and counted; a non-2xx answer throws HttpError. */
  private async request<T>(run: OrderRun, kind: Kind, send: (signal: AbortSignal) => Promise<Answer<T>>): Promise<T> {
    const t0 = performance.now();
    let status = 0;
    let text = '';
    let data: T | undefined;
    try {
      const res = await send(this.abort.signal);
      status = res.response.status;
      data = res.data;
      if (res.error !== undefined) text = JSON.stringify(res.error);
    } catch (err) {
      if (this.aborted) throw new Error('aborted');
      text = (err as Error).message;
    }
    const ms = performance.now() - t0;
    if (this.metrics.recording) {
      this.metrics.latency[kind].push(ms);
      if (status < 200 || status >= 300) this.metrics.error(kind, status);
    }
    if (status >= 500) run.serverErrors.push(`${kind} ${status}`);
    if (status < 200 || status >= 300) throw new HttpError(kind, status, text);
    return data as T;
  }

  /**
   * Retries 5xx and failed requests a few times with backoff, as couriers, payment providers and a
   * careful client do (each failure is still counted in errorsByStatus). Only for idempotent calls.
   */
  private async withRetry<T>(call: () => Promise<T>, attempts = 5): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await call();
      } catch (err) {
        if (i >= attempts || !retryable(err) || this.aborted) throw err;
        await sleep(200 * 2 ** (i - 1));
      }
    }
  }

  /**
   * Polls the order until `done`: the first GET after opts.pollMs, then backing off ×1.5 up to
   * opts.pollMaxMs, so waiting orders do not flood the API. A cancelled or rejected order ends the
   * lifecycle; 404 (projection not written yet) and 5xx are retried (and counted).
   */
  private async pollUntil(run: OrderRun, stage: string, done: (o: Order) => boolean): Promise<Order> {
    run.stage = stage;
    let interval = opts.pollMs;
    for (;;) {
      if (this.aborted) throw new Error('aborted');
      await sleep(interval * (0.9 + Math.random() * 0.2));
      interval = Math.min(opts.pollMaxMs, interval * 1.5);
      let order: Order;
      try {
        order = await this.request(run, 'get', (signal) =>
          this.api.GET('/v1/orders/{id}', {
            params: { path: { id: run.orderId! } },
            headers: bearer(KEYS.support),
            signal,
          }),
        );
      } catch (err) {
        if (err instanceof HttpError && (err.status === 404 || retryable(err))) continue;
        throw err;
      }
      run.lastStatus = order.status;
      if (done(order)) return order;
      if (TERMINAL_OTHER.has(order.status))
        throw new Error(`order ended ${order.status}: ${JSON.stringify(order.cancellation ?? order.rejection)}`);
    }
  }

  /**
   * The order's state once `done` holds, learnt from the outbound events. If none showing it came
   * within opts.eventTimeoutMs, polls instead (until the drain ends and aborts it, as any stage) and
   * counts the fallback per stage. A cancelled or rejected order ends the lifecycle.
   */
  private async awaitState(run: OrderRun, stage: string, done: (o: Snapshot) => boolean): Promise<Snapshot> {
    run.stage = stage;
    const ends = (o: Snapshot) => done(o) || TERMINAL_OTHER.has(o.status);
    const seen = await this.events.waitFor(run.orderId!, ends, opts.eventTimeoutMs, this.abort.signal);
    if (!seen) {
      this.fallbacks.set(stage, (this.fallbacks.get(stage) ?? 0) + 1);
      return this.pollUntil(run, stage, done);
    }
    run.lastStatus = seen.status;
    if (!done(seen)) throw new Error(`order ended ${seen.status} (learnt from its events)`);
    return seen;
  }

  /**
   * A provider's signed webhook; a redelivery after a 5xx carries the same event id, as providers do.
   * The signature covers the exact bytes sent, so the client sends `raw` as it is (bodySerializer).
   */
  private signed<B>(secret: string, payload: B) {
    const raw = JSON.stringify(payload);
    return { body: payload, bodySerializer: () => raw, signature: () => signWebhook(secret, raw) };
  }

  private postPayment(run: OrderRun, payload: PaymentEvent) {
    const s = this.signed(webhookSecret('wechat_pay'), payload);
    return this.withRetry(() =>
      this.request(run, 'paymentWebhook', (signal) =>
        this.api.POST('/v1/webhooks/payments/{provider}', {
          params: { path: { provider: 'wechat_pay' }, header: { 'X-Signature': s.signature() } },
          body: s.body,
          bodySerializer: s.bodySerializer,
          signal,
        }),
      ),
    );
  }

  private postTracking(run: OrderRun, courier: string, payload: TrackingEvent) {
    const s = this.signed(webhookSecret(courier), payload);
    return this.withRetry(() =>
      this.request(run, 'logisticsWebhook', (signal) =>
        this.api.POST('/v1/webhooks/logistics/{courier}', {
          params: { path: { courier: courier as TrackingCourier }, header: { 'X-Signature': s.signature() } },
          body: s.body,
          bodySerializer: s.bodySerializer,
          signal,
        }),
      ),
    );
  }

  private orderBody(method: OrderRun['method']): SubmitOrder {
    const place = PROVINCES[Math.floor(Math.random() * PROVINCES.length)];
    const first = Math.floor(Math.random() * SKUS.length);
    const skus = [SKUS[first]];
    if (Math.random() < 0.3) skus.push(SKUS[(first + 1 + Math.floor(Math.random() * (SKUS.length - 1))) % SKUS.length]);
    const customerId = `bench-${randomUUID()}`; // a fresh customer per order: velocity rules never trip
    return {
      channel: 'bench',
      customer: { id: customerId, name: '王小明', phone: '+86 139 0000 0000', email: 'bench@example.com' },
      shippingAddress: { recipient: '王小明', phone: '+86 139 0000 0000', line1: '测试路 1 号', ...place },
      lines: skus.map((sku) => ({ sku, quantity: 1 + Math.floor(Math.random() * 2) })),
      paymentMethod: method,
      ...(method === 'card' ? { card: { token: 'tok_visa' } } : {}),
    };
  }

  async lifecycle(run: OrderRun): Promise<void> {
    const mark = (m: Mark) => (run.marks[m] = performance.now());
    run.stage = 'submit';
    const body = this.orderBody(run.method);
    const idempotencyKey = randomUUID(); // a retry after a 5xx reuses it: the same order, never a second one
    const created = await this.withRetry(() =>
      this.request(run, 'submit', (signal) =>
        this.api.POST('/v1/orders', {
          params: { header: { 'Idempotency-Key': idempotencyKey } },
          headers: bearer(KEYS.platform),
          body,
          signal,
        }),
      ),
    );
    run.orderId = created.id;
    run.lastStatus = created.status;
    mark('submitted');

    if (run.method === 'wechat_pay') {
      const awaiting = await this.awaitState(
        run,
        'awaiting payment',
        (o) => o.status === 'awaiting_payment' && o.payments?.[0]?.status === 'pending',
      );
      run.stage = 'payment webhook';
      await this.postPayment(run, {
        eventId: `evt_bench_${randomUUID()}`,
        type: 'payment.succeeded',
        paymentId: awaiting.payments[0].paymentId,
        orderId: run.orderId!,
        amount: awaiting.totals.total,
        currency: awaiting.totals.currency,
        occurredAt: new Date().toISOString(),
      });
      mark('paid');
    }

    const booked = await this.awaitState(
      run,
      'tracking numbers',
      (o) => o.shipments?.length > 0 && o.shipments.every((s: any) => s.trackingNumber),
    );
    mark('tracking');
    run.shipments = booked.shipments.length;
    run.stage = 'courier webhooks';
    await Promise.all(
      booked.shipments.map(async (s) => {
        for (const type of TRACKING_STEPS) {
          await this.postTracking(run, s.courier!, {
            eventId: `trk_bench_${randomUUID()}`,
            trackingNumber: s.trackingNumber!,
            type,
            location: 'Bench hub',
            ...(type === 'delivered' ? { signedBy: '王小明' } : {}),
            occurredAt: new Date().toISOString(),
          });
        }
      }),
    );
    mark('webhooks');

    // Confirmable once the order waits for the receipt (`order.delivered` carries that state).
    await this.awaitState(
      run,
      'delivered',
      (o) =>
        (o.status === 'delivered' && o.pendingDecision?.awaiting === 'receipt_confirmation') ||
        o.status === 'completed',
    );
    mark('delivered');
    run.stage = 'confirm';
    let confirmed: Schemas['Order'] | undefined;
    try {
      confirmed = await this.withRetry(() =>
        this.request(run, 'confirm', (signal) =>
          this.api.POST('/v1/orders/{id}/confirm-receipt', {
            params: { path: { id: run.orderId! } },
            headers: bearer(KEYS.platform),
            signal,
          }),
        ),
      );
    } catch (err) {
      // 409 after a retried confirm: the first attempt may have gone through; the GET below decides.
      if (!(err instanceof HttpError && err.status === 409)) throw err;
    }
    run.lastStatus = confirmed?.status ?? run.lastStatus;
    if (confirmed?.status !== 'completed') await this.awaitState(run, 'completed', (o) => o.status === 'completed');
    run.lastStatus = 'completed';
    run.stage = 'done';
    run.completedAt = mark('completed');
    this.events.forget(run.orderId!);
  }

  launch(): OrderRun {
    const run: OrderRun = {
      method: Math.random() < opts.wechatShare ? 'wechat_pay' : 'card',
      startedAt: performance.now(),
      stage: 'start',
      marks: {},
      serverErrors: [],
    };
    this.runs.push(run);
    this.inFlight += 1;
    this.lifecycle(run)
      .catch((err: Error) => {
        run.failure =
          this.aborted && err.message === 'aborted'
            ? `still in flight at stage "${run.stage}"`
            : `${run.stage}: ${err.message}`;
      })
      .finally(() => {
        this.inFlight -= 1;
      });
    return run;
  }
}

// ── Scheduling ───────────────────────────────────────────────────────────────────────────────────

/** A few lifecycles one by one (JIT, connection pools, workflow cache), then forgotten: not counted. */
export async function warmUp(d: Driver, temporalAddress: string, interrupted: () => boolean): Promise<void> {
  for (let i = 0; i < opts.warmup && !interrupted(); i++) {
    const run = d.launch();
    while (!run.completedAt && !run.failure) await sleep(20);
    if (run.failure) {
      const why = run.orderId
        ? await diagnose(temporalAddress, [run.orderId]).catch((e) => ({ error: (e as Error).message }))
        : {};
      throw new Error(`warm-up lifecycle failed: ${run.failure}\n${JSON.stringify(why, null, 2)}`);
    }
  }
  if (opts.warmup)
    log(
      `warm-up: ${opts.warmup} lifecycle(s) in ${round((d.runs.at(-1)!.completedAt! - d.runs[0].startedAt) / 1000, 2)}s`,
    );
  d.runs.length = 0;
}

/**
 * Open-loop arrivals at the target rate for the window: each arrival is due at its own time whatever
 * the earlier ones are doing; one beyond the in-flight cap is skipped (and counted), not queued.
 */
export async function runWindow(d: Driver, windowStart: number, interrupted: () => boolean): Promise<void> {
  const windowMs = opts.durationSeconds * 1000;
  let launched = 0;
  let nextProgress = 5000;
  while (!interrupted()) {
    const elapsed = performance.now() - windowStart;
    if (elapsed >= windowMs) break;
    const due = Math.min(Math.floor((elapsed / 1000) * opts.rate) + 1, Math.ceil(opts.durationSeconds * opts.rate));
    while (launched < due) {
      launched += 1;
      if (d.inFlight >= opts.concurrency) d.skipped += 1;
      else d.launch();
    }
    if (elapsed >= nextProgress) {
      nextProgress += 5000;
      const done = d.runs.filter((r) => r.completedAt).length;
      const failed = d.runs.filter((r) => r.failure).length;
      log(
        `t=${Math.round(elapsed / 1000)}s started ${d.runs.length} completed ${done} in flight ${d.inFlight} failed ${failed} skipped ${d.skipped} 5xx ${d.metrics.serverErrors}`,
      );
    }
    await sleep(Math.max(1, Math.min(20, 1000 / opts.rate / 2)));
  }
}

/** Lets in-flight orders finish for up to opts.drainSeconds (after that they count as lost); returns the seconds it took. */
export async function drain(d: Driver, interrupted: () => boolean): Promise<number> {
  const drainStart = performance.now();
  log(`window over: ${d.runs.length} started, ${d.inFlight} in flight; draining up to ${opts.drainSeconds}s`);
  while (d.inFlight > 0 && !interrupted() && performance.now() - drainStart < opts.drainSeconds * 1000)
    await sleep(100);
  return (performance.now() - drainStart) / 1000;
}

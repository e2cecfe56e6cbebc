import { randomUUID } from 'node:crypto';
import { webhookSecret } from '../../adapters/secrets';
import { signWebhook } from '../../adapters/signing';
import { bearer, createApiClient, type ApiClient, type operations } from '../../api-client';
import { orderBody } from '../helpers/order-body';

type SubmitOrder = NonNullable<operations['submitOrder']['requestBody']>['content']['application/json'];
type TrackingEvent = NonNullable<operations['notifyTracking']['requestBody']>['content']['application/json'];
type TrackingCourier = operations['notifyTracking']['parameters']['path']['courier'];

export { orderBody };

/**
 * The engine seen from outside, over HTTP only, as platforms, merchants, couriers and payment
 * providers see it: requests spread over the API replicas; a refused connection, a 5xx or a timeout
 * is retried on the next replica with the same Idempotency-Key, as real callers do. Every loop is
 * bounded in attempts and time.
 */
export const KEYS = { platform: 'dev-platform-key', merchant: 'dev-merchant-key', support: 'dev-support-key' } as const;

export interface Res {
  status: number;
  body: any;
}

/** How one call is sent: attempts over the replicas, and how long each may take. */
interface Delivery {
  attempts?: number;
  timeoutMs?: number;
}

export class EngineHttp {
  private next = 0;
  /** Requests that had to be sent again (connection refused, 5xx, timeout). */
  retries = 0;
  /**
   * The engine's generated, typed client (api-client/): every call it makes fails over between the
   * replicas as described above; a call that needs other limits passes `fetch: http.fetchWith({...})`.
   */
  readonly api: ApiClient;

  constructor(readonly urls: string[]) {
    this.api = createApiClient('http://engine', { fetch: this.fetchWith({}) });
  }

  /** A fetch that sends the request to the next replica until the answer is neither a transport error nor 5xx/429. */
  fetchWith({ attempts = 40, timeoutMs = 15_000 }: Delivery): (req: Request) => Promise<Response> {
    return async (req) => {
      const body = req.body ? await req.text() : undefined;
      const headers = new Headers(req.headers);
      // Every write carries one Idempotency-Key for all its attempts (required where money or stock moves).
      if (req.method !== 'GET' && !headers.has('idempotency-key')) headers.set('idempotency-key', randomUUID());
      const { pathname, search } = new URL(req.url);
      let last: unknown;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const base = this.urls[this.next++ % this.urls.length];
        try {
          const res = await fetch(base + pathname + search, {
            method: req.method,
            headers,
            body,
            signal: AbortSignal.timeout(timeoutMs),
          });
          if (res.status < 500 && res.status !== 429) return res;
          last = new Error(`${req.method} ${pathname}: ${res.status} ${(await res.text()).slice(0, 200)}`);
        } catch (err) {
          last = err;
        }
        this.retries++;
        await sleep(Math.min(100 * attempt, 1000));
      }
      throw new Error(`${req.method} ${pathname} failed ${attempts} times: ${(last as Error)?.message}`);
    };
  }

  /** A request the typed client cannot make: a provider's raw body, posted to the path it names. */
  async send(
    method: string,
    path: string,
    opts: Delivery & { key?: string; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Res> {
    const res = await this.fetchWith(opts)(
      new Request(`http://engine${path}`, {
        method,
        headers: {
          ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
          ...(opts.raw !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
        body: opts.raw,
      }),
    );
    const text = await res.text();
    return { status: res.status, body: text ? safeJson(text) : undefined };
  }

  /** `body` comes from the shared test helper (any overrides), so the contract's type is asserted here. */
  async submitOrder(body: Record<string, unknown>, key = randomUUID()): Promise<any> {
    const res = answerOf(
      await this.api.POST('/v1/orders', {
        params: { header: { 'Idempotency-Key': key } },
        body: body as SubmitOrder,
        headers: bearer(KEYS.platform),
      }),
    );
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`order refused: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async getOrder(id: string): Promise<any> {
    const res = answerOf(
      await this.api.GET('/v1/orders/{id}', { params: { path: { id } }, headers: bearer(KEYS.support) }),
    );
    if (res.status !== 200) throw new Error(`GET order ${id}: ${res.status}`);
    return res.body;
  }

  /** Reads the order until `done` holds (bounded). */
  async waitForOrder(id: string, done: (o: any) => boolean, what: string, timeoutMs = 60_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      last = await this.getOrder(id);
      if (done(last)) return last;
      await sleep(200);
    }
    throw new Error(
      `order ${id}: ${what} not reached in ${timeoutMs} ms; last: ${JSON.stringify({ status: last?.status, pending: last?.pendingDecision?.awaiting, shipments: last?.shipments?.map((s: any) => s.status) })}`,
    );
  }

  /** A courier's signed tracking event (X-Signature: t=<unix>,v1=HMAC-SHA256), as the courier posts it. */
  async track(
    courier: string,
    event: Partial<TrackingEvent> & Pick<TrackingEvent, 'trackingNumber' | 'type'>,
    opts: { eventId?: string } = {},
  ): Promise<Res> {
    const payload = {
      eventId: opts.eventId ?? randomUUID(),
      occurredAt: new Date().toISOString(),
      location: 'Shanghai hub',
      ...event,
    };
    const raw = JSON.stringify(payload);
    // One attempt per signature: a retried post must carry a fresh timestamp.
    const post = () =>
      this.api
        .POST('/v1/webhooks/logistics/{courier}', {
          params: {
            path: { courier: courier as TrackingCourier },
            header: { 'X-Signature': signWebhook(webhookSecret(courier), raw) },
          },
          body: payload,
          bodySerializer: () => raw,
          fetch: this.fetchWith({ attempts: 1 }),
        })
        .then(answerOf, (err: unknown) => ({ status: 0, body: String(err) }));
    for (let attempt = 1; ; attempt++) {
      const res = await post();
      if (res.status > 0 && res.status < 500) return res;
      if (attempt >= 40) throw new Error(`tracking ${courier} failed ${attempt} times: ${JSON.stringify(res.body)}`);
      this.retries++;
      await sleep(Math.min(100 * attempt, 1000));
    }
  }

  /** Drives every shipment from pick-up to delivery; `extra` adds fields (COD collected) to the delivery. */
  async deliverAll(
    id: string,
    extra: (s: any) => Record<string, unknown> = () => ({}),
    timeoutMs = 60_000,
  ): Promise<any> {
    const order = await this.waitForOrder(
      id,
      (o) => o.shipments.length > 0 && o.shipments.every((s: any) => s.trackingNumber),
      'shipments booked',
      timeoutMs,
    );
    for (const s of order.shipments) {
      for (const type of ['picked_up', 'in_transit', 'out_for_delivery'] as const)
        expectStatus(
          await this.track(s.courier, { trackingNumber: s.trackingNumber, type }),
          200,
          `${type} ${s.trackingNumber}`,
        );
      expectStatus(
        await this.track(s.courier, {
          trackingNumber: s.trackingNumber,
          type: 'delivered',
          signedBy: '张三',
          ...extra(s),
        }),
        200,
        `delivered ${s.trackingNumber}`,
      );
    }
    return this.waitForOrder(
      id,
      (o) => o.status === 'delivered' && o.pendingDecision?.awaiting === 'receipt_confirmation',
      'delivered, awaiting receipt',
      timeoutMs,
    );
  }
}

/** A typed client's result as status and body (the answer or the problem). */
export function answerOf(result: { response: Response; data?: unknown; error?: unknown }): Res {
  return { status: result.response.status, body: result.data ?? result.error };
}

export function expectStatus(res: Res, status: number, what: string): any {
  if (res.status !== status)
    throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body;
}

/** The wallet's payment reference in the order's payment action (QR code `pr=` or redirect path). */
export function walletRefOf(order: any): string {
  const url: string = order.payments?.[0]?.action?.url ?? '';
  const ref = url.includes('pr=') ? url.slice(url.indexOf('pr=') + 3) : url.slice(url.lastIndexOf('/') + 1);
  if (!ref) throw new Error(`order ${order.id} shows no payment action`);
  return ref;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

import { randomUUID } from 'node:crypto';
import { webhookSecret } from '../../adapters/secrets';
import { signWebhook } from '../../adapters/signing';
import { orderBody } from '../helpers/order-body';

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

export class EngineHttp {
  private next = 0;
  /** Requests that had to be sent again (connection refused, 5xx, timeout). */
  retries = 0;
  constructor(readonly urls: string[]) {}

  /** One request, retried on another replica while the answer is a transport error or 5xx/429 (at most `attempts`). */
  async send(
    method: string,
    path: string,
    opts: {
      key?: string;
      body?: unknown;
      raw?: string;
      headers?: Record<string, string>;
      attempts?: number;
      timeoutMs?: number;
    } = {},
  ): Promise<Res> {
    const attempts = opts.attempts ?? 40;
    // Every write carries one Idempotency-Key for all its attempts (required where money or stock moves).
    const idempotency: Record<string, string> =
      method !== 'GET' && !Object.keys(opts.headers ?? {}).some((h) => h.toLowerCase() === 'idempotency-key')
        ? { 'idempotency-key': randomUUID() }
        : {};
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const base = this.urls[this.next++ % this.urls.length];
      try {
        const res = await fetch(base + path, {
          method,
          headers: {
            ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
            ...(opts.body !== undefined || opts.raw !== undefined ? { 'content-type': 'application/json' } : {}),
            ...idempotency,
            ...opts.headers,
          },
          body: opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
        });
        const text = await res.text();
        const body = text ? safeJson(text) : undefined;
        if (res.status >= 500 || res.status === 429) {
          last = new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
        } else {
          return { status: res.status, body };
        }
      } catch (err) {
        last = err;
      }
      this.retries++;
      await sleep(Math.min(100 * attempt, 1000));
    }
    throw new Error(`${method} ${path} failed ${attempts} times: ${(last as Error)?.message}`);
  }

  async submitOrder(body: Record<string, unknown>, key = randomUUID()): Promise<any> {
    const res = await this.send('POST', '/v1/orders', {
      key: KEYS.platform,
      body,
      headers: { 'idempotency-key': key },
    });
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`order refused: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async getOrder(id: string): Promise<any> {
    const res = await this.send('GET', `/v1/orders/${id}`, { key: KEYS.support });
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
    event: Record<string, unknown> & { trackingNumber: string; type: string },
    opts: { eventId?: string } = {},
  ): Promise<Res> {
    const raw = JSON.stringify({
      eventId: opts.eventId ?? randomUUID(),
      occurredAt: new Date().toISOString(),
      location: 'Shanghai hub',
      ...event,
    });
    // Signed per attempt: a retried post must carry a fresh timestamp.
    return this.sendSigned(`/v1/webhooks/logistics/${courier}`, webhookSecret(courier), raw);
  }

  async sendSigned(path: string, secret: string, raw: string): Promise<Res> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.send('POST', path, {
        raw,
        headers: { 'x-signature': signWebhook(secret, raw) },
        attempts: 1,
      }).catch((err) => ({ status: 0, body: String(err) }));
      if (res.status > 0 && res.status < 500) return res;
      if (attempt >= 40) throw new Error(`POST ${path} failed ${attempt} times: ${JSON.stringify(res.body)}`);
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
      for (const type of ['picked_up', 'in_transit', 'out_for_delivery'])
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

/**
 * The bench's subscribed receiver (docs/notifications.md, "Outbound events"): a real HTTP endpoint on
 * 127.0.0.1, subscribed to every event before the load starts, so the driver learns bookings and
 * state changes the way a platform would instead of polling GET /v1/orders/{id}. Every delivery is
 * verified with the `standardwebhooks` library (a platform's receiver would), and its delivery
 * latency — receipt time minus the event's own `timestamp` — is recorded while the bench measures.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import { bearer, type ApiClient, type Schemas } from '../api-client';

type Order = Schemas['OrderDetail'];
/** The parts of `data.order` the driver reads; the same names and shapes as in GET /v1/orders/{id}. */
export type Snapshot = Pick<Order, 'status' | 'payments' | 'shipments' | 'totals' | 'pendingDecision'>;

interface Delivery {
  type: string;
  timestamp: string;
  data: { orderId: string; sequence: number; order: Snapshot };
}

interface Waiter {
  ready: (s: Snapshot) => boolean;
  resolve: (s: Snapshot | undefined) => void;
}

/** One delivery as measured: when it arrived (performance.now()) and how long after its event. */
export interface Receipt {
  at: number;
  latencyMs: number;
  type: string;
}

export class EventReceiver {
  /** Deliveries received while `recording` (the window and the drain). */
  readonly receipts: Receipt[] = [];
  recording = false;
  duplicates = 0;
  badSignatures = 0;
  private readonly latest = new Map<string, { seq: number; order: Snapshot }>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly seen = new Set<string>();
  private webhook?: Webhook;
  private server?: http.Server;
  url = '';

  /** Listens on a free port of 127.0.0.1 (the stack allows that host: bench/stack.ts). */
  async listen(): Promise<void> {
    const server = http.createServer((req, res) => this.onRequest(req, res));
    // Many orders' deliveries arrive at once; keep-alive sockets are the dispatcher's to reuse.
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bench-events`;
  }

  /** Subscribes the endpoint to every event of every order (a platform key receives all orders). */
  async subscribe(api: ApiClient, platformKey: string): Promise<string> {
    const { data, response, error } = await api.POST('/v1/webhook-subscriptions', {
      headers: bearer(platformKey),
      body: { url: this.url, eventTypes: ['*'] },
    });
    // The contract leaves this answer's body untyped (an open object): check the two fields read.
    const { id, secret } = (data ?? {}) as { id?: unknown; secret?: unknown };
    if (typeof id !== 'string' || typeof secret !== 'string')
      throw new Error(`subscribing the bench receiver → ${response.status} ${JSON.stringify(error ?? data)}`);
    this.webhook = new Webhook(secret);
    return id;
  }

  /**
   * The order's state once `ready` holds for it (at once if the latest delivery already shows it),
   * or undefined when no such event came within `timeoutMs` (the caller then falls back to polling).
   */
  waitFor(orderId: string, ready: (s: Snapshot) => boolean, timeoutMs: number, signal: AbortSignal) {
    const now = this.latest.get(orderId)?.order;
    if (now && ready(now)) return Promise.resolve<Snapshot | undefined>(now);
    return new Promise<Snapshot | undefined>((resolve, reject) => {
      const set = this.waiters.get(orderId) ?? new Set<Waiter>();
      this.waiters.set(orderId, set);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        set.delete(waiter);
        if (set.size === 0) this.waiters.delete(orderId);
      };
      const waiter: Waiter = { ready, resolve: (s) => (done(), resolve(s)) };
      const onAbort = () => (done(), reject(new Error('aborted')));
      const timer = setTimeout(() => waiter.resolve(undefined), timeoutMs);
      signal.addEventListener('abort', onAbort);
      set.add(waiter);
    });
  }

  /** The driver is done with the order: its snapshot need not be kept (memory over a long run). */
  forget(orderId: string) {
    this.latest.delete(orderId);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const receivedAt = Date.now();
      const event = this.verify(Buffer.concat(chunks).toString('utf8'), req.headers);
      // A bad signature is answered 400, as a real receiver does; the engine then retries.
      res.writeHead(event ? 204 : 400).end();
      if (event) this.accept(event, String(req.headers['webhook-id']), receivedAt);
    });
  }

  private verify(body: string, headers: http.IncomingHttpHeaders): Delivery | undefined {
    try {
      return this.webhook!.verify(body, headers as Record<string, string>) as Delivery;
    } catch {
      this.badSignatures += 1;
      return undefined;
    }
  }

  /** Records the delivery, keeps the order's newest state (by sequence) and wakes whoever waits on it. */
  private accept(event: Delivery, webhookId: string, receivedAt: number) {
    // At least once: a redelivered event id is counted, not measured twice.
    if (this.seen.has(webhookId)) return void (this.duplicates += 1);
    this.seen.add(webhookId);
    if (this.recording)
      this.receipts.push({
        at: performance.now(),
        latencyMs: receivedAt - Date.parse(event.timestamp),
        type: event.type,
      });
    const { orderId, sequence, order } = event.data;
    const known = this.latest.get(orderId);
    if (known && known.seq >= sequence) return;
    this.latest.set(orderId, { seq: sequence, order });
    for (const w of this.waiters.get(orderId) ?? []) if (w.ready(order)) w.resolve(order);
  }
}

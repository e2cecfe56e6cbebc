import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it: the Standard Webhooks headers and the raw body. */
export interface Received {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  orderId: string;
  sequence: number;
  arrivedAt: number;
  /** When it was answered 2xx (undefined: failed, held or still open). */
  okAt?: number;
}

/** What the receiver does with a request: answer a status, hang (the sender times out), or close the connection. */
export type Behaviour = number | 'hang' | 'close';

/**
 * A real HTTP endpoint on 127.0.0.1 for outbound-event tests. Each path has a script of behaviours
 * (consumed one per request, then `200`); `down()` stops listening and `up()` comes back on the same port.
 */
export async function startReceiver() {
  const received: Received[] = [];
  const scripts = new Map<string, Behaviour[]>();
  const always = new Map<string, Behaviour>();
  const rules = new Map<string, (r: Received) => Behaviour | undefined>();
  const held: http.ServerResponse[] = [];
  // Woken on every answered request, so a test awaits an arrival instead of polling for it.
  const listeners = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const data = (JSON.parse(body) as { data: { orderId: string; sequence: number } }).data;
      const entry: Received = {
        path,
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        body,
        orderId: data.orderId,
        sequence: data.sequence,
        arrivedAt: Date.now(),
      };
      received.push(entry);
      const behaviour = rules.get(path)?.(entry) ?? scripts.get(path)?.shift() ?? always.get(path) ?? 200;
      if (behaviour === 'hang') return void held.push(res);
      if (behaviour === 'close') return void req.socket.destroy();
      if (behaviour >= 200 && behaviour < 300) entry.okAt = Date.now();
      res.writeHead(behaviour, { 'content-type': 'text/plain' }).end(`answer ${behaviour}`);
      for (const wake of [...listeners]) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const release = () => held.splice(0).forEach((res) => res.destroy());

  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    /** The next requests to `path` get these behaviours, in turn. */
    script: (path: string, ...behaviours: Behaviour[]) => void scripts.set(path, behaviours),
    /** Every request to `path` gets this behaviour (until changed). */
    always: (path: string, behaviour: Behaviour) => void always.set(path, behaviour),
    /** Decides first, per request (e.g. by order, since other test files' orders reach platform-wide subscriptions too). */
    rule: (path: string, decide: (r: Received) => Behaviour | undefined) => void rules.set(path, decide),
    /** Not listening: connections are refused until up(). */
    async down() {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async up() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async stop() {
      release();
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    release,
    /**
     * The first request answered 2xx that `match` accepts, received already or arriving later; rejects
     * after `timeoutMs` naming `what` (a deadline, not a sleep: it resolves as soon as the request comes).
     */
    waitFor(match: (r: Received) => boolean, what: string, timeoutMs = 45_000): Promise<Received> {
      const find = () => received.find((r) => r.okAt && match(r));
      const now = find();
      if (now) return Promise.resolve(now);
      return new Promise<Received>((resolve, reject) => {
        const done = () => (clearTimeout(timer), listeners.delete(wake));
        const wake = () => {
          const r = find();
          if (r) resolve((done(), r));
        };
        const timer = setTimeout(
          () => (done(), reject(new Error(`not received within ${timeoutMs} ms: ${what}`))),
          timeoutMs,
        );
        listeners.add(wake);
      });
    },
  };
}

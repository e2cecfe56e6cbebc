import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Logger as SdkLogger, LogLevel, LogMetadata } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import { Gauge, Registry } from 'prom-client';
import type { Db } from '../store/db';
import { findStuckInRecords, type RecordThresholds } from '../store/stuck';

/**
 * The worker's Prometheus endpoint (docs/operations.md, "Metrics"): one `/metrics` holding the
 * Temporal SDK's own metrics (Core's Prometheus exporter, bound to a private loopback port and
 * read through on every scrape; names as Temporal's SDK dashboards expect: `temporal_` prefix,
 * seconds, `_total` counters) followed by the engine's business gauges, read from the database at
 * scrape time. `/healthz` answers 200 while the process runs; `/readyz` 200 while the worker polls,
 * 503 from the moment it starts draining (docs/operations.md, "Worker shutdown").
 */

/** Business gauges, computed when scraped (one grouped query each). */
export function businessRegistry(db: Db, thresholds: RecordThresholds): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'orders_by_status',
    help: 'Orders per current status (the read model)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await db.$queryRaw<
        Array<{ status: string; n: number }>
      >`SELECT status, COUNT(*)::int AS n FROM orders GROUP BY status`;
      this.reset();
      for (const r of rows) this.set({ status: r.status }, r.n);
    },
  });
  valueGauge(
    registry,
    'outbox_backlog',
    'Notifications waiting in the outbox (status pending)',
    () => db.$queryRaw<Value>`SELECT COUNT(*)::int AS value FROM notifications WHERE status = 'pending'`,
  );
  valueGauge(
    registry,
    'refunds_pending',
    'Refund decisions whose provider has not confirmed them yet',
    () => db.$queryRaw<Value>`SELECT COUNT(*)::int AS value FROM refunds WHERE status = 'pending'`,
  );
  new Gauge({
    name: 'orders_stuck',
    help: 'Orders the read model shows stuck, by kind (wait_overdue, tracking_silent, refund_unconfirmed; docs/support.md)',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const orders = new Map<string, Set<string>>();
      for (const { orderId, reason } of await findStuckInRecords(db, thresholds))
        orders.set(reason.kind, (orders.get(reason.kind) ?? new Set()).add(orderId));
      this.reset();
      for (const kind of STUCK_KINDS) this.set({ kind }, orders.get(kind)?.size ?? 0);
    },
  });
  queueGauges(db, registry);
  return registry;
}

const STUCK_KINDS = ['wait_overdue', 'tracking_silent', 'refund_unconfirmed'] as const;
const UNDELIVERED = ['pending', 'parked', 'failed'] as const;

/** What waits in the engine's other queues: outbound webhooks, and orders the analytics rollups have not taken in yet. */
function queueGauges(db: Db, registry: Registry) {
  new Gauge({
    name: 'webhook_deliveries',
    help: 'Outbound webhook deliveries not delivered, by status (pending; parked: subscription disabled; failed: schedule used up)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await db.$queryRaw<Array<{ status: string; n: number }>>`
        SELECT status, COUNT(*)::int AS n FROM webhook_deliveries WHERE status = ANY(${[...UNDELIVERED]}) GROUP BY status`;
      const counts = new Map(rows.map((r) => [r.status, r.n]));
      for (const status of UNDELIVERED) this.set({ status }, counts.get(status) ?? 0);
    },
  });
  valueGauge(
    registry,
    'analytics_backlog_orders',
    'Orders queued for the analytics refresher',
    () => db.$queryRaw<Value>`SELECT COUNT(DISTINCT order_id)::int AS value FROM analytics_dirty`,
  );
  valueGauge(
    registry,
    'analytics_lag_seconds',
    'Age of the oldest queued analytics mark, 0 when none: how far the rollups trail the orders between reads',
    () =>
      db.$queryRaw<Value>`SELECT GREATEST(COALESCE(EXTRACT(EPOCH FROM now() - MIN(marked_at)), 0), 0)::float8 AS value
        FROM analytics_dirty`,
  );
}

type Value = [{ value: number }];

/** A gauge without labels whose value one statement reads (a row with `value`) at scrape time. */
function valueGauge(registry: Registry, name: string, help: string, read: () => Promise<Value>) {
  new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      const [row] = await read();
      this.set(row.value);
    },
  });
}

/** A free loopback port for Core's exporter (read only through our endpoint). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Runtime telemetry options exporting the SDK's metrics for Prometheus on `coreAddress`. */
export function prometheusTelemetry(coreAddress: string) {
  return {
    metricPrefix: 'temporal_',
    prometheus: { bindAddress: coreAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
  };
}

export async function startMetricsServer(opts: {
  host: string;
  port: number;
  coreAddress?: string;
  registry: Registry;
  /** Whether the worker takes new tasks (default: always). */
  ready?: () => boolean;
}): Promise<{ url: string; close(): Promise<void> }> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (req.url === '/readyz') {
      const ready = opts.ready?.() ?? true;
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ready ? 'ready' : 'draining' }));
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    try {
      const core = opts.coreAddress
        ? await fetch(`http://${opts.coreAddress}/metrics`, { signal: AbortSignal.timeout(5000) })
            .then((r) => r.text())
            .catch(() => '')
        : '';
      const business = await opts.registry.metrics();
      res.writeHead(200, { 'content-type': opts.registry.contentType }).end(`${core.trimEnd()}\n${business}`);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${(err as Error).message}\n`);
    }
  };
  const server: Server = createHttpServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${opts.host}:${port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The Temporal SDK's logger (its own lines and Core's forwarded ones, workflow and activity
 * logging) written through pino, so they are JSON lines with the same redaction as ours.
 */
export function sdkLoggerFrom(log: PinoLogger): SdkLogger {
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => log[levels[level]]({ ...meta }, message);
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

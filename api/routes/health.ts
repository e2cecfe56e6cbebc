import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { AppDeps } from '../deps';

/** Liveness, readiness (database and Temporal reachable) and Prometheus metrics. */
export function healthRoutes(app: FastifyInstance, { db, temporal }: AppDeps) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'orders_api_' });
  const duration = new Histogram({
    name: 'orders_api_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    duration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unknown', status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });

  const hidden = { schema: { hide: true } };
  app.get('/healthz', hidden, async () => ({ status: 'ok' }));
  app.get('/readyz', hidden, async (_req, reply) => {
    const checks = await Promise.all([
      db.$queryRaw`SELECT 1`.then(
        () => 'ok',
        (e: Error) => e.message,
      ),
      temporal.workflowService.getSystemInfo({}).then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    ]);
    const [database, temporalCheck] = checks;
    const ready = checks.every((c) => c === 'ok');
    void reply.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', database, temporal: temporalCheck };
  });
  app.get('/metrics', hidden, async (_req, reply) => {
    void reply.type(registry.contentType);
    return registry.metrics();
  });
}

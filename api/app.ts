import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { OpenAPIV3 } from 'openapi-types';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Tracer } from '@opentelemetry/api';
import { createAuthenticator } from './auth';
import type { AppDeps } from './deps';
import { componentSchemas } from './openapi';
import { frameworkErrors, registerProblemHandler } from './problem';
import { defineRoute, MALFORMED_JSON, type ResourceRoutes } from './route';
import { afterSalesRoutes } from './routes/after-sales';
import { analyticsRoutes } from './routes/analytics';
import { catalogRoutes } from './routes/catalog';
import { codecRoutes } from './routes/codec';
import { reconciliationRoutes } from './routes/reconciliation';
import { riskRoutes } from './routes/risk';
import { consoleRoutes } from './routes/console';
import { notificationRoutes } from './routes/notifications';
import { healthRoutes } from './routes/health';
import { merchantRoutes } from './routes/merchant';
import { opsRoutes } from './routes/ops';
import { orderRoutes } from './routes/orders';
import { pricingRoutes } from './routes/pricing';
import { simulatorRoutes } from './routes/simulator';
import { couponRoutes } from './routes/coupons';
import { webhookRoutes } from './routes/webhooks';
import { webhookDeliveryRoutes } from './routes/webhook-deliveries';
import { webhookSubscriptionRoutes } from './routes/webhook-subscriptions';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes received, for webhook signatures. */
    rawBody?: string;
  }
}

/** Builds the HTTP API without listening, so tests use `app.inject()`. */
export async function buildApp(
  deps: AppDeps,
  opts: { logger?: FastifyBaseLogger; tracer?: Tracer } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: 256 * 1024,
    frameworkErrors,
    ajv: { customOptions: { strict: false } },
  });
  // zod validates every request (api/route.ts); Fastify's own validator would only disagree with it.
  app.setValidatorCompiler(() => () => true);
  // Response schemas document the contract (tests check answers against them); serializing by them
  // would silently drop every field a schema does not list, so answers are plain JSON.stringify.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerProblemHandler(app);
  // Only with tracing on (platform/telemetry.ts): otherwise not even the hook's module is loaded.
  if (opts.tracer) (await import('./http-tracing')).traceRequests(app, opts.tracer);

  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    if ((body as string).length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(null, MALFORMED_JSON); // answered 400 after authentication (api/route.ts)
    }
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Order fulfillment engine',
        version: '1.0.0',
        description:
          'Conventions, roles, idempotency and errors: docs/api.md in the repository. Errors are RFC 9457 problem+json.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        // The response contract (api/schemas.ts), referenced by $ref from the operations.
        schemas: componentSchemas() as Record<string, OpenAPIV3.SchemaObject>,
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Health and metrics stay on the root: the request-duration hook must see every route.
  healthRoutes(app, deps);
  const authenticate = createAuthenticator(deps.config.apiKeys);
  for (const routes of RESOURCES)
    await app.register(async (scope) => routes(deps, (spec) => defineRoute(scope, authenticate, deps.db, spec), scope));
  return app;
}

/** The API by resource, each one Fastify plugin (api/route.ts ResourceRoutes). */
const RESOURCES: ResourceRoutes[] = [
  orderRoutes,
  merchantRoutes,
  catalogRoutes,
  pricingRoutes,
  couponRoutes,
  webhookRoutes,
  opsRoutes,
  codecRoutes,
  riskRoutes,
  reconciliationRoutes,
  afterSalesRoutes,
  notificationRoutes,
  analyticsRoutes,
  webhookSubscriptionRoutes,
  webhookDeliveryRoutes,
  consoleRoutes,
  simulatorRoutes,
];

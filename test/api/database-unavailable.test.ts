// docs/api.md, errors (issue 11): a database that is not there (restarting, shutting down, refusing
// connections) answers 503 with Retry-After on every route, never 500. Generated from /openapi.json:
// every operation is called, with every role, against an API whose database refuses connections.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { createDb } from '../../store/db';
import { KEYS, orderBody, useStack } from '../helpers/stack';
import { send } from './api-helpers';

const stack = useStack();
let app: FastifyInstance;
beforeAll(async () => {
  // Nothing listens on port 1: every query fails as a restarting server's would (P1001, connection refused).
  app = await buildApp({
    config: stack.config,
    db: createDb('postgresql://postgres:postgres@127.0.0.1:1/orders', 2),
    temporal: stack.client,
  });
});
afterAll(() => app?.close());

const BODIES: Record<string, unknown> = {
  'POST /v1/orders': orderBody(),
  'POST /v1/products': { sku: 'SKU-DOWN', name: 'x', priceAmount: 1 },
  'PUT /v1/inventory/{sku}': { warehouseId: 'wh-shanghai', onHand: 1 },
  'POST /v1/inventory/{sku}/restock': { warehouseId: 'wh-shanghai', quantity: 1 },
  'POST /v1/orders/{id}/cancel': { reason: 'x' },
  'POST /v1/orders/{id}/merchant-decision': { decision: 'accept' },
  'POST /v1/ops/orders/{id}/refund': { reason: 'x', amount: 1 },
  'POST /v1/ops/orders/{id}/cancel': { reason: 'x' },
  'POST /v1/ops/customers/{id}/freeze': { reason: 'x' },
};

test('every operation × every role: no 500; reads and the writes above → 503 with Retry-After', async () => {
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const failures: string[] = [];
  let unavailable = 0;
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { 'x-roles'?: unknown }>>)) {
    for (const [method, op] of Object.entries(item)) {
      const name = `${method.toUpperCase()} ${path}`;
      const url =
        path.replace(/\{(\w+)\}/g, (_m, p: string) =>
          p === 'provider' ? 'wechat_pay' : p === 'courier' ? 'sf-express' : p === 'file' ? 'console.js' : 'down-1',
        ) + (path === '/v1/ops/orders' ? '?stuck=true' : '');
      const roles = Array.isArray(op['x-roles']) ? (op['x-roles'] as string[]) : ['platform'];
      for (const role of roles) {
        const key = (KEYS as Record<string, string>)[role];
        const res = await send(
          app,
          method.toUpperCase() as 'GET',
          url,
          key,
          BODIES[name] ?? (method === 'get' ? undefined : {}),
        );
        if (res.statusCode >= 500 && res.statusCode !== 503)
          failures.push(`${role} ${name} → ${res.statusCode} ${res.body.slice(0, 160)}`);
        if (res.statusCode === 503) {
          unavailable++;
          if (!res.headers['retry-after'] || res.json().type !== '/problems/unavailable')
            failures.push(`${role} ${name} → 503 without Retry-After`);
        }
        const mustBe503 = (method === 'get' && path.startsWith('/v1/')) || name in BODIES;
        if (mustBe503 && res.statusCode !== 503)
          failures.push(`${role} ${name} → ${res.statusCode}, not 503 ${res.body.slice(0, 160)}`);
      }
    }
  }
  expect(failures).toEqual([]);
  expect(unavailable).toBeGreaterThanOrEqual(20);
}, 120_000);

// The auth matrix (docs/api.md): EVERY documented operation × every role, generated from the app's own
// OpenAPI document (each route declares `x-roles` through api/route.ts), so routes added later are
// covered without touching this file. Requests use ids that do not exist and empty bodies, so an
// allowed caller gets a 4xx about the request, never a change.
import { randomUUID } from 'node:crypto';
import { auth, keyed, KEYS, orderBody, submitOrder, useStack, waitForOrder } from '../helpers/stack';
import { expectOk, expectProblem } from './api-helpers';

const stack = useStack();

const ROLE_KEYS = {
  platform: KEYS.platform,
  merchant: KEYS.merchant,
  support: KEYS.support,
  logistics: KEYS.logistics,
} as const;
type Role = keyof typeof ROLE_KEYS;
const ROLES = Object.keys(ROLE_KEYS) as Role[];

interface Operation {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  roles: Role[] | 'signed' | 'public';
}

let operations: Operation[] = [];
beforeAll(async () => {
  const doc = expectOk(await stack.app.inject({ method: 'GET', url: '/openapi.json' }));
  operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => ['get', 'post', 'put', 'delete', 'patch'].includes(method))
      .map(([method, op]) => ({ method: method.toUpperCase() as Operation['method'], path, roles: op['x-roles'] })),
  );
});

/** A concrete URL for a documented path: every parameter is an id that does not exist. */
const urlOf = (path: string, value = `matrix-${randomUUID().slice(0, 8)}`) => path.replace(/\{[^}]+\}/g, value);

const call = (op: Operation, headers: Record<string, string>, url = urlOf(op.path)) =>
  stack.app.inject({
    method: op.method,
    url,
    headers: {
      ...headers,
      'idempotency-key': randomUUID(),
      ...(op.method === 'GET' ? {} : { 'content-type': 'application/json' }),
    },
    ...(op.method === 'GET' ? {} : { payload: '{}' }),
  });

test('the document lists the API, and every operation declares who may call it', () => {
  expect(operations.length).toBeGreaterThanOrEqual(25);
  const undeclared = operations.filter(
    (op) => !(Array.isArray(op.roles) || op.roles === 'signed' || op.roles === 'public'),
  );
  expect(undeclared.map((op) => `${op.method} ${op.path}`)).toEqual([]);
  for (const op of operations) if (Array.isArray(op.roles)) for (const r of op.roles) expect(ROLES).toContain(r);
  // A few anchors, so an empty or broken document cannot pass the matrix vacuously.
  const find = (method: string, path: string) => operations.find((o) => o.method === method && o.path === path)?.roles;
  expect(find('POST', '/v1/orders')).toEqual(['platform']);
  expect(find('POST', '/v1/ops/orders/{id}/review')).toEqual(['support']);
  expect(find('POST', '/v1/webhooks/payments/{provider}')).toBe('signed');
});

test('every keyed operation × no key / unknown key → 401', async () => {
  const failures: string[] = [];
  for (const op of operations.filter((o) => Array.isArray(o.roles))) {
    for (const headers of [{}, { authorization: 'Bearer not-a-key' }] as Array<Record<string, string>>) {
      const res = await call(op, headers);
      if (res.statusCode !== 401 || !String(res.headers['content-type']).startsWith('application/problem+json'))
        failures.push(`${op.method} ${op.path} ${JSON.stringify(headers)} → ${res.statusCode}`);
    }
  }
  expect(failures).toEqual([]);
});

test('every keyed operation × every role: a role not listed → 403; a listed role is let through', async () => {
  const failures: string[] = [];
  let checked = 0;
  for (const op of operations.filter((o) => Array.isArray(o.roles))) {
    for (const role of ROLES) {
      const res = await call(op, auth(ROLE_KEYS[role]));
      const allowed = (op.roles as Role[]).includes(role);
      checked++;
      if (allowed ? [401, 403, 429].includes(res.statusCode) || res.statusCode >= 500 : res.statusCode !== 403) {
        failures.push(
          `${role} ${op.method} ${op.path} → ${res.statusCode} (${allowed ? 'allowed' : 'not allowed'}): ${res.body.slice(0, 160)}`,
        );
      }
    }
  }
  expect(failures).toEqual([]);
  expect(checked).toBeGreaterThanOrEqual(100);
});

test('signed webhooks ignore API keys: every role without a signature → 401', async () => {
  const failures: string[] = [];
  for (const op of operations.filter((o) => o.roles === 'signed')) {
    for (const role of ROLES) {
      const res = await call(
        op,
        auth(ROLE_KEYS[role]),
        urlOf(op.path, op.path.includes('payments') ? 'wechat_pay' : 'sf-express'),
      );
      if (res.statusCode !== 401) failures.push(`${role} ${op.method} ${op.path} → ${res.statusCode}`);
    }
  }
  expect(failures).toEqual([]);
});

describe('merchant isolation across every order-scoped read', () => {
  let orderId: string;
  beforeAll(async () => {
    const { body } = await submitOrder(stack.app, orderBody());
    orderId = body.id;
    await waitForOrder(stack.app, orderId, (o) => o.status === 'fulfilling');
  });

  test('every GET under /v1/orders/{id} a merchant may call: the owner gets 200, another merchant 404', async () => {
    const reads = operations.filter(
      (o) =>
        o.method === 'GET' &&
        o.path.startsWith('/v1/orders/{id}') &&
        Array.isArray(o.roles) &&
        o.roles.includes('merchant'),
    );
    expect(reads.length).toBeGreaterThanOrEqual(1);
    for (const op of reads) {
      const url = op.path.replace('{id}', orderId);
      expect({
        op: op.path,
        status: (await stack.app.inject({ method: 'GET', url, headers: auth(KEYS.merchant) })).statusCode,
      }).toEqual({ op: op.path, status: 200 });
      expectProblem(
        await stack.app.inject({ method: 'GET', url, headers: auth(KEYS.manualMerchant) }),
        404,
        '/problems/not-found',
      );
    }
  });

  test("another merchant's actions on the order → 404 and the order is untouched", async () => {
    const actions: Array<[string, unknown]> = [
      [`/v1/orders/${orderId}/merchant-decision`, { decision: 'reject', reason: 'not mine' }],
      [`/v1/orders/${orderId}/shipments`, { courier: 'sf-express' }],
    ];
    for (const [url, payload] of actions) {
      const res = await stack.app.inject({
        method: 'POST',
        url,
        headers: { ...keyed(KEYS.manualMerchant), 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 404 });
    }
    const order = await waitForOrder(stack.app, orderId, () => true);
    expect(order).toMatchObject({ status: 'fulfilling', rejection: null });
  });
});

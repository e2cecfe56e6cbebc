// API keys are configured as SHA-256 digests only, and each key has its own rate limit (429 problem
// with Retry-After, before anything else happens).
import { createHash, randomUUID } from 'node:crypto';
import { DEV_API_KEYS, loadConfig } from '../../config';
import { orderBody, useStack } from '../helpers/stack';
import { expectOk, expectProblem, send } from './api-helpers';

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const LIMITED = `limited-${randomUUID()}`;
const OTHER = `other-${randomUUID()}`;
const MERCHANT = `merchant-${randomUUID()}`;

const stack = useStack({
  worker: false,
  env: {
    API_KEYS: JSON.stringify([
      { sha256: sha256(LIMITED), role: 'support', name: 'limited support', rateLimit: { perSecond: 0.01, burst: 3 } },
      { sha256: sha256(OTHER), role: 'support', name: 'other support', rateLimit: { perSecond: 0.01, burst: 3 } },
      { sha256: sha256(MERCHANT), role: 'merchant', merchantId: 'm-demo', name: 'hashed merchant' },
    ]),
  },
});

describe('hashed keys', () => {
  test('the configuration holds no key in plain text, only digests', () => {
    const configured = JSON.stringify(DEV_API_KEYS);
    for (const key of [
      'dev-platform-key',
      'dev-merchant-key',
      'dev-manual-merchant-key',
      'dev-support-key',
      'dev-logistics-key',
    ]) {
      expect(configured).not.toContain(key);
      expect(DEV_API_KEYS.map((k) => k.sha256)).toContain(sha256(key));
    }
    expect(JSON.stringify(stack.config.apiKeys)).not.toContain(MERCHANT);
  });

  test('a key whose digest is configured authenticates with its role and merchant', async () => {
    const res = await send(stack.app, 'GET', '/v1/inventory/SKU-TEA-001', MERCHANT);
    expectOk(res);
    const other = await send(stack.app, 'GET', '/v1/inventory/SKU-HAND-001', MERCHANT);
    expect(other.statusCode).toBe(404); // m-manual's product: not this merchant's
  });

  test('the digest itself is not a key', async () => {
    expectProblem(await send(stack.app, 'GET', '/v1/orders', sha256(LIMITED)), 401, '/problems/unauthorized');
  });

  test.each([
    ['a plain key instead of its digest', [{ key: 'my-secret-key-123', role: 'platform', name: 'p' }], /API_KEYS\.0/],
    [
      'a digest that is not hex SHA-256',
      [{ sha256: 'abc', role: 'platform', name: 'p' }],
      /API_KEYS\.0\.sha256: must be the hex SHA-256/,
    ],
    [
      'a merchant key without merchant',
      [{ sha256: sha256('x'), role: 'merchant', name: 'm' }],
      /API_KEYS\.0\.merchantId: is required for merchant keys/,
    ],
    [
      'a platform key with a merchant',
      [{ sha256: sha256('x'), role: 'platform', merchantId: 'm-demo', name: 'p' }],
      /API_KEYS\.0\.merchantId/,
    ],
    [
      'a zero rate',
      [{ sha256: sha256('x'), role: 'platform', name: 'p', rateLimit: { perSecond: 0, burst: 1 } }],
      /API_KEYS\.0\.rateLimit\.perSecond/,
    ],
  ])('%s is refused at start, naming the field and never echoing the key', (_what, keys, message) => {
    expect(() => loadConfig({ API_KEYS: JSON.stringify(keys) })).toThrow(message);
    try {
      loadConfig({ API_KEYS: JSON.stringify(keys) });
    } catch (err) {
      expect((err as Error).message).not.toContain('my-secret-key-123');
    }
  });
});

describe('per-key rate limits', () => {
  test('a key past its burst gets 429 problem+json with Retry-After; another key is unaffected', async () => {
    for (let i = 0; i < 3; i++) expectOk(await send(stack.app, 'GET', '/v1/ops/audit', LIMITED));
    const limited = await send(stack.app, 'GET', '/v1/ops/audit', LIMITED);
    const problem = expectProblem(limited, 429, '/problems/rate-limited');
    expect(problem.title).toBe('Too Many Requests');
    expect(problem.detail).toContain('limited support');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(100);

    expectOk(await send(stack.app, 'GET', '/v1/ops/audit', OTHER));
  });

  test('a limited request changes nothing, even a valid submission', async () => {
    const key = randomUUID();
    const res = await send(stack.app, 'POST', '/v1/orders', LIMITED, orderBody(), { 'idempotency-key': key });
    expectProblem(res, 429, '/problems/rate-limited');
    expect(await stack.db.idempotencyRecord.count({ where: { key } })).toBe(0);
  });

  test("unknown keys are 401, never 429, and do not spend a known key's budget", async () => {
    for (let i = 0; i < 5; i++)
      expectProblem(await send(stack.app, 'GET', '/v1/ops/audit', `nope-${i}`), 401, '/problems/unauthorized');
    expectOk(await send(stack.app, 'GET', '/v1/ops/audit', OTHER));
  });
});

// docs/notifications.md, "Outbound events": the pure parts — Standard Webhooks signing, the retry
// schedule with its jitter, event-type patterns, the endpoint (SSRF) guard and secret rotation's overlap.
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { generateSecret, signedHeaders } from '../../adapters/outbound-webhooks';
import { isPrivateAddress, urlRefusal, urlShapeProblem } from '../../adapters/url-guard';
import { loadConfig } from '../../config';
import {
  eventTypePattern,
  matchesEventType,
  previousSecretExpiry,
  previousSecretSignsUntil,
  retryDelayMs,
  retrySpanMs,
  SECRET_OVERLAP_DEFAULT_SECONDS,
  secretOverlapSeconds,
  signingSecrets,
} from '../../domain';

describe('signing (Standard Webhooks)', () => {
  const secret = generateSecret();
  const body = JSON.stringify({ type: 'payment.captured', data: { orderId: 'o-1', sequence: 4 } });
  const at = new Date('2026-11-26T02:00:00.750Z');

  test('a secret is whsec_ and 32 random bytes in base64', () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(secret);
  });

  test('the headers verify with the standardwebhooks library; a changed body, id or timestamp does not', () => {
    const headers = signedHeaders(secret, 'evt_o-1_4', body, new Date());
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(body.replace('o-1', 'o-2'), headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'evt_o-1_5' })).toThrow();
    const later = String(Number(headers['webhook-timestamp']) + 1);
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-timestamp': later })).toThrow();
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
  });

  test('the signature is v1,<base64 HMAC-SHA256 of id.timestamp.body> under the base64-decoded key, whole seconds', () => {
    const headers = signedHeaders(secret, 'evt_o-1_4', body, at);
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    const expected = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
      .update(`evt_o-1_4.${headers['webhook-timestamp']}.${body}`)
      .digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });
});

describe('secret rotation (decision 074)', () => {
  const now = new Date('2026-11-26T06:00:00.000Z');
  const secrets = {
    secret: 'whsec_new',
    previousSecret: 'whsec_old',
    previousSecretExpiresAt: new Date(now.getTime() + 1),
  };

  test('during the overlap both secrets sign, the current one first; at its end and after, the current one only', () => {
    expect(signingSecrets(secrets, now)).toEqual(['whsec_new', 'whsec_old']);
    expect(previousSecretSignsUntil(secrets, now)).toEqual(secrets.previousSecretExpiresAt);
    const ended = { ...secrets, previousSecretExpiresAt: now };
    expect(signingSecrets(ended, now)).toEqual(['whsec_new']);
    expect(previousSecretSignsUntil(ended, now)).toBeNull();
    const none = { secret: 'whsec_new', previousSecret: null, previousSecretExpiresAt: null };
    expect(signingSecrets(none, now)).toEqual(['whsec_new']);
  });

  test('the overlap is 24 h by default, 0 ends it at once, at most 7 days in whole seconds', () => {
    expect(SECRET_OVERLAP_DEFAULT_SECONDS).toBe(86_400);
    expect(previousSecretExpiry(SECRET_OVERLAP_DEFAULT_SECONDS, now)).toEqual(new Date(now.getTime() + 86_400_000));
    expect(previousSecretExpiry(0, now)).toBeNull();
    for (const ok of [0, 1, 604_800]) expect(secretOverlapSeconds.safeParse(ok).success).toBe(true);
    for (const bad of [-1, 604_801, 1.5, '60']) expect(secretOverlapSeconds.safeParse(bad).success).toBe(false);
  });

  test('headers signed with two secrets carry two v1 signatures; the library accepts either secret, not a third', () => {
    const [next, previous] = [generateSecret(), generateSecret()];
    const body = '{"type":"order.submitted"}';
    const headers = signedHeaders([next, previous], 'evt_o-1_1', body);
    expect(headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    expect(headers['webhook-signature'].split(' ')[0]).toBe(
      signedHeaders(next, 'evt_o-1_1', body)['webhook-signature'],
    );
    for (const secret of [next, previous]) expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
  });
});

describe('retry schedule', () => {
  const schedule = [1000, 10_000, 60_000];

  test('the n-th failure waits the n-th entry within ±20 %; after the last one there is none', () => {
    expect(retryDelayMs(schedule, 1, () => 0)).toBe(800);
    expect(retryDelayMs(schedule, 1, () => 0.5)).toBe(1000);
    expect(retryDelayMs(schedule, 2, () => 0.999_999)).toBe(12_000);
    expect(retryDelayMs(schedule, 3, () => 0.5)).toBe(60_000);
    expect(retryDelayMs(schedule, 4)).toBeUndefined();
  });

  test('jitter spreads endpoints that failed together', () => {
    const waits = new Set(Array.from({ length: 50 }, () => retryDelayMs(schedule, 2)));
    expect(waits.size).toBeGreaterThan(10);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(8000);
  });

  test('the default schedule retries for at least 24 hours, even at its lowest jitter', () => {
    const config = loadConfig({});
    expect(retrySpanMs(config.WEBHOOK_RETRY_SCHEDULE)).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(config.WEBHOOK_TIMEOUT_MS).toBe(10_000);
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '100ms, 2s,1m' }).WEBHOOK_RETRY_SCHEDULE).toEqual([100, 2000, 60_000]);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: '5 minutes' })).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
  });
});

describe('event types', () => {
  test('*, a family or one type', () => {
    expect(matchesEventType(['*'], 'payment.captured')).toBe(true);
    expect(matchesEventType(['payment.*'], 'payment.captured')).toBe(true);
    expect(matchesEventType(['payment.*'], 'payments.captured')).toBe(false);
    expect(matchesEventType(['shipment.delivered', 'order.*'], 'order.submitted')).toBe(true);
    expect(matchesEventType(['shipment.delivered'], 'shipment.booked')).toBe(false);
  });

  test('patterns are checked for shape', () => {
    for (const ok of ['*', 'payment.*', 'after_sales.refunded', 'order.submitted'])
      expect(eventTypePattern.safeParse(ok).success).toBe(true);
    for (const bad of ['', 'payment', '*.captured', 'Payment.Captured', 'payment.*.x', 'a'.repeat(101)])
      expect(eventTypePattern.safeParse(bad).success).toBe(false);
  });
});

describe('endpoint guard', () => {
  const closed = { allowPrivate: false, allowedHosts: [] };

  test('private, loopback, link-local and metadata addresses are refused; public ones pass', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      'not-an-ip',
    ])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
    for (const ip of ['8.8.8.8', '203.0.113.10', '172.32.0.1', '2001:db8::1', '::ffff:8.8.8.8'])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
  });

  test('a URL must be absolute http(s) without credentials', () => {
    expect(urlShapeProblem('https://hooks.example.com/a')).toBeUndefined();
    expect(urlShapeProblem('ftp://hooks.example.com/a')).toMatch(/http/);
    expect(urlShapeProblem('/relative')).toMatch(/absolute/);
    expect(urlShapeProblem('https://user:pw@hooks.example.com/')).toMatch(/credentials/);
  });

  test('every address a name resolves to is checked; allowed hosts and the private switch open the guard', async () => {
    const lookup = async (host: string) => (host === 'rebound.example' ? ['8.8.8.8', '10.0.0.5'] : ['8.8.4.4']);
    expect(await urlRefusal('https://rebound.example/h', closed, lookup)).toMatch(/10\.0\.0\.5/);
    expect(await urlRefusal('https://fine.example/h', closed, lookup)).toBeUndefined();
    expect(await urlRefusal('http://127.0.0.1:9/h', closed, lookup)).toMatch(/private/);
    expect(await urlRefusal('http://[::1]:9/h', closed, lookup)).toMatch(/private/);
    expect(await urlRefusal('http://127.0.0.1:9/h', { allowPrivate: false, allowedHosts: ['127.0.0.1'] })).toBe(
      undefined,
    );
    expect(await urlRefusal('http://10.0.0.1/h', { allowPrivate: true, allowedHosts: [] })).toBeUndefined();
    const failing = async () => {
      throw new Error('ENOTFOUND');
    };
    expect(await urlRefusal('https://nowhere.invalid/h', closed, failing)).toMatch(/does not resolve/);
  });
});

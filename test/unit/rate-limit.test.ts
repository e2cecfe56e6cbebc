// Per-key token buckets (api/rate-limit.ts) with a controlled clock.
import { RateLimiter } from '../../api/rate-limit';

test('a key bursts up to its limit, then waits for the refill; keys do not share buckets', () => {
  let now = 1_000_000;
  const limiter = new RateLimiter(() => now);
  const limit = { perSecond: 2, burst: 3 };
  expect([1, 2, 3].map(() => limiter.take('a', limit).allowed)).toEqual([true, true, true]);
  expect(limiter.take('a', limit)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  expect(limiter.take('b', limit).allowed).toBe(true);
  now += 500; // one token back at 2/s
  expect(limiter.take('a', limit).allowed).toBe(true);
  expect(limiter.take('a', limit).allowed).toBe(false);
  now += 60_000; // refills to the burst, never beyond
  expect([1, 2, 3, 4].map(() => limiter.take('a', limit).allowed)).toEqual([true, true, true, false]);
});

test('Retry-After is the whole seconds until the next token', () => {
  const now = 0;
  const limiter = new RateLimiter(() => now);
  const slow = { perSecond: 0.1, burst: 1 }; // one request per 10 s
  expect(limiter.take('k', slow).allowed).toBe(true);
  expect(limiter.take('k', slow)).toEqual({ allowed: false, retryAfterSeconds: 10 });
});

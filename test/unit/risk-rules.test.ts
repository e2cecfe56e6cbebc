// Risk rules (domain/risk.ts): each rule's outcome at its boundary, and which rule wins.
import { assessRisk, resolveOrderPolicy, resolvePolicy, riskIdentity } from '../../domain';

const policy = resolvePolicy({
  riskAmountLimit: 100_000,
  riskReviewAmount: 50_000,
  riskNewAccountAmount: 20_000,
  riskNewAccountSeconds: 3600,
  riskVelocityLimit: 3,
  riskPhoneVelocityLimit: 2,
  riskAddressVelocityLimit: 4,
});
const base = {
  total: 10_000,
  recentOrdersByCustomer: 1,
  recentOrdersByPhone: 1,
  recentOrdersByAddress: 1,
  accountAgeSeconds: 10 * 86400,
};

test('an ordinary order is approved', () => {
  expect(assessRisk(base, policy)).toEqual({ decision: 'approve' });
});

test('review above the review amount (at it: approved)', () => {
  expect(assessRisk({ ...base, total: 50_000 }, policy).decision).toBe('approve');
  expect(assessRisk({ ...base, total: 50_001 }, policy)).toMatchObject({
    decision: 'review',
    reason: expect.stringMatching(/50001 is above 50000/),
  });
});

test('step-up for a new account above the new-account amount; an older account is approved', () => {
  expect(assessRisk({ ...base, total: 20_001, accountAgeSeconds: 3599 }, policy)).toMatchObject({
    decision: 'step_up',
  });
  expect(assessRisk({ ...base, total: 20_000, accountAgeSeconds: 0 }, policy).decision).toBe('approve');
  expect(assessRisk({ ...base, total: 20_001, accountAgeSeconds: 3600 }, policy).decision).toBe('approve');
});

test('velocity per customer, phone and address rejects above each limit; rules without a limit are off', () => {
  expect(
    assessRisk({ ...base, recentOrdersByPhone: 2, recentOrdersByAddress: 4, recentOrdersByCustomer: 3 }, policy)
      .decision,
  ).toBe('approve');
  expect(assessRisk({ ...base, recentOrdersByPhone: 3 }, policy)).toMatchObject({
    decision: 'reject',
    reason: expect.stringMatching(/same phone number/),
  });
  expect(assessRisk({ ...base, recentOrdersByAddress: 5 }, policy)).toMatchObject({
    decision: 'reject',
    reason: expect.stringMatching(/same shipping address/),
  });
  expect(assessRisk({ ...base, recentOrdersByCustomer: 4 }, policy)).toMatchObject({
    decision: 'reject',
    reason: expect.stringMatching(/customer placed 4 orders/),
  });
  expect(assessRisk({ ...base, recentOrdersByPhone: 1000 }, resolvePolicy()).decision).toBe('approve');
});

test('the strictest rule wins: frozen and blocklisted before amount, reject before review before step-up', () => {
  const everything = {
    ...base,
    total: 200_000,
    accountAgeSeconds: 0,
    frozen: { reason: 'fraud' },
    blocklisted: [{ kind: 'phone' as const, reason: 'scam' }],
  };
  expect(assessRisk(everything, policy)).toEqual({
    decision: 'reject',
    reason: 'the customer account is frozen by support: fraud',
  });
  expect(assessRisk({ ...everything, frozen: undefined }, policy)).toEqual({
    decision: 'reject',
    reason: "the order's phone is blocklisted: scam",
  });
  expect(assessRisk({ ...everything, frozen: undefined, blocklisted: [] }, policy)).toMatchObject({
    decision: 'reject',
    reason: expect.stringMatching(/exceeds the limit/),
  });
  expect(assessRisk({ ...base, total: 60_000, accountAgeSeconds: 0 }, policy).decision).toBe('review');
});

test('identities normalise formatting: phones by digits, addresses ignoring case and spacing', () => {
  expect(riskIdentity('phone', '+86 138-0013 8000')).toBe(riskIdentity('phone', '+8613800138000'));
  const a = { province: '上海', city: '上海市', district: '浦东新区', line1: 'Century Ave 100' };
  expect(riskIdentity('address', a)).toBe(riskIdentity('address', { ...a, line1: '  century  AVE 100 ' }));
  expect(riskIdentity('address', a)).not.toBe(riskIdentity('address', { ...a, line1: 'Century Ave 101' }));
});

test('an order may shorten its review window only where an unanswered review rejects', () => {
  expect(resolveOrderPolicy({}, { riskReviewSlaSeconds: 5 }).riskReviewSlaSeconds).toBe(5);
  expect(
    resolveOrderPolicy({ riskReviewExpiryAction: 'approve', riskReviewSlaSeconds: 600 }, { riskReviewSlaSeconds: 5 })
      .riskReviewSlaSeconds,
  ).toBe(600);
  expect(
    resolveOrderPolicy({ riskReviewExpiryAction: 'approve', riskReviewSlaSeconds: 600 }, { riskReviewSlaSeconds: 6000 })
      .riskReviewSlaSeconds,
  ).toBe(6000);
});

import {
  assessRisk,
  DEFAULT_POLICY,
  MAX_LINE_QUANTITY,
  policySchema,
  priceOrder,
  resolvePolicy,
  submitOrderSchema,
  type CatalogEntry,
} from '../../domain';

const catalog = new Map<string, CatalogEntry>(
  [
    { sku: 'TEA-01', name: 'Longjing tea', priceAmount: 12900, currency: 'CNY', active: true, merchantId: 'm-1' },
    { sku: 'CUP-02', name: 'Celadon cup', priceAmount: 4550, currency: 'CNY', active: true, merchantId: 'm-1' },
    { sku: 'OLD-03', name: 'Discontinued', priceAmount: 100, currency: 'CNY', active: false, merchantId: 'm-1' },
    { sku: 'OTHER-04', name: 'Other shop', priceAmount: 999, currency: 'CNY', active: true, merchantId: 'm-2' },
    { sku: 'USD-05', name: 'Priced in dollars', priceAmount: 500, currency: 'USD', active: true, merchantId: 'm-1' },
  ].map((e) => [e.sku, e]),
);

describe('priceOrder', () => {
  it('prices every line from the catalog and ignores anything the client sends', () => {
    // Client-side price fields are not part of the input type; smuggle some in to prove they are ignored.
    const requested = [
      { sku: 'TEA-01', quantity: 2, unitPrice: 1, priceAmount: 1 },
      { sku: 'CUP-02', quantity: 3, unitPrice: 1, total: 1 },
    ] as unknown as Array<{ sku: string; quantity: number }>;
    const r = priceOrder(requested, catalog);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.merchantId).toBe('m-1');
    expect(r.lines).toEqual([
      {
        lineNo: 1,
        sku: 'TEA-01',
        name: 'Longjing tea',
        unitPrice: 12900,
        quantity: 2,
        allocated: 0,
        shipped: 0,
        delivered: 0,
        returned: 0,
        refunded: 0,
      },
      {
        lineNo: 2,
        sku: 'CUP-02',
        name: 'Celadon cup',
        unitPrice: 4550,
        quantity: 3,
        allocated: 0,
        shipped: 0,
        delivered: 0,
        returned: 0,
        refunded: 0,
      },
    ]);
    const subtotal = 2 * 12900 + 3 * 4550;
    expect(r.totals).toEqual({ currency: 'CNY', subtotal, discount: 0, shippingFee: 0, total: subtotal });
    expect(Number.isInteger(r.totals.total)).toBe(true);
  });

  it('reports unknown and inactive SKUs with paths lines.<i>.sku', () => {
    const r = priceOrder(
      [
        { sku: 'TEA-01', quantity: 1 },
        { sku: 'NOPE-99', quantity: 1 },
        { sku: 'OLD-03', quantity: 1 },
      ],
      catalog,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual(['lines.1.sku', 'lines.2.sku']);
    expect(r.errors[0].message).toMatch(/NOPE-99/);
    expect(r.errors[1].message).toMatch(/OLD-03/);
  });

  it('refuses to mix merchants in one order', () => {
    const r = priceOrder(
      [
        { sku: 'TEA-01', quantity: 1 },
        { sku: 'OTHER-04', quantity: 1 },
      ],
      catalog,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].path).toBe('lines.1.sku');
    expect(r.errors[0].message).toMatch(/merchant/);
  });

  it('refuses to mix currencies in one order', () => {
    const r = priceOrder(
      [
        { sku: 'TEA-01', quantity: 1 },
        { sku: 'USD-05', quantity: 1 },
      ],
      catalog,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual(['lines.1.sku']);
    expect(r.errors[0].message).toMatch(/currency/);
  });
});

describe('assessRisk', () => {
  const policy = resolvePolicy({ riskAmountLimit: 10_000, riskVelocityLimit: 3, riskVelocityWindowSeconds: 600 });

  it('approves an order equal to the amount limit and rejects one above it', () => {
    expect(assessRisk({ total: 9_999, recentOrdersByCustomer: 1 }, policy)).toEqual({ decision: 'approve' });
    expect(assessRisk({ total: 10_000, recentOrdersByCustomer: 1 }, policy)).toEqual({ decision: 'approve' });
    const r = assessRisk({ total: 10_001, recentOrdersByCustomer: 1 }, policy);
    expect(r.decision).toBe('reject');
    if (r.decision === 'reject') expect(r.reason).toMatch(/10001/);
  });

  it('approves a customer exactly at the velocity limit and rejects one above it', () => {
    expect(assessRisk({ total: 100, recentOrdersByCustomer: 3 }, policy)).toEqual({ decision: 'approve' });
    const r = assessRisk({ total: 100, recentOrdersByCustomer: 4 }, policy);
    expect(r.decision).toBe('reject');
    if (r.decision === 'reject') expect(r.reason).toMatch(/4 orders/);
  });

  it('uses the policy it is given, not the defaults', () => {
    expect(assessRisk({ total: DEFAULT_POLICY.riskAmountLimit, recentOrdersByCustomer: 1 }, policy).decision).toBe(
      'reject',
    );
    expect(assessRisk({ total: 10_001, recentOrdersByCustomer: 1 }, DEFAULT_POLICY).decision).toBe('approve');
  });
});

describe('policy', () => {
  it('has the documented defaults (docs/product.md)', () => {
    expect(DEFAULT_POLICY.paymentWindowSeconds).toBe(30 * 60);
    expect(DEFAULT_POLICY.merchantSlaSeconds).toBe(24 * 3600);
    expect(DEFAULT_POLICY.autoConfirmSeconds).toBe(7 * 86400);
    expect(DEFAULT_POLICY.returnWindowSeconds).toBe(7 * 86400);
    expect(policySchema.safeParse(DEFAULT_POLICY).success).toBe(true);
  });

  it('resolvePolicy: defaults < merchant < order', () => {
    expect(resolvePolicy()).toEqual(DEFAULT_POLICY);
    const merchant = { paymentWindowSeconds: 600, merchantSlaSeconds: 3600, autoAccept: false };
    const order = { paymentWindowSeconds: 5, autoConfirmSeconds: 20 };
    const p = resolvePolicy(merchant, order);
    expect(p).toEqual({
      ...DEFAULT_POLICY,
      paymentWindowSeconds: 5,
      merchantSlaSeconds: 3600,
      autoAccept: false,
      autoConfirmSeconds: 20,
    });
    // Order before merchant would be wrong: the later argument wins.
    expect(resolvePolicy(order, merchant).paymentWindowSeconds).toBe(600);
  });

  it('resolvePolicy skips missing layers and leaves DEFAULT_POLICY untouched', () => {
    const before = { ...DEFAULT_POLICY };
    expect(resolvePolicy(undefined, { returnWindowSeconds: 10 })).toEqual({
      ...DEFAULT_POLICY,
      returnWindowSeconds: 10,
    });
    expect(resolvePolicy({ merchantSlaSeconds: 7 }, undefined)).toEqual({ ...DEFAULT_POLICY, merchantSlaSeconds: 7 });
    resolvePolicy({ paymentWindowSeconds: 1 });
    expect(DEFAULT_POLICY).toEqual(before);
  });
});

describe('submitOrderSchema', () => {
  const valid = {
    channel: 'web',
    customer: { id: 'c-1', name: 'Li Lei', phone: '+86 138 0000 0000', email: 'li@example.com' },
    shippingAddress: {
      recipient: 'Li Lei',
      phone: '13800000000',
      province: 'Zhejiang',
      city: 'Hangzhou',
      district: 'Xihu',
      line1: '1 Lingyin Road',
      postalCode: '310000',
    },
    lines: [
      { sku: 'TEA-01', quantity: 2 },
      { sku: 'CUP-02', quantity: 1 },
    ],
    paymentMethod: 'card',
    card: { token: 'tok_visa' },
  };

  const paths = (body: unknown) => {
    const r = submitOrderSchema.safeParse(body);
    expect(r.success).toBe(false);
    return r.error!.issues.map((i) => i.path);
  };

  it('accepts a valid order', () => {
    expect(submitOrderSchema.safeParse(valid).success).toBe(true);
    const { card: _, ...wallet } = valid;
    expect(submitOrderSchema.safeParse({ ...wallet, paymentMethod: 'wechat_pay' }).success).toBe(true);
    expect(
      submitOrderSchema.safeParse({
        ...wallet,
        paymentMethod: 'cod',
        policy: { paymentWindowSeconds: 60, merchantSlaSeconds: 600 },
      }).success,
    ).toBe(true);
    // Risk limits and auto-acceptance belong to the merchant, not to the order's caller.
    expect(submitOrderSchema.safeParse({ ...wallet, paymentMethod: 'cod', policy: { autoAccept: true } }).success).toBe(
      false,
    );
    expect(
      submitOrderSchema.safeParse({ ...wallet, paymentMethod: 'cod', policy: { riskAmountLimit: 1e9 } }).success,
    ).toBe(false);
  });

  it.each([0, MAX_LINE_QUANTITY + 1, 1.5, -1])('rejects quantity %s at [lines, i, quantity]', (quantity) => {
    expect(MAX_LINE_QUANTITY + 1).toBe(100);
    const body = { ...valid, lines: [valid.lines[0], { sku: 'CUP-02', quantity }] };
    expect(paths(body)).toEqual([['lines', 1, 'quantity']]);
  });

  it('accepts the maximum quantity', () => {
    expect(
      submitOrderSchema.safeParse({ ...valid, lines: [{ sku: 'TEA-01', quantity: MAX_LINE_QUANTITY }] }).success,
    ).toBe(true);
  });

  it('requires a card token for card payments, at path [card]', () => {
    const { card: _, ...noCard } = valid;
    expect(paths(noCard)).toEqual([['card']]);
    expect(paths({ ...valid, card: { token: '' } })).toEqual([['card', 'token']]);
  });

  it('flags a duplicate sku at the repeated line', () => {
    const body = {
      ...valid,
      lines: [
        { sku: 'TEA-01', quantity: 1 },
        { sku: 'CUP-02', quantity: 1 },
        { sku: 'TEA-01', quantity: 2 },
      ],
    };
    const r = submitOrderSchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(r.error!.issues).toEqual([
      expect.objectContaining({ path: ['lines', 2, 'sku'], message: expect.stringMatching(/duplicate/) }),
    ]);
  });

  it('rejects an unknown policy key (strict)', () => {
    const r = submitOrderSchema.safeParse({ ...valid, policy: { paymentWindowSeconds: 60, paymentWindowMinutes: 1 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toEqual([
      expect.objectContaining({ code: 'unrecognized_keys', path: ['policy'], keys: ['paymentWindowMinutes'] }),
    ]);
  });

  it('rejects invalid policy values', () => {
    expect(paths({ ...valid, policy: { paymentWindowSeconds: 0 } })).toEqual([['policy', 'paymentWindowSeconds']]);
    expect(paths({ ...valid, policy: { merchantSlaSeconds: 1.5 } })).toEqual([['policy', 'merchantSlaSeconds']]);
  });

  it('rejects empty line lists and unknown payment methods', () => {
    expect(paths({ ...valid, lines: [] })).toEqual([['lines']]);
    expect(paths({ ...valid, paymentMethod: 'bitcoin' })).toEqual([['paymentMethod']]);
  });

  it('has no client price fields: unit prices in the body are stripped', () => {
    const r = submitOrderSchema.safeParse({ ...valid, lines: [{ sku: 'TEA-01', quantity: 1, unitPrice: 1 }] });
    expect(r.success).toBe(true);
    expect(r.data!.lines[0]).toEqual({ sku: 'TEA-01', quantity: 1 });
  });
});

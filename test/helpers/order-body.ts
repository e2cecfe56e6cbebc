import { randomUUID } from 'node:crypto';

/** A valid submission body (card, one tea), shared by the in-process tests and the production driver. */
export function orderBody(overrides: Record<string, unknown> = {}) {
  return {
    channel: 'web',
    customer: {
      id: `cust-${randomUUID().slice(0, 8)}`,
      name: '张三',
      phone: '+86 138 0013 8000',
      email: 'zhang@example.com',
    },
    shippingAddress: {
      recipient: '张三',
      phone: '+86 138 0013 8000',
      province: '上海',
      city: '上海市',
      district: '浦东新区',
      line1: '世纪大道 100 号',
      postalCode: '200120',
    },
    lines: [{ sku: 'SKU-TEA-001', quantity: 1 }],
    paymentMethod: 'card',
    card: { token: 'tok_visa' },
    ...overrides,
  };
}

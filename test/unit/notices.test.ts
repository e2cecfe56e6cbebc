// docs/notifications.md, "Customer and merchant notices": the catalogue × locales has every template and
// no unknown placeholder; rendering is placeholders only (escaped in email HTML); which timeline entries
// are customer milestones, and under which keys; preferences and quiet hours.
import {
  DEFAULT_PREFERENCES,
  NOTICE_KINDS,
  TEMPLATES,
  initialOrderState,
  locales,
  milestoneNotices,
  placeholdersOf,
  preferencesSchema,
  renderNotice,
  sendAfter,
  type OrderState,
} from '../../domain';

describe('templates', () => {
  const kinds = Object.keys(NOTICE_KINDS) as Array<keyof typeof NOTICE_KINDS>;

  test.each(locales)('%s has a template for every kind, naming only the kind’s placeholders', (locale) => {
    const problems: string[] = [];
    for (const kind of kinds) {
      const t = TEMPLATES[locale][kind];
      if (!t?.subject || !t?.text) {
        problems.push(`${kind}: missing`);
        continue;
      }
      const allowed: readonly string[] = NOTICE_KINDS[kind].placeholders;
      for (const p of placeholdersOf(t)) if (!allowed.includes(p)) problems.push(`${kind}: unknown {${p}}`);
    }
    // And no template for a kind the catalogue does not know (a typo would never be used).
    for (const kind of Object.keys(TEMPLATES[locale]))
      if (!kinds.includes(kind as never)) problems.push(`${kind}: not in the catalogue`);
    expect(problems).toEqual([]);
  });

  test('a shipped notice renders in both locales with courier and tracking number', () => {
    const vars = { orderId: 'ord_1', courier: 'sf-express', trackingNumber: 'SF123' };
    expect(renderNotice('shipment.shipped', 'zh-CN', vars)).toMatchObject({
      locale: 'zh-CN',
      subject: '订单已发货',
      text: '订单 ord_1 已发货：sf-express，运单号 SF123。',
    });
    expect(renderNotice('shipment.shipped', 'en', vars).text).toBe(
      'Order ord_1 has shipped with sf-express, tracking number SF123.',
    );
  });

  test('values are escaped in the email HTML, never in plain text; missing values and objects render empty', () => {
    const m = renderNotice('order.new', 'en', { orderId: '<b>x</b>&"', amount: { evil: true } });
    expect(m.text).toBe('New order <b>x</b>&" for  is waiting for you.');
    expect(m.html).toBe('<p>New order &lt;b&gt;x&lt;/b&gt;&amp;&quot; for  is waiting for you.</p>');
  });

  test('a value the kind does not declare is not rendered, and an unknown kind uses the generic template', () => {
    expect(renderNotice('after_sales.something_new', 'en', { orderId: 'o1' }).text).toBe(
      'There is an update on order o1 (after_sales.something_new).',
    );
  });
});

describe('milestones', () => {
  function state(patch: Partial<OrderState> = {}): OrderState {
    const base = initialOrderState({
      orderId: 'ord_1',
      merchantId: 'm-demo',
      customer: { id: 'c1', name: 'n', phone: 'p' },
      channel: 'web',
      paymentMethod: 'card',
      lines: [],
      totals: { subtotal: 8800, discount: 0, shippingFee: 0, total: 8800, currency: 'CNY' },
    } as never);
    return {
      ...base,
      version: 7,
      shipments: [
        {
          shipmentId: 's1',
          seq: 1,
          warehouseId: 'wh',
          courier: 'sf-express',
          trackingNumber: 'SF1',
          status: 'picked_up',
          lines: [],
        },
      ],
      ...patch,
    };
  }
  const entry = (type: string, detail?: Record<string, unknown>) => ({ type, actor: 'system', detail, at: '' });
  const of = (type: string, detail?: Record<string, unknown>) =>
    milestoneNotices(state(), entry(type, detail)).map((n) => [n.kind, n.key, n.vars]);

  test('each milestone entry maps to its kind; keys are the entry’s sequence or the one milestone it is', () => {
    expect(of('merchant.accepted')).toEqual([['order.confirmed', 'ord_1:confirmed', { orderId: 'ord_1' }]]);
    // Authorized, later captured: one payment received.
    expect(of('payment.authorized', { paymentId: 'p1', amount: 8800 })).toEqual(
      of('payment.captured', { paymentId: 'p1', amount: 8800 }),
    );
    expect(of('payment.captured', { paymentId: 'p1', amount: 8800 })).toEqual([
      ['payment.received', 'ord_1:paid:p1', { orderId: 'ord_1', amount: '¥88.00' }],
    ]);
    // Picked up, then in transit: one parcel shipped.
    expect(of('shipment.picked_up', { seq: 1 })).toEqual(of('shipment.in_transit', { seq: 1 }));
    expect(of('shipment.picked_up', { seq: 1 })).toEqual([
      ['shipment.shipped', 'ord_1:shipped:1', { orderId: 'ord_1', courier: 'sf-express', trackingNumber: 'SF1' }],
    ]);
    for (const t of ['delivered', 'delivery_failed'])
      expect(of(`shipment.${t}`, { seq: 1 })).toEqual([
        [`shipment.${t}`, 'ord_1:7', { orderId: 'ord_1', courier: 'sf-express', trackingNumber: 'SF1' }],
      ]);
    expect(of('receipt.auto_confirmed')).toEqual([['receipt.auto_confirmed', 'ord_1:receipt', { orderId: 'ord_1' }]]);
    expect(of('payment.refunded', { amount: 150 })).toEqual([
      ['refund.issued', 'ord_1:7', { orderId: 'ord_1', amount: '¥1.50' }],
    ]);
  });

  test('other entries tell the customer nothing here (receipt confirmed by the customer, flags, after-sales reports)', () => {
    for (const t of [
      'receipt.confirmed',
      'flag.merchant_sla_expired',
      'after_sales.refunded',
      'shipment.booked',
      'shipment.out_for_delivery', // queued with its tracking event instead
    ])
      expect(of(t)).toEqual([]);
  });

  test('the notice goes to the order’s customer', () => {
    expect(milestoneNotices(state(), entry('merchant.accepted'))[0]).toMatchObject({
      recipientType: 'customer',
      recipientId: 'c1',
      orderId: 'ord_1',
    });
  });
});

describe('preferences', () => {
  test('defaults: SMS and in-app, Chinese, no marketing', () => {
    expect(DEFAULT_PREFERENCES).toEqual({
      channels: { transactional: ['sms', 'in_app'], marketing: [] },
      locale: 'zh-CN',
    });
  });

  test('bad input names the field', () => {
    const paths = (v: unknown) => {
      const r = preferencesSchema.safeParse(v);
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    expect(paths({ channels: { transactional: ['fax'], marketing: [] }, locale: 'en' })).toEqual([
      'channels.transactional.0',
    ]);
    expect(paths({ channels: { transactional: [], marketing: [] }, locale: 'en' })).toEqual(['channels.transactional']);
    expect(paths({ channels: { transactional: ['sms', 'sms'], marketing: [] }, locale: 'en' })).toEqual([
      'channels.transactional',
    ]);
    expect(paths({ channels: { transactional: ['sms'], marketing: [] }, locale: 'fr' })).toEqual(['locale']);
    expect(
      paths({
        channels: { transactional: ['sms'], marketing: [] },
        locale: 'en',
        quietHours: { start: '25:00', end: '08:00', timeZone: 'Mars/Olympus' },
      }),
    ).toEqual(['quietHours.start', 'quietHours.timeZone']);
  });

  test('quiet hours hold SMS and email until they end (across midnight), never in-app', () => {
    const prefs = preferencesSchema.parse({
      channels: { transactional: ['sms', 'email', 'in_app'], marketing: [] },
      locale: 'zh-CN',
      quietHours: { start: '22:00', end: '08:00', timeZone: 'Asia/Shanghai' },
    });
    const at = (iso: string) => new Date(iso);
    // 23:30 in Shanghai (15:30 UTC) → 08:00 Shanghai (00:00 UTC next day).
    expect(sendAfter(prefs, 'sms', at('2026-11-26T15:30:00Z')).toISOString()).toBe('2026-11-27T00:00:00.000Z');
    expect(sendAfter(prefs, 'email', at('2026-11-26T21:15:30Z')).toISOString()).toBe('2026-11-27T00:00:00.000Z');
    expect(sendAfter(prefs, 'in_app', at('2026-11-26T15:30:00Z')).toISOString()).toBe('2026-11-26T15:30:00.000Z');
    // 12:00 in Shanghai: not quiet.
    expect(sendAfter(prefs, 'sms', at('2026-11-26T04:00:00Z')).toISOString()).toBe('2026-11-26T04:00:00.000Z');
    expect(sendAfter(DEFAULT_PREFERENCES, 'sms', at('2026-11-26T15:30:00Z')).toISOString()).toBe(
      '2026-11-26T15:30:00.000Z',
    );
  });
});

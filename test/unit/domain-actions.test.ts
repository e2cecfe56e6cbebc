import {
  actionRefusal,
  AFTER_SALES_ACTIONS,
  afterSalesStatuses,
  allowedActions,
  ORDER_ACTIONS,
  orderActions,
  orderStatuses,
  type OrderState,
  type OrderStatus,
} from '../../domain';

/** An order state in a status, with a captured card payment of 1000 and one line of 2 units. */
function order(status: OrderStatus, patch: Partial<OrderState> = {}): OrderState {
  return {
    orderId: 'ord_1',
    merchantId: 'm-demo',
    customerId: 'c-1',
    channel: 'app',
    status,
    paymentMethod: 'card',
    lines: [
      {
        lineNo: 1,
        sku: 'SKU-1',
        name: 'Tea',
        unitPrice: 500,
        quantity: 2,
        allocated: 2,
        shipped: 0,
        delivered: 0,
        returned: 0,
        refunded: 0,
      },
    ],
    totals: { subtotal: 1000, discount: 0, shippingFee: 0, total: 1000, currency: 'CNY' },
    payments: [
      {
        paymentId: 'pay-ord_1',
        method: 'card',
        status: 'captured',
        amount: 1000,
        captured: 1000,
        refunded: 0,
        currency: 'CNY',
      },
    ],
    shipments: [],
    receiptExtended: false,
    afterSales: [],
    submittedAt: '2026-11-25T00:00:00.000Z',
    version: 3,
    ...patch,
  };
}

describe('ORDER_ACTIONS', () => {
  it('has one row per order status and names only known actions', () => {
    expect(Object.keys(ORDER_ACTIONS).sort()).toEqual([...orderStatuses].sort());
    for (const actions of Object.values(ORDER_ACTIONS)) for (const a of actions) expect(orderActions).toContain(a);
  });

  it('admits nothing once an order is cancelled or rejected', () => {
    expect(allowedActions(order('cancelled'))).toEqual([]);
    expect(allowedActions(order('rejected'))).toEqual([]);
    expect(actionRefusal(order('cancelled'), 'supportRefund')).toBe('order is already cancelled');
  });
});

describe('allowedActions', () => {
  it('lets the customer cancel until the first hand-over, and support until something is delivered', () => {
    expect(allowedActions(order('fulfilling'))).toEqual(
      expect.arrayContaining(['cancel', 'supportCancel', 'supportRefund']),
    );
    const pickedUp = order('fulfilling', {
      shipments: [{ shipmentId: 's-1', seq: 1, warehouseId: 'wh', status: 'picked_up', lines: [] }],
    });
    expect(allowedActions(pickedUp)).not.toContain('cancel');
    expect(actionRefusal(pickedUp, 'cancel')).toMatch(/only support can cancel/);
    expect(allowedActions(order('shipped'))).toEqual(['supportCancel', 'supportRefund']);
    const partlyDelivered = order('partially_shipped', {
      lines: [{ ...order('x' as OrderStatus).lines[0], shipped: 2, delivered: 1 }],
    });
    expect(allowedActions(partlyDelivered)).not.toContain('supportCancel');
  });

  it('narrows a status by its details: the pending decision, what is unshipped, a receipt extended once', () => {
    const awaiting = (awaiting: 'risk_review' | 'verification') =>
      order('under_review', { pendingDecision: { awaiting, actor: 'support', until: '2026-11-26T00:00:00.000Z' } });
    expect(allowedActions(awaiting('risk_review'))).toContain('reviewRisk');
    expect(allowedActions(awaiting('risk_review'))).not.toContain('submitVerification');
    expect(allowedActions(awaiting('verification'))).toContain('submitVerification');
    expect(allowedActions(order('fulfilling'))).not.toContain('ship');
    expect(allowedActions(order('fulfilling', { unshipped: [{ warehouseId: 'wh', lines: [] }] }))).toContain('ship');
    const delivered = order('delivered', {
      pendingDecision: { awaiting: 'receipt_confirmation', actor: 'platform', until: '2026-12-02T00:00:00.000Z' },
    });
    expect(allowedActions(delivered)).toEqual([
      'confirmReceipt',
      'extendReceipt',
      'requestAfterSales',
      'supportRefund',
      'supportExtendWindow',
    ]);
    expect(allowedActions({ ...delivered, receiptExtended: true })).not.toContain('extendReceipt');
    expect(actionRefusal({ ...delivered, receiptExtended: true }, 'extendReceipt')).toMatch(
      /already been extended once/,
    );
  });

  it('offers a support refund only while money is left that open after-sales requests do not reserve', () => {
    expect(allowedActions(order('paid'))).toContain('supportRefund');
    const refunded = order('paid', { payments: [{ ...order('paid').payments[0], refunded: 1000 }] });
    expect(allowedActions(refunded)).not.toContain('supportRefund');
    const reserved = order('completed', {
      afterSales: [
        {
          requestId: 'as_1',
          type: 'return',
          status: 'awaiting_decision',
          lines: [],
          reservedAmount: 1000,
          refunded: 0,
          requestedAt: '2026-11-25T00:00:00.000Z',
        },
      ],
    });
    expect(allowedActions(reserved)).toEqual(['requestAfterSales']);
  });

  it('never extends a payment window (the provider action expires with it)', () => {
    const awaitingPayment = order('awaiting_payment', {
      payments: [],
      pendingDecision: { awaiting: 'payment', actor: 'customer', until: '2026-11-26T00:00:00.000Z' },
    });
    expect(allowedActions(awaitingPayment)).toEqual(['cancel', 'supportCancel']);
    expect(actionRefusal(awaitingPayment, 'supportExtendWindow')).toMatch(/payment window cannot be extended/);
  });
});

describe('AFTER_SALES_ACTIONS', () => {
  it('has one row per request status; a final request admits nothing', () => {
    expect(Object.keys(AFTER_SALES_ACTIONS).sort()).toEqual([...afterSalesStatuses].sort());
    for (const s of ['completed', 'rejected', 'expired', 'cancelled'] as const)
      expect(AFTER_SALES_ACTIONS[s]).toEqual([]);
    expect(AFTER_SALES_ACTIONS.awaiting_decision).toEqual(['decide']);
  });
});

import {
  afterSalesPolicy,
  afterSalesRequestSchema,
  autoApproval,
  claimableUnits,
  DEFAULT_POLICY,
  defaultRefund,
  newLedgerLine,
  pointsFor,
  type AfterSalesLine,
  type AfterSalesSummary,
} from '../../domain';

const line = (lineNo: number, quantity: number, condition?: 'ok' | 'damaged'): AfterSalesLine => ({
  lineNo,
  sku: `S${lineNo}`,
  name: 'x',
  unitPrice: 1000,
  quantity,
  warehouseId: 'wh-shanghai',
  condition,
});
const policy = afterSalesPolicy(DEFAULT_POLICY);

describe('after-sales rules', () => {
  test('auto-approval: no-reason returns, and anything worth at most the threshold', () => {
    expect(autoApproval({ type: 'return', reason: 'no_reason', lines: [line(1, 99)] }, policy)).toMatch(/no-reason/);
    expect(autoApproval({ type: 'exchange', reason: 'no_reason', lines: [line(1, 9)] }, policy)).toBeUndefined();
    expect(autoApproval({ type: 'repair', reason: 'defective', lines: [line(1, 5)] }, policy)).toMatch(
      /within the auto-approval amount/,
    );
    expect(autoApproval({ type: 'repair', reason: 'defective', lines: [line(1, 6)] }, policy)).toBeUndefined();
    expect(
      autoApproval(
        { type: 'compensation', reason: 'other', lines: [], compensation: { kind: 'refund', amount: 5001 } },
        policy,
      ),
    ).toBeUndefined();
    expect(
      autoApproval(
        { type: 'return', reason: 'no_reason', lines: [line(1, 99)] },
        { ...policy, afterSalesAutoApproveNoReason: false, afterSalesAutoApproveAmount: 0 },
      ),
    ).toBeUndefined();
  });

  test('claimable units: delivered, less returned, less what open requests hold', () => {
    const l = { ...newLedgerLine(1, 'S1', 'x', 1000, 5), allocated: 5, shipped: 5, delivered: 4, returned: 1 };
    const open: AfterSalesSummary[] = [
      {
        requestId: 'a',
        type: 'return',
        status: 'awaiting_return',
        lines: [{ lineNo: 1, sku: 'S1', quantity: 2 }],
        reservedAmount: 0,
        refunded: 0,
        requestedAt: '',
      },
    ];
    expect(claimableUnits(l, [])).toBe(3);
    expect(claimableUnits(l, open)).toBe(1);
  });

  test('points: one per whole currency unit paid; default refund: the value of the units found ok', () => {
    expect([pointsFor(0), pointsFor(99), pointsFor(100), pointsFor(14450), pointsFor(-5)]).toEqual([0, 0, 1, 144, 0]);
    expect(defaultRefund([line(1, 2, 'ok'), line(2, 3, 'damaged'), line(3, 1)])).toBe(3000);
  });

  test('request body: compensation only for compensation requests, lines for goods, no duplicate skus', () => {
    const paths = (body: unknown) =>
      (afterSalesRequestSchema.safeParse(body).error?.issues ?? []).map((i) => i.path.join('.'));
    expect(paths({ type: 'return', reason: 'defective', lines: [{ sku: 'A', quantity: 1 }] })).toEqual([]);
    expect(paths({ type: 'return', reason: 'defective', lines: [] })).toEqual(['lines']);
    expect(
      paths({
        type: 'return',
        reason: 'defective',
        lines: [
          { sku: 'A', quantity: 1 },
          { sku: 'A', quantity: 1 },
        ],
      }),
    ).toEqual(['lines.1.sku']);
    expect(paths({ type: 'compensation', reason: 'other' })).toEqual(['compensation']);
    expect(
      paths({
        type: 'repair',
        reason: 'other',
        lines: [{ sku: 'A', quantity: 1 }],
        compensation: { kind: 'coupon', amount: 5 },
      }),
    ).toEqual(['compensation']);
    expect(paths({ type: 'return', reason: 'because', lines: [{ sku: 'A', quantity: 0 }] })).toEqual([
      'lines.0.quantity',
      'reason',
    ]);
  });

  test('orders started before the after-sales policy values existed get the defaults', () => {
    expect(afterSalesPolicy({ returnWindowSeconds: 30 })).toEqual({ ...policy, returnWindowSeconds: 30 });
  });
});

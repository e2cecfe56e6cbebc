import {
  deriveStatus,
  newLedgerLine,
  orderStatuses,
  unallocatedValue,
  type OrderLine,
  type StepStatus,
} from '../../domain';

function line(lineNo: number, q: Partial<OrderLine> & { quantity: number }): OrderLine {
  return { ...newLedgerLine(lineNo, `SKU-${lineNo}`, `Item ${lineNo}`, 1000, q.quantity), ...q };
}

const STEP_STATUSES = orderStatuses.filter(
  (s) => s !== 'partially_shipped' && s !== 'shipped' && s !== 'delivered',
) as StepStatus[];

describe('newLedgerLine', () => {
  it('starts with every ledger quantity at zero', () => {
    expect(newLedgerLine(2, 'SKU-X', 'X', 1999, 3)).toEqual({
      lineNo: 2,
      sku: 'SKU-X',
      name: 'X',
      unitPrice: 1999,
      quantity: 3,
      allocated: 0,
      shipped: 0,
      delivered: 0,
      returned: 0,
      refunded: 0,
    });
  });
});

describe('deriveStatus', () => {
  const allDelivered = [line(1, { quantity: 2, allocated: 2, shipped: 2, delivered: 2 })];
  const noneShipped = [line(1, { quantity: 2, allocated: 2 })];

  it.each(STEP_STATUSES.filter((s) => s !== 'fulfilling'))(
    'returns the step status %s unchanged, whatever the ledger says',
    (step) => {
      expect(deriveStatus(step, allDelivered)).toBe(step);
      expect(deriveStatus(step, noneShipped)).toBe(step);
      expect(deriveStatus(step, [])).toBe(step);
    },
  );

  it('covers every order status except the three derived ones as step statuses', () => {
    expect(STEP_STATUSES).toHaveLength(orderStatuses.length - 3);
  });

  describe("while 'fulfilling'", () => {
    it('is fulfilling when nothing has shipped', () => {
      expect(
        deriveStatus('fulfilling', [line(1, { quantity: 2, allocated: 2 }), line(2, { quantity: 1, allocated: 1 })]),
      ).toBe('fulfilling');
    });

    it('is partially_shipped when some but not all allocated units shipped', () => {
      // One line shipped, the other not.
      expect(
        deriveStatus('fulfilling', [
          line(1, { quantity: 2, allocated: 2, shipped: 2 }),
          line(2, { quantity: 1, allocated: 1 }),
        ]),
      ).toBe('partially_shipped');
      // Part of one line shipped.
      expect(deriveStatus('fulfilling', [line(1, { quantity: 4, allocated: 4, shipped: 1 })])).toBe(
        'partially_shipped',
      );
    });

    it('is partially_shipped, not delivered, when one shipment is delivered and another line has not shipped', () => {
      expect(
        deriveStatus('fulfilling', [
          line(1, { quantity: 2, allocated: 2, shipped: 2, delivered: 2 }),
          line(2, { quantity: 1, allocated: 1 }),
        ]),
      ).toBe('partially_shipped');
    });

    it('is shipped when every allocated unit shipped but not all were delivered', () => {
      expect(
        deriveStatus('fulfilling', [
          line(1, { quantity: 2, allocated: 2, shipped: 2 }),
          line(2, { quantity: 1, allocated: 1, shipped: 1 }),
        ]),
      ).toBe('shipped');
      expect(
        deriveStatus('fulfilling', [
          line(1, { quantity: 2, allocated: 2, shipped: 2, delivered: 2 }),
          line(2, { quantity: 1, allocated: 1, shipped: 1 }),
        ]),
      ).toBe('shipped');
    });

    it('is delivered when every allocated unit was delivered', () => {
      expect(
        deriveStatus('fulfilling', [
          line(1, { quantity: 2, allocated: 2, shipped: 2, delivered: 2 }),
          line(2, { quantity: 1, allocated: 1, shipped: 1, delivered: 1 }),
        ]),
      ).toBe('delivered');
    });

    it('measures against allocated, not ordered, quantities (partial allocation)', () => {
      expect(deriveStatus('fulfilling', [line(1, { quantity: 5, allocated: 3, shipped: 3 })])).toBe('shipped');
      expect(deriveStatus('fulfilling', [line(1, { quantity: 5, allocated: 3, shipped: 3, delivered: 3 })])).toBe(
        'delivered',
      );
    });

    it('ignores lines with nothing allocated', () => {
      const unallocated = line(2, { quantity: 3, allocated: 0 });
      expect(deriveStatus('fulfilling', [line(1, { quantity: 1, allocated: 1 }), unallocated])).toBe('fulfilling');
      expect(deriveStatus('fulfilling', [line(1, { quantity: 1, allocated: 1, shipped: 1 }), unallocated])).toBe(
        'shipped',
      );
      expect(
        deriveStatus('fulfilling', [line(1, { quantity: 1, allocated: 1, shipped: 1, delivered: 1 }), unallocated]),
      ).toBe('delivered');
      // Stray quantities on an unallocated line do not count either.
      const stray = line(3, { quantity: 2, allocated: 0, shipped: 2, delivered: 2 });
      expect(deriveStatus('fulfilling', [line(1, { quantity: 1, allocated: 1 }), stray])).toBe('fulfilling');
    });

    it('stays fulfilling when no line has anything allocated', () => {
      expect(deriveStatus('fulfilling', [line(1, { quantity: 2 })])).toBe('fulfilling');
      expect(deriveStatus('fulfilling', [])).toBe('fulfilling');
    });
  });
});

describe('unallocatedValue', () => {
  it('sums (quantity - allocated) * unitPrice over the lines', () => {
    const lines = [
      line(1, { quantity: 3, allocated: 1, unitPrice: 1000 }),
      line(2, { quantity: 2, allocated: 2, unitPrice: 500 }),
      line(3, { quantity: 4, allocated: 0, unitPrice: 250 }),
    ];
    expect(unallocatedValue(lines)).toBe(2 * 1000 + 0 + 4 * 250);
  });

  it('is zero when everything is allocated, or there are no lines', () => {
    expect(unallocatedValue([line(1, { quantity: 3, allocated: 3, unitPrice: 999 })])).toBe(0);
    expect(unallocatedValue([])).toBe(0);
  });

  it('does not depend on shipped or delivered quantities', () => {
    expect(unallocatedValue([line(1, { quantity: 3, allocated: 2, shipped: 2, delivered: 1, unitPrice: 700 })])).toBe(
      700,
    );
  });
});

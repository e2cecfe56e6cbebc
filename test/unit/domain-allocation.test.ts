import fc from 'fast-check';
import { fewestShipmentsThenNearest, type AllocationPlan, type StockLevel, type StockNeed } from '../../domain';

const allocate = fewestShipmentsThenNearest;

const level = (sku: string, warehouseId: string, province: string, available: number): StockLevel => ({
  sku,
  warehouseId,
  province,
  available,
});
const need = (lineNo: number, sku: string, quantity: number): StockNeed => ({ lineNo, sku, quantity });

/** Units planned per `sku@warehouse`. */
function plannedByKey(plan: AllocationPlan): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of plan.pieces)
    m.set(`${p.sku}@${p.warehouseId}`, (m.get(`${p.sku}@${p.warehouseId}`) ?? 0) + p.quantity);
  return m;
}

const warehousesUsed = (plan: AllocationPlan) => new Set(plan.pieces.map((p) => p.warehouseId));

describe('fewestShipmentsThenNearest', () => {
  it('prefers one warehouse that serves every line over splitting, even over a nearer one', () => {
    const stock = [
      // Nearby, but only has the first SKU.
      level('A', 'W-near', 'Zhejiang', 10),
      // Far away, but serves the whole order.
      level('A', 'W-far', 'Guangdong', 2),
      level('B', 'W-far', 'Guangdong', 3),
    ];
    const plan = allocate([need(1, 'A', 2), need(2, 'B', 3)], stock, 'Zhejiang');
    expect(plan.short).toEqual([]);
    expect(plan.pieces).toEqual(
      expect.arrayContaining([
        { lineNo: 1, sku: 'A', warehouseId: 'W-far', quantity: 2 },
        { lineNo: 2, sku: 'B', warehouseId: 'W-far', quantity: 3 },
      ]),
    );
    expect(plan.pieces).toHaveLength(2);
    expect([...warehousesUsed(plan)]).toEqual(['W-far']);
  });

  it('breaks a tie between complete warehouses by the shipping province', () => {
    const stock = [
      level('A', 'W-a', 'Beijing', 5),
      level('B', 'W-a', 'Beijing', 5),
      level('A', 'W-z', 'Shanghai', 5),
      level('B', 'W-z', 'Shanghai', 5),
    ];
    const needs = [need(1, 'A', 1), need(2, 'B', 2)];

    const toShanghai = allocate(needs, stock, 'Shanghai');
    expect(toShanghai.short).toEqual([]);
    expect([...warehousesUsed(toShanghai)]).toEqual(['W-z']);

    // Not merely alphabetical: shipping to the other province flips the choice.
    const toBeijing = allocate(needs, stock, 'Beijing');
    expect([...warehousesUsed(toBeijing)]).toEqual(['W-a']);
  });

  it('ranks by whole lines served before nearness', () => {
    // W-near serves one line whole; W-far serves both. One shipment beats a near one.
    const stock = [
      level('A', 'W-near', 'Sichuan', 1),
      level('B', 'W-near', 'Sichuan', 1),
      level('A', 'W-far', 'Hebei', 1),
      level('B', 'W-far', 'Hebei', 4),
    ];
    const plan = allocate([need(1, 'A', 1), need(2, 'B', 4)], stock, 'Sichuan');
    expect([...warehousesUsed(plan)]).toEqual(['W-far']);
  });

  it('splits a line larger than any single warehouse across warehouses, nearest first', () => {
    const stock = [level('A', 'W-far', 'Jiangsu', 8), level('A', 'W-near', 'Hubei', 4)];
    const plan = allocate([need(1, 'A', 10)], stock, 'Hubei');
    expect(plan.short).toEqual([]);
    expect(plan.pieces).toEqual([
      { lineNo: 1, sku: 'A', warehouseId: 'W-near', quantity: 4 },
      { lineNo: 1, sku: 'A', warehouseId: 'W-far', quantity: 6 },
    ]);
  });

  it('does not split a line that one warehouse can serve whole', () => {
    const stock = [level('A', 'W-near', 'Hubei', 3), level('A', 'W-far', 'Jiangsu', 10)];
    const plan = allocate([need(1, 'A', 5)], stock, 'Hubei');
    expect(plan.pieces).toEqual([{ lineNo: 1, sku: 'A', warehouseId: 'W-far', quantity: 5 }]);
    expect(plan.short).toEqual([]);
  });

  it('reports the remainder of each line as short, with the right quantities and line numbers', () => {
    const stock = [level('A', 'W1', 'Hubei', 2), level('A', 'W2', 'Hunan', 1), level('C', 'W1', 'Hubei', 9)];
    const plan = allocate([need(3, 'A', 5), need(7, 'B', 4), need(9, 'C', 2)], stock, 'Hubei');
    expect(plan.short).toEqual([
      { lineNo: 3, sku: 'A', quantity: 2 },
      { lineNo: 7, sku: 'B', quantity: 4 },
    ]);
    const a = plan.pieces.filter((p) => p.lineNo === 3);
    expect(a.reduce((t, p) => t + p.quantity, 0)).toBe(3);
    expect(plan.pieces.filter((p) => p.lineNo === 7)).toEqual([]);
    expect(plan.pieces.filter((p) => p.lineNo === 9)).toEqual([
      { lineNo: 9, sku: 'C', warehouseId: 'W1', quantity: 2 },
    ]);
  });

  it('never plans more than is available per sku@warehouse when lines share warehouses', () => {
    const stock = [
      level('A', 'W1', 'Hubei', 5),
      level('B', 'W1', 'Hubei', 1),
      level('B', 'W2', 'Hunan', 2),
      level('C', 'W2', 'Hunan', 0),
      level('C', 'W1', 'Hubei', 3),
    ];
    const needs = [need(1, 'A', 6), need(2, 'B', 5), need(3, 'C', 3)];
    const plan = allocate(needs, stock, 'Hubei');
    const planned = plannedByKey(plan);
    for (const s of stock) expect(planned.get(`${s.sku}@${s.warehouseId}`) ?? 0).toBeLessThanOrEqual(s.available);
    expect(planned.get('A@W1')).toBe(5);
    expect(planned.get('B@W1')).toBe(1);
    expect(planned.get('B@W2')).toBe(2);
    expect(planned.get('C@W1')).toBe(3);
    expect(plan.short).toEqual([
      { lineNo: 1, sku: 'A', quantity: 1 },
      { lineNo: 2, sku: 'B', quantity: 2 },
    ]);
    // No empty pieces from warehouses with nothing left.
    expect(plan.pieces.every((p) => p.quantity > 0)).toBe(true);
  });

  it('does not hand the same units out twice when two lines ask for the same sku', () => {
    const stock = [level('A', 'W1', 'Hubei', 4), level('A', 'W2', 'Hunan', 1)];
    const plan = allocate([need(1, 'A', 3), need(2, 'A', 3)], stock, 'Hubei');
    const planned = plannedByKey(plan);
    expect(planned.get('A@W1') ?? 0).toBeLessThanOrEqual(4);
    expect(planned.get('A@W2') ?? 0).toBeLessThanOrEqual(1);
    const total = plan.pieces.reduce((t, p) => t + p.quantity, 0);
    expect(total).toBe(5);
    expect(plan.short).toEqual([{ lineNo: 2, sku: 'A', quantity: 1 }]);
  });

  it('with no stock at all, every line is short in full', () => {
    const needs = [need(1, 'A', 2), need(2, 'B', 1)];
    expect(allocate(needs, [], 'Hubei')).toEqual({ pieces: [], short: needs });
  });

  it('ignores stock of other skus', () => {
    const plan = allocate([need(1, 'A', 2)], [level('B', 'W1', 'Hubei', 100)], 'Hubei');
    expect(plan).toEqual({ pieces: [], short: [{ lineNo: 1, sku: 'A', quantity: 2 }] });
  });

  describe('properties', () => {
    const SKUS = ['S0', 'S1', 'S2', 'S3', 'S4'];
    const WAREHOUSES = ['W0', 'W1', 'W2', 'W3'];
    const PROVINCES = ['P0', 'P1', 'P2'];

    const scenario = fc
      .record({
        provinces: fc.array(fc.constantFrom(...PROVINCES), {
          minLength: WAREHOUSES.length,
          maxLength: WAREHOUSES.length,
        }),
        // available per (sku, warehouse), or null for no row
        grid: fc.array(fc.option(fc.integer({ min: 0, max: 20 }), { nil: null }), {
          minLength: SKUS.length * WAREHOUSES.length,
          maxLength: SKUS.length * WAREHOUSES.length,
        }),
        skus: fc.shuffledSubarray(SKUS, { minLength: 1 }),
        quantities: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: SKUS.length, maxLength: SKUS.length }),
        shipTo: fc.constantFrom(...PROVINCES),
      })
      .map(({ provinces, grid, skus, quantities, shipTo }) => {
        const stock: StockLevel[] = [];
        SKUS.forEach((sku, i) =>
          WAREHOUSES.forEach((w, j) => {
            const available = grid[i * WAREHOUSES.length + j];
            if (available !== null) stock.push(level(sku, w, provinces[j], available));
          }),
        );
        const needs = skus.map((sku, i) => need(i + 1, sku, quantities[i]));
        return { stock, needs, shipTo };
      });

    it('planned + short == need per line; planned <= available per sku@warehouse; whole lines are not split', () => {
      fc.assert(
        fc.property(scenario, ({ stock, needs, shipTo }) => {
          const plan = allocate(needs, stock, shipTo);
          const available = new Map(stock.map((s) => [`${s.sku}@${s.warehouseId}`, s.available]));

          for (const n of needs) {
            const pieces = plan.pieces.filter((p) => p.lineNo === n.lineNo);
            const planned = pieces.reduce((t, p) => t + p.quantity, 0);
            const shorts = plan.short.filter((s) => s.lineNo === n.lineNo);
            expect(shorts.length).toBeLessThanOrEqual(1);
            const short = shorts.reduce((t, s) => t + s.quantity, 0);
            expect(planned + short).toBe(n.quantity);
            for (const p of pieces) expect(p.sku).toBe(n.sku);
            for (const s of shorts) {
              expect(s.sku).toBe(n.sku);
              expect(s.quantity).toBeGreaterThan(0);
            }
            // A warehouse that holds the whole line serves it alone.
            const anyWhole = stock.some((s) => s.sku === n.sku && s.available >= n.quantity);
            if (anyWhole) {
              expect(pieces).toHaveLength(1);
              expect(short).toBe(0);
            }
            // Short only when the stock really is not there.
            const totalAvailable = stock.filter((s) => s.sku === n.sku).reduce((t, s) => t + s.available, 0);
            expect(short).toBe(Math.max(0, n.quantity - totalAvailable));
          }

          for (const p of plan.pieces) {
            expect(p.quantity).toBeGreaterThan(0);
            expect(available.has(`${p.sku}@${p.warehouseId}`)).toBe(true);
          }
          for (const [key, planned] of plannedByKey(plan)) expect(planned).toBeLessThanOrEqual(available.get(key)!);
          // Every piece and shortage belongs to a requested line.
          const lineNos = new Set(needs.map((n) => n.lineNo));
          for (const x of [...plan.pieces, ...plan.short]) expect(lineNos.has(x.lineNo)).toBe(true);
        }),
        { numRuns: 500 },
      );
    });

    it('is deterministic and does not mutate its inputs', () => {
      fc.assert(
        fc.property(scenario, ({ stock, needs, shipTo }) => {
          const stockCopy = structuredClone(stock);
          const needsCopy = structuredClone(needs);
          const a = allocate(needs, stock, shipTo);
          const b = allocate(needs, stock, shipTo);
          expect(a).toEqual(b);
          expect(stock).toEqual(stockCopy);
          expect(needs).toEqual(needsCopy);
        }),
        { numRuns: 100 },
      );
    });

    it('does not depend on the order of the stock rows (the stock query has no ORDER BY)', () => {
      fc.assert(
        fc.property(
          scenario.chain((s) =>
            fc
              .shuffledSubarray(s.stock, { minLength: s.stock.length, maxLength: s.stock.length })
              .map((shuffled) => ({ ...s, shuffled })),
          ),
          ({ stock, shuffled, needs, shipTo }) => {
            expect(allocate(needs, shuffled, shipTo)).toEqual(allocate(needs, stock, shipTo));
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});

test('a line too large for any one warehouse splits over the fewest warehouses', () => {
  const stock = [
    { sku: 'A', warehouseId: 'w-a', province: '上海', available: 1 },
    { sku: 'A', warehouseId: 'w-b', province: '北京', available: 1 },
    { sku: 'A', warehouseId: 'w-c', province: '广东', available: 9 },
  ];
  const plan = fewestShipmentsThenNearest([{ lineNo: 1, sku: 'A', quantity: 10 }], stock, '上海');
  expect(plan.short).toEqual([]);
  expect(plan.pieces.map((p) => [p.warehouseId, p.quantity])).toEqual([
    ['w-a', 1],
    ['w-c', 9],
  ]); // two warehouses, the nearer first
});

import {
  decisionProblems,
  defaultStockDecision,
  giveUpShortUnits,
  newLedgerLine,
  stockDecisionSchema,
  substitute,
  unitsWanted,
  type OrderLine,
} from '../../domain';

const lines = (): OrderLine[] => [
  { ...newLedgerLine(1, 'TEA', 'Tea', 1000, 2), allocated: 2 },
  { ...newLedgerLine(2, 'CUP', 'Cup', 500, 3), allocated: 1 },
];
const short = [{ lineNo: 2, sku: 'CUP', quantity: 2 }];

describe('stock decision request', () => {
  test('substitute needs substitutions; other decisions refuse them', () => {
    expect(stockDecisionSchema.safeParse({ decision: 'substitute' }).success).toBe(false);
    expect(
      stockDecisionSchema.safeParse({ decision: 'cancel', substitutions: [{ lineNo: 1, sku: 'X' }] }).success,
    ).toBe(false);
    expect(stockDecisionSchema.safeParse({ decision: 'wait_for_restock' }).success).toBe(true);
    expect(
      stockDecisionSchema.safeParse({ decision: 'substitute', substitutions: [{ lineNo: 2, sku: 'MUG' }] }).success,
    ).toBe(true);
  });

  test('problems name the field: unknown or duplicate lines, same or present SKUs, uncovered short lines', () => {
    const sub = (lineNo: number, sku: string) => ({ lineNo, sku, name: sku, unitPrice: 1 });
    expect(decisionProblems(lines(), short, { decision: 'substitute', substitutions: [sub(2, 'MUG')] })).toEqual([]);
    expect(
      decisionProblems(lines(), short, { decision: 'substitute', substitutions: [sub(1, 'MUG')] }).map((p) => p.field),
    ).toEqual(['substitutions.0.lineNo', 'substitutions']);
    expect(
      decisionProblems(lines(), short, { decision: 'substitute', substitutions: [sub(2, 'CUP')] }).map((p) => p.field),
    ).toEqual(['substitutions.0.sku']);
    expect(
      decisionProblems(lines(), short, { decision: 'substitute', substitutions: [sub(2, 'TEA')] }).map((p) => p.field),
    ).toEqual(['substitutions.0.sku']);
    expect(
      decisionProblems(lines(), short, { decision: 'substitute', substitutions: [sub(2, 'MUG'), sub(2, 'JAR')] }).map(
        (p) => p.field,
      ),
    ).toEqual(['substitutions.1.lineNo']);
  });

  test('partial is refused when nothing at all is in stock', () => {
    const none = lines().map((l) => ({ ...l, allocated: 0 }));
    expect(decisionProblems(none, short, { decision: 'partial' }).map((p) => p.field)).toEqual(['decision']);
    expect(decisionProblems(lines(), short, { decision: 'partial' })).toEqual([]);
  });

  test('an exchange refuses a substitute dearer than the unit it replaces; same price or cheaper is fine', () => {
    const sub = (unitPrice: number) => ({ lineNo: 2, sku: 'MUG', name: 'Mug', unitPrice });
    const exchange = { dearer: false };
    expect(decisionProblems(lines(), short, { decision: 'substitute', substitutions: [sub(501)] }, exchange)).toEqual([
      { field: 'substitutions.0.sku', message: expect.stringMatching(/costs 501, more than the 500/) },
    ]);
    expect(decisionProblems(lines(), short, { decision: 'substitute', substitutions: [sub(500)] }, exchange)).toEqual(
      [],
    );
    expect(decisionProblems(lines(), short, { decision: 'substitute', substitutions: [sub(100)] }, exchange)).toEqual(
      [],
    );
    // Orders may take a dearer one (the difference is charged).
    expect(decisionProblems(lines(), short, { decision: 'substitute', substitutions: [sub(501)] })).toEqual([]);
  });

  test("the window's default: the policy's, except partial with nothing in stock is cancel", () => {
    const none = lines().map((l) => ({ ...l, allocated: 0 }));
    expect(defaultStockDecision('partial', lines())).toEqual({
      decision: 'partial',
      actor: 'policy:stock-decision-window',
    });
    expect(defaultStockDecision('partial', none)).toEqual({
      decision: 'cancel',
      actor: 'policy:stock-decision-window',
    });
    expect(defaultStockDecision('wait_for_restock', none).decision).toBe('wait_for_restock');
    expect(defaultStockDecision('cancel', lines()).decision).toBe('cancel');
  });
});

describe('applying a decision to the ledger', () => {
  test('partial refunds exactly the short units', () => {
    const l = lines();
    expect(giveUpShortUnits(l, short)).toBe(1000);
    expect(l[1]).toMatchObject({ quantity: 3, allocated: 1, refunded: 2 });
    expect(unitsWanted(l[1])).toBe(1);
  });

  test('substitute adds a line at the catalog price and returns the difference', () => {
    const cheaper = lines();
    expect(substitute(cheaper, short, [{ lineNo: 2, sku: 'MUG', name: 'Mug', unitPrice: 300 }])).toBe(-400);
    expect(cheaper[1]).toMatchObject({ substituted: 2 });
    expect(unitsWanted(cheaper[1])).toBe(1);
    expect(cheaper[2]).toMatchObject({
      lineNo: 3,
      sku: 'MUG',
      unitPrice: 300,
      quantity: 2,
      substituteFor: 2,
      allocated: 0,
    });
    expect(substitute(lines(), short, [{ lineNo: 2, sku: 'JAR', name: 'Jar', unitPrice: 800 }])).toBe(600);
  });
});

import { canTransition, ORDER_TRANSITIONS, orderStatuses, TERMINAL_STATUSES, type StepStatus } from '../../domain';

const DERIVED = ['partially_shipped', 'shipped', 'delivered'];
const STEP_STATUSES = orderStatuses.filter((s) => !DERIVED.includes(s)) as StepStatus[];
const FROM = Object.keys(ORDER_TRANSITIONS) as StepStatus[];

describe('ORDER_TRANSITIONS', () => {
  it('has exactly one row per step status', () => {
    expect([...FROM].sort()).toEqual([...STEP_STATUSES].sort());
  });

  it('targets only known step statuses, never the ledger-derived ones', () => {
    for (const from of FROM) {
      for (const to of ORDER_TRANSITIONS[from]) {
        expect(STEP_STATUSES).toContain(to);
        expect(DERIVED).not.toContain(to);
      }
    }
  });

  it('has no self-loops and no duplicate targets', () => {
    for (const from of FROM) {
      expect(ORDER_TRANSITIONS[from]).not.toContain(from);
      expect(new Set(ORDER_TRANSITIONS[from]).size).toBe(ORDER_TRANSITIONS[from].length);
    }
  });

  it('gives terminal statuses no exits, and every status without exits is terminal', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['cancelled', 'completed', 'rejected']);
    for (const t of TERMINAL_STATUSES) {
      expect(ORDER_TRANSITIONS[t]).toEqual([]);
      for (const to of STEP_STATUSES) expect(canTransition(t, to)).toBe(false);
    }
    for (const from of FROM) if (ORDER_TRANSITIONS[from].length === 0) expect(TERMINAL_STATUSES).toContain(from);
  });

  it('lets every non-terminal status be cancelled (support may cancel with a reason)', () => {
    for (const from of FROM.filter((s) => !TERMINAL_STATUSES.includes(s)))
      expect(canTransition(from, 'cancelled')).toBe(true);
  });

  it('reaches every step status from submitted, and completed only through fulfilling', () => {
    const seen = new Set<StepStatus>(['submitted']);
    const queue: StepStatus[] = ['submitted'];
    while (queue.length)
      for (const to of ORDER_TRANSITIONS[queue.shift()!])
        if (!seen.has(to)) {
          seen.add(to);
          queue.push(to);
        }
    expect([...seen].sort()).toEqual([...STEP_STATUSES].sort());
    expect(FROM.filter((f) => canTransition(f, 'completed'))).toEqual(['fulfilling']);
  });

  it('never moves back to submitted', () => {
    for (const from of FROM) expect(canTransition(from, 'submitted')).toBe(false);
  });
});

describe('canTransition', () => {
  it.each<[StepStatus, StepStatus]>([
    ['submitted', 'under_review'],
    ['submitted', 'awaiting_payment'],
    ['submitted', 'cod_pending'],
    ['submitted', 'rejected'],
    ['under_review', 'awaiting_payment'],
    ['under_review', 'rejected'],
    ['awaiting_payment', 'paid'],
    ['awaiting_payment', 'cancelled'],
    ['paid', 'awaiting_stock_decision'],
    ['paid', 'backordered'],
    ['paid', 'awaiting_merchant'],
    ['cod_pending', 'awaiting_merchant'],
    ['awaiting_stock_decision', 'backordered'],
    ['awaiting_stock_decision', 'awaiting_merchant'],
    ['backordered', 'awaiting_merchant'],
    ['awaiting_merchant', 'fulfilling'],
    ['awaiting_merchant', 'rejected'],
    ['fulfilling', 'completed'],
    ['fulfilling', 'cancelled'],
  ])('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each<[StepStatus, StepStatus]>([
    ['awaiting_payment', 'fulfilling'],
    ['awaiting_payment', 'awaiting_merchant'],
    ['awaiting_payment', 'cod_pending'],
    ['submitted', 'fulfilling'],
    ['submitted', 'completed'],
    ['under_review', 'fulfilling'],
    ['paid', 'awaiting_payment'],
    ['paid', 'completed'],
    ['cod_pending', 'paid'],
    ['awaiting_merchant', 'paid'],
    ['awaiting_merchant', 'completed'],
    ['fulfilling', 'awaiting_merchant'],
    ['fulfilling', 'rejected'],
    ['completed', 'cancelled'],
    ['cancelled', 'paid'],
    ['rejected', 'awaiting_merchant'],
  ])('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });
});

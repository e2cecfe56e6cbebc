import type { OrderLine, OrderStatus } from './order';
import { paidOfUnits } from './pricing/allocate';

/**
 * Statuses set by the workflow's step (before goods move, or terminal). Once fulfilment starts the
 * status is derived from the per-line ledger alone, so it can never disagree with the quantities.
 */
export type StepStatus = Exclude<OrderStatus, 'partially_shipped' | 'shipped' | 'delivered'>;

export function deriveStatus(step: StepStatus, lines: readonly OrderLine[]): OrderStatus {
  if (step !== 'fulfilling') return step;
  const live = lines.filter((l) => l.allocated > 0);
  const allocated = sum(live, (l) => l.allocated);
  const shipped = sum(live, (l) => l.shipped);
  const delivered = sum(live, (l) => l.delivered);
  if (allocated > 0 && delivered >= allocated) return 'delivered';
  if (allocated > 0 && shipped >= allocated) return 'shipped';
  if (shipped > 0) return 'partially_shipped';
  return 'fulfilling';
}

function sum(lines: readonly OrderLine[], pick: (l: OrderLine) => number): number {
  return lines.reduce((total, l) => total + pick(l), 0);
}

/** Value of the units of each line that will not be delivered (never allocated), in minor units. */
export function unallocatedValue(lines: readonly OrderLine[]): number {
  return sum(lines, (l) => (l.quantity - l.allocated) * l.unitPrice);
}

/** What the customer pays for a line: its list value less its share of the discounts (docs/pricing.md). */
export function linePaid(l: OrderLine): number {
  return l.unitPrice * l.quantity - (l.discount ?? 0);
}

/**
 * Every unit of every line was given back (refunded), gift lines included: the whole order came back.
 * Units a substitute replaced count on the substitute's line.
 */
export function everyUnitGivenBack(lines: readonly OrderLine[]): boolean {
  return lines.length > 0 && lines.every((l) => l.refunded + (l.substituted ?? 0) >= l.quantity);
}

/**
 * What the next `count` units of a line to be given back were paid: the units after those already
 * refunded or replaced by a substitute (decision 055). Equals unitPrice × count on a line without a discount.
 */
export function nextUnitsPaid(l: OrderLine, count: number): number {
  return paidOfUnits(linePaid(l), l.quantity, l.refunded + (l.substituted ?? 0), count);
}

/** The paid value of units about to be given back, before the lines' `refunded` counts move. */
export function refundValueOf(
  lines: readonly OrderLine[],
  units: ReadonlyArray<{ lineNo: number; quantity: number }>,
): number {
  return units.reduce(
    (t, u) =>
      t +
      nextUnitsPaid(
        lines.find((l) => l.lineNo === u.lineNo)!,
        u.quantity,
      ),
    0,
  );
}

/**
 * What a parcel collects on delivery (cash on delivery): the paid price of its units, each line's units
 * counted after those in earlier parcels, and the order's shipping fee on the first parcel. Equals
 * Σ unitPrice × quantity for an order without discounts or fee.
 */
export function parcelValue(
  lines: readonly OrderLine[],
  earlier: ReadonlyArray<{ seq: number; lines: ReadonlyArray<{ lineNo: number; quantity: number }> }>,
  seq: number,
  parcel: ReadonlyArray<{ lineNo: number; quantity: number }>,
  shippingFee = 0,
): number {
  const before = (lineNo: number) =>
    earlier
      .filter((s) => s.seq < seq)
      .reduce((t, s) => t + s.lines.filter((l) => l.lineNo === lineNo).reduce((u, l) => u + l.quantity, 0), 0);
  const goods = parcel.reduce((t, u) => {
    const line = lines.find((l) => l.lineNo === u.lineNo)!;
    return t + paidOfUnits(linePaid(line), line.quantity, before(u.lineNo), u.quantity);
  }, 0);
  return goods + (seq === 1 ? shippingFee : 0);
}

export function newLedgerLine(
  lineNo: number,
  sku: string,
  name: string,
  unitPrice: number,
  quantity: number,
): OrderLine {
  return { lineNo, sku, name, unitPrice, quantity, allocated: 0, shipped: 0, delivered: 0, returned: 0, refunded: 0 };
}

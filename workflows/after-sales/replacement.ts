import { paidOf } from '../../domain/after-sales';
import type { StockPiece } from '../../domain/allocation';
import { linePaid, newLedgerLine } from '../../domain/ledger';
import type { OrderLine } from '../../domain/order';
import { paidOfUnits } from '../../domain/pricing/allocate';
import { recordAllocation, wantedNeeds } from '../../domain/shortage';
import { stockRequest, type StockLedger } from '../shared/stock';
import type { AfterSalesRun, Refunds, Units } from './run';

/**
 * An exchange's replacement, allocated from stock like an order (holds keyed by the request): its
 * ledger, one line per returned line at its price (a substitute adds a line), shown in the request's view.
 */
export class Replacement {
  readonly lines: OrderLine[];
  /** Allocated like an order's lines, its holds keyed by the request. */
  readonly ledger: StockLedger;
  /** What the shortage negotiation settled on the way: refunds (already reported to the order) and units refunded instead. */
  readonly settled: { refunds: Refunds; refundedInstead: Units } = { refunds: [], refundedInstead: [] };

  constructor(private readonly run: AfterSalesRun) {
    // Each replacement line carries what the returned units were paid (docs/pricing.md): a refund instead of goods gives back that.
    this.lines = run.state.lines.map((l) => {
      const line = newLedgerLine(l.lineNo, l.sku, l.name, l.unitPrice, l.quantity);
      const discount = l.unitPrice * l.quantity - paidOf(l);
      if (discount > 0) line.discount = discount;
      return line;
    });
    run.state.replacement = this.lines;
    this.ledger = { holder: run.requestId, lines: this.lines, shippingProvince: run.input.address.province };
  }

  wanted = () => wantedNeeds(this.lines);
  request = () => stockRequest(this.ledger);
  lineOf = (lineNo: number) => this.lines.find((l) => l.lineNo === lineNo);

  /** Ledger bookkeeping of the given units. */
  book(units: Units, apply: (line: OrderLine, quantity: number) => void) {
    units.forEach((u) => {
      const line = this.lineOf(u.lineNo);
      if (line) apply(line, u.quantity);
    });
  }

  recordAllocation(held: readonly StockPiece[]) {
    recordAllocation(this.lines, held);
  }

  /** Units of replacement lines as units of the order's lines (a substitute counts for the line it replaces). */
  onOrderLines(units: Units): Units {
    const merged: Units = [];
    for (const u of units) {
      let line = this.lineOf(u.lineNo);
      while (line?.substituteFor !== undefined) line = this.lineOf(line.substituteFor);
      const lineNo = line?.lineNo ?? u.lineNo;
      const m = merged.find((x) => x.lineNo === lineNo);
      if (m) m.quantity += u.quantity;
      else merged.push({ lineNo, quantity: u.quantity });
    }
    return merged;
  }

  /** What the given units were paid: per line, its cheapest units first (never more than the line paid). */
  value = (units: Units) => {
    const byLine = new Map<number, number>();
    for (const x of units) byLine.set(x.lineNo, (byLine.get(x.lineNo) ?? 0) + x.quantity);
    let total = 0;
    for (const [lineNo, quantity] of byLine) {
      const line = this.lineOf(lineNo);
      if (line) total += paidOfUnits(linePaid(line), line.quantity, 0, quantity);
      else {
        const asked = this.run.state.lines.find((l) => l.lineNo === lineNo)!;
        total += paidOfUnits(paidOf(asked), asked.quantity, 0, quantity);
      }
    }
    return total;
  };
}

import type { StockOutcome } from '../../activities/stock';
import type { OrderLine } from '../../domain/order';
import { recordAllocation, wantedNeeds } from '../../domain/shortage';
import { db } from '../activities';

/**
 * A ledger allocated from stock (docs/fulfilment.md): an order's lines, or an exchange's replacement.
 * `holder` keys the holds: the order's id, or the after-sales request's.
 */
export interface StockLedger {
  holder: string;
  lines: OrderLine[];
  shippingProvince: string;
}

/** What the ledger still wants, as the stock activities take it. */
export const stockRequest = ({ holder, lines, shippingProvince }: StockLedger) => ({
  orderId: holder,
  needs: wantedNeeds(lines),
  shippingProvince,
});

/** Reservations (or free stock) become allocations; what is held is recorded on the lines. */
export async function allocateStock(ledger: StockLedger): Promise<StockOutcome> {
  const outcome = await db.allocateStock(stockRequest(ledger));
  recordAllocation(ledger.lines, outcome.held);
  return outcome;
}

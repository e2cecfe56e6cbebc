import type { StockOutcome } from '../../activities/stock';
import type { StockDecision } from '../../domain/shortage';
import { db } from '../activities';
import { stockRequest, type StockLedger } from './stock';

/** What differs between an order's backorder wait and an exchange's: how each publishes and waits. */
export interface BackorderPort {
  ledger: StockLedger;
  /** The queue position: orders by submission, requests by the time they were made (FIFO across both). */
  queue: { queuedAt: string; forOrder?: string; wake?: string };
  restocks(): number;
  /** The first look is published (the holder is backordered). */
  queued(outcome: StockOutcome): Promise<void>;
  /** Waits for a restock or the recheck timer (or whatever else interrupts the holder's waits). */
  wait(restocked: () => boolean, timeoutSeconds: number): Promise<unknown>;
  /** Bookkeeping of every later look. */
  looked(outcome: StockOutcome): void;
  /** An answer that gives the wait up (an exchange may still be given up), taken from the inbox. */
  takeGiveUp?(): StockDecision | undefined;
  giveUp?(d: StockDecision): Promise<void>;
  /** Everything is held: published, and the allocation goes on. */
  restocked(outcome: StockOutcome): Promise<void>;
}

/**
 * `wait_for_restock` (docs/fulfilment.md): the short units join each SKU's backorder queue; a restock
 * wakes the holder, and it looks at the queue every `recheckSeconds` too (stock freed by cancellations,
 * lost signals). Returns the allocation once nothing is short, or undefined when the wait was given up.
 */
export async function waitForRestock(port: BackorderPort, recheckSeconds: number): Promise<StockOutcome | undefined> {
  const request = () => ({ ...stockRequest(port.ledger), ...port.queue });
  let outcome = await db.backorderStock(request());
  await port.queued(outcome);
  while (outcome.short.length > 0) {
    const seen = port.restocks();
    await port.wait(() => port.restocks() !== seen, recheckSeconds);
    const answer = port.takeGiveUp?.();
    if (answer) {
      await port.giveUp!(answer);
      return undefined;
    }
    outcome = await db.backorderStock(request());
    port.looked(outcome);
  }
  // Given up while the last look was being served: the answer wins, the units go back.
  const answer = port.takeGiveUp?.();
  if (answer) {
    await port.giveUp!(answer);
    return undefined;
  }
  await port.restocked(outcome);
  return outcome;
}

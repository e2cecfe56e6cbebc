import type { StockOutcome } from '../../activities/stock';
import type { PendingDecision, ShortLine } from '../../domain/order';
import type { Policy } from '../../domain/policy';
import { defaultStockDecision, giveUpShortUnits, substitute, type StockDecision } from '../../domain/shortage';
import { allocateStock, type StockLedger } from './stock';

const seconds = (s: number) => s * 1000;

/**
 * What differs between an order's shortage and an exchange's: how each asks and publishes, where the
 * customer's answer comes from, and what each answer does to its money.
 */
export interface ShortagePort {
  ledger: StockLedger;
  policy: Pick<Policy, 'stockDecisionSeconds' | 'stockDecisionDefault'>;
  /** Where the shortage and the question show (the order's or the request's state). */
  state: { shortage?: ShortLine[]; pendingDecision?: Omit<PendingDecision, 'awaiting'> & { awaiting: string } };
  /** Tells the customer what is short and until when they may answer. */
  ask(outcome: StockOutcome, until: string): Promise<void>;
  /** Waits up to the window; returns the customer's answer if one came (and takes it from the inbox). */
  answer(windowSeconds: number): Promise<StockDecision | undefined>;
  /** `cancel`: the order stops, the exchange is given up. */
  cancel(d: StockDecision, short: ShortLine[], answered: boolean): Promise<void>;
  /** `partial`: the short units were given up on the ledger; `value` is theirs, to be refunded. */
  partial(d: StockDecision, short: ShortLine[], value: number): Promise<void>;
  /** `substitute`: the substitute lines were added; `delta` is the price difference (positive is charged). */
  substituted(d: StockDecision, short: ShortLine[], delta: number): Promise<void>;
  /** `wait_for_restock`: the allocation once restocked, or undefined when the wait was given up. */
  waitForRestock(d: StockDecision): Promise<StockOutcome | undefined>;
}

/**
 * One round of a shortage (docs/fulfilment.md, "Shortage"): the customer decides about the missing
 * units within the window, else the policy's default applies — wait for a restock, a substitute,
 * partial (ship what exists, refund the rest) or cancel. Returns the allocation after the answer took
 * effect (a substitute may be short again: the caller asks again) and the answer; no allocation when
 * the holder was given up.
 */
export async function negotiateShortage(
  port: ShortagePort,
  outcome: StockOutcome,
): Promise<{ outcome?: StockOutcome; decision: StockDecision }> {
  const { state, policy, ledger } = port;
  const short = outcome.short;
  const until = new Date(Date.now() + seconds(policy.stockDecisionSeconds)).toISOString();
  state.shortage = short;
  state.pendingDecision = { awaiting: 'stock_decision', actor: 'customer', until };
  await port.ask(outcome, until);
  // An answer accepted as the window ended still counts.
  const answer = await port.answer(policy.stockDecisionSeconds);
  const d = answer ?? defaultStockDecision(policy.stockDecisionDefault, ledger.lines);
  state.pendingDecision = undefined;
  switch (d.decision) {
    case 'cancel':
      await port.cancel(d, short, answer !== undefined);
      return { decision: d };
    case 'partial':
      await port.partial(d, short, giveUpShortUnits(ledger.lines, short));
      return { outcome: { held: outcome.held, short: [] }, decision: d };
    case 'substitute':
      await port.substituted(d, short, substitute(ledger.lines, short, d.substitutions!));
      return { outcome: await allocateStock(ledger), decision: d };
    case 'wait_for_restock':
      return { outcome: await port.waitForRestock(d), decision: d };
  }
}

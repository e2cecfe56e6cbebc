import { condition } from '@temporalio/workflow';
import type { StockOutcome } from '../../activities/stock';
import { giveUpShortUnits, type StockDecision } from '../../domain/shortage';
import { db } from '../activities';
import { waitForRestock, type BackorderPort } from '../shared/backorder';
import { negotiateShortage, type ShortagePort } from '../shared/shortage';
import { refund } from './refund';
import type { Replacement } from './replacement';
import {
  asPayments,
  nowIso,
  seconds,
  total,
  unitsOf,
  type AfterSalesRun,
  type Entry,
  type Refunds,
  type Units,
} from './run';

/** Each answer is told to the customer once, even when a short substitute asks again (round) or a wait is given up. */
const decidedNotice = (run: AfterSalesRun, round: number, suffix?: string) => ({
  id: `${run.requestId}:customer.after_sales.stock_decided:${round}${suffix ? `:${suffix}` : ''}`,
});

/** The request's timeline entry for an answer to its shortage, and the answer as the request shows it. */
function stockDecided(
  run: AfterSalesRun,
  d: StockDecision,
  refunded: number,
  detail: Record<string, unknown> = {},
): Entry {
  const { state } = run;
  state.stockDecision = {
    decision: d.decision,
    substitutions: d.substitutions,
    actor: d.actor,
    at: nowIso(),
    refunded,
  };
  return {
    type: 'after_sales.stock_decided',
    actor: d.actor,
    detail: { decision: d.decision, substitutions: d.substitutions, short: state.shortage, refunded, ...detail },
  };
}

/**
 * A short replacement (docs/after-sales.md, negotiated as an order's shortage, docs/fulfilment.md): a
 * substitute may cost the same or less (the difference is refunded), partial replaces what exists and
 * refunds the rest, cancel replaces nothing and refunds everything. A substitute that is short too
 * asks again. Returns the allocation to ship, or undefined when the exchange was given up (the
 * request is then resolved).
 */
export async function exchangeShortage(
  run: AfterSalesRun,
  replacement: Replacement,
  first: StockOutcome,
): Promise<StockOutcome | undefined> {
  let outcome = first;
  let previous: StockDecision | undefined;
  for (let round = 1; outcome.short.length > 0; round++) {
    const settled = await negotiateShortage(exchangePort(run, replacement, round, previous), outcome);
    if (!settled.outcome) return undefined;
    previous = settled.decision;
    outcome = settled.outcome;
  }
  run.state.shortage = undefined;
  run.stockDecisionApplied = previous;
  return outcome;
}

/** The exchange's side of one round of its shortage: the request's steps, its inbox, refunds instead of charges. */
function exchangePort(
  run: AfterSalesRun,
  replacement: Replacement,
  round: number,
  previous: StockDecision | undefined,
): ShortagePort {
  const { state, policy, inbox, requestId } = run;
  /** The answer's step: its refunds reach the order with it; given-up units come back as refunded. */
  const settle = async (d: StockDecision, refunds: Refunds, given: Units, detail?: Record<string, unknown>) => {
    const entry = stockDecided(run, d, total(refunds), detail);
    state.shortage = undefined;
    const units = given.length
      ? { returned: replacement.onOrderLines(given), refundedUnits: replacement.onOrderLines(given) }
      : {};
    await run.step('resolving', entry, { refunds: asPayments(refunds), ...units }, decidedNotice(run, round));
  };
  return {
    ledger: replacement.ledger,
    policy,
    state,
    async ask({ short, held }, until) {
      const notice = { id: `${requestId}:customer.after_sales.stock_short:${round}`, payload: { short, until } };
      await run.step(
        'awaiting_stock_decision',
        { type: 'after_sales.stock_short', actor: 'system', detail: { short, held, until } },
        {},
        notice,
      );
      run.stockDecisionApplied = previous; // a short substitute took effect: the customer is asked again
    },
    async answer(windowSeconds) {
      await condition(() => inbox.stockDecision !== undefined, seconds(windowSeconds));
      const d = inbox.stockDecision;
      inbox.stockDecision = undefined;
      return d;
    },
    cancel: (d) => giveUpReplacement(run, replacement, d, round),
    async partial(d, short, value) {
      const units = unitsOf(short);
      const refunds = await refundStock(run, replacement, value, 'replacement out of stock', round);
      replacement.settled.refundedInstead.push(...units);
      await settle(d, refunds, units);
    },
    async substituted(d, _short, delta) {
      // Never above 0: the validator refuses dearer substitutes.
      const refunds = await refundStock(run, replacement, -delta, 'cheaper substitute', round);
      await settle(d, refunds, [], { priceDifference: delta });
    },
    waitForRestock: (d) =>
      waitForRestock(exchangeBackorder(run, replacement, d, round), policy.backorderRecheckSeconds),
  };
}

/** A refund settled by a shortage decision, under its own key (`stock-<round>`), counted as settled. */
async function refundStock(run: AfterSalesRun, replacement: Replacement, amount: number, why: string, round: number) {
  const refunds = amount > 0 ? await refund(run, amount, `after-sales ${run.requestId}: ${why}`, `stock-${round}`) : [];
  replacement.settled.refunds.push(...refunds);
  return refunds;
}

/** `cancel`: nothing is replaced; held replacement units go back to stock, every unit is refunded instead. */
async function giveUpReplacement(run: AfterSalesRun, replacement: Replacement, d: StockDecision, round: number) {
  const { state, requestId } = run;
  const { settled } = replacement;
  await db.releaseStock({ orderId: requestId });
  const all = replacement.wanted();
  const units = all.map(({ lineNo, quantity }) => ({ lineNo, quantity }));
  const refunds = await refundStock(
    run,
    replacement,
    giveUpShortUnits(replacement.lines, all),
    'exchange given up',
    round,
  );
  for (const l of replacement.lines) l.allocated = 0;
  settled.refundedInstead.push(...units);
  const entry = stockDecided(run, d, total(refunds));
  state.shortage = undefined;
  await run.step(
    'resolving',
    entry,
    {
      refunds: asPayments(refunds),
      returned: replacement.onOrderLines(units),
      refundedUnits: replacement.onOrderLines(units),
    },
    decidedNotice(run, round, d.decision),
  );
  const instead = replacement.onOrderLines(settled.refundedInstead);
  await run.resolve(
    { outcome: 'refunded', refunded: total(settled.refunds), refunds: settled.refunds, refundedInstead: instead },
    {
      type: 'after_sales.refunded',
      actor: 'system',
      detail: { amount: total(settled.refunds), refundedInstead: instead },
    },
    [],
    [],
    [],
  );
  run.stockDecisionApplied = d;
}

/**
 * `wait_for_restock`: the missing units join each SKU's backorder queue, FIFO with orders (by the
 * time the request was made, as orders go by submission); a restock wakes the request. While it
 * waits it may still be given up.
 */
function exchangeBackorder(
  run: AfterSalesRun,
  replacement: Replacement,
  d: StockDecision,
  round: number,
): BackorderPort {
  const { state, inbox } = run;
  return {
    ledger: replacement.ledger,
    queue: { queuedAt: run.input.requestedAt, forOrder: run.orderId, wake: run.self },
    restocks: () => inbox.restocks,
    async queued(outcome) {
      replacement.recordAllocation(outcome.held);
      const entry = stockDecided(run, d, 0);
      state.shortage = outcome.short;
      await run.step('backordered', entry, {}, decidedNotice(run, round));
      run.stockDecisionApplied = d;
    },
    wait: (restocked, timeoutSeconds) =>
      condition(() => restocked() || inbox.stockDecision !== undefined, seconds(timeoutSeconds)),
    looked(outcome) {
      replacement.recordAllocation(outcome.held);
      state.shortage = outcome.short;
    },
    takeGiveUp() {
      const giveUp = inbox.stockDecision;
      inbox.stockDecision = undefined;
      return giveUp;
    },
    giveUp: (giveUp) => giveUpReplacement(run, replacement, giveUp, round),
    restocked(outcome) {
      state.shortage = undefined;
      return run.step('resolving', {
        type: 'after_sales.restocked',
        actor: 'system',
        detail: { allocated: outcome.held },
      });
    },
  };
}

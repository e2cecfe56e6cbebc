import { condition } from '@temporalio/workflow';
import type { StockOutcome } from '../../activities/stock';
import { defaultStockDecision, giveUpShortUnits, substitute, type StockDecision } from '../../domain';
import { db } from '../activities';
import { allocateStock } from '../shared/stock';
import { refund } from './refund';
import type { Replacement } from './replacement';
import { asPayments, nowIso, seconds, total, type AfterSalesRun, type Entry } from './run';

/** Each answer is told to the customer once, even when a short substitute asks again (round) or a wait is given up. */
const decidedNotice = (run: AfterSalesRun, round: number, suffix?: string) => ({ id: `${run.requestId}:customer.after_sales.stock_decided:${round}${suffix ? `:${suffix}` : ''}` });

/** The request's timeline entry for an answer to its shortage, and the answer as the request shows it. */
function stockDecided(run: AfterSalesRun, d: StockDecision, refunded: number, detail: Record<string, unknown> = {}): Entry {
  const { state } = run;
  state.stockDecision = { decision: d.decision, substitutions: d.substitutions, actor: d.actor, at: nowIso(), refunded };
  return { type: 'after_sales.stock_decided', actor: d.actor, detail: { decision: d.decision, substitutions: d.substitutions, short: state.shortage, refunded, ...detail } };
}

/**
 * A short replacement (docs/after-sales.md, as for an order in docs/fulfilment.md): the customer
 * decides about the missing units within the window, else the policy's default applies — wait for a
 * restock, a substitute (same price or cheaper: the difference is refunded), partial (replace what
 * exists, refund the rest) or cancel (nothing replaced, everything refunded). A substitute that is
 * short too asks again. Returns the allocation to ship, or undefined when the exchange was given up
 * (the request is then resolved).
 */
export async function negotiateShortage(run: AfterSalesRun, replacement: Replacement, first: StockOutcome): Promise<StockOutcome | undefined> {
  const { state, policy, inbox, requestId } = run;
  let outcome = first;
  let previous: StockDecision | undefined;
  for (let round = 1; outcome.short.length > 0; round++) {
    const short = outcome.short;
    const until = new Date(Date.now() + seconds(policy.stockDecisionSeconds)).toISOString();
    state.shortage = short;
    state.pendingDecision = { awaiting: 'stock_decision', actor: 'customer', until };
    await run.step(
      'awaiting_stock_decision',
      { type: 'after_sales.stock_short', actor: 'system', detail: { short, held: outcome.held, until } },
      {},
      { id: `${requestId}:customer.after_sales.stock_short:${round}`, payload: { short, until } },
    );
    run.stockDecisionApplied = previous; // a short substitute took effect: the customer is asked again
    await condition(() => inbox.stockDecision !== undefined, seconds(policy.stockDecisionSeconds));
    // An answer accepted as the window ended still counts.
    const d = inbox.stockDecision ?? defaultStockDecision(policy.stockDecisionDefault, replacement.lines);
    previous = d;
    inbox.stockDecision = undefined;
    state.pendingDecision = undefined;
    switch (d.decision) {
      case 'cancel':
        await giveUpReplacement(run, replacement, d, round);
        return undefined;
      case 'partial': {
        const units = short.map(({ lineNo, quantity }) => ({ lineNo, quantity }));
        const refunds = await refundStock(run, replacement, giveUpShortUnits(replacement.lines, short), 'replacement out of stock', round);
        replacement.settled.refundedInstead.push(...units);
        const entry = stockDecided(run, d, total(refunds));
        state.shortage = undefined;
        await run.step('resolving', entry, { refunds: asPayments(refunds), returned: replacement.onOrderLines(units), refundedUnits: replacement.onOrderLines(units) }, decidedNotice(run, round));
        outcome = { held: outcome.held, short: [] };
        break;
      }
      case 'substitute': {
        const delta = substitute(replacement.lines, short, d.substitutions!); // never above 0: the validator refuses dearer substitutes
        const refunds = await refundStock(run, replacement, -delta, 'cheaper substitute', round);
        const entry = stockDecided(run, d, total(refunds), { priceDifference: delta });
        state.shortage = undefined;
        await run.step('resolving', entry, { refunds: asPayments(refunds) }, decidedNotice(run, round));
        outcome = await allocateStock(replacement.ledger);
        break;
      }
      case 'wait_for_restock': {
        const served = await waitForRestock(run, replacement, d, round);
        if (!served) return undefined;
        outcome = served;
        break;
      }
    }
  }
  state.shortage = undefined;
  run.stockDecisionApplied = previous;
  return outcome;
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
  const refunds = await refundStock(run, replacement, giveUpShortUnits(replacement.lines, all), 'exchange given up', round);
  for (const l of replacement.lines) l.allocated = 0;
  settled.refundedInstead.push(...units);
  const entry = stockDecided(run, d, total(refunds));
  state.shortage = undefined;
  await run.step('resolving', entry, { refunds: asPayments(refunds), returned: replacement.onOrderLines(units), refundedUnits: replacement.onOrderLines(units) }, decidedNotice(run, round, d.decision));
  const instead = replacement.onOrderLines(settled.refundedInstead);
  await run.resolve(
    { outcome: 'refunded', refunded: total(settled.refunds), refunds: settled.refunds, refundedInstead: instead },
    { type: 'after_sales.refunded', actor: 'system', detail: { amount: total(settled.refunds), refundedInstead: instead } },
    [],
    [],
    [],
  );
  run.stockDecisionApplied = d;
}

/**
 * `wait_for_restock`: the missing units join each SKU's backorder queue, FIFO with orders (by the
 * time the request was made, as orders go by submission); a restock wakes the request, and it
 * looks at the queue every backorderRecheckSeconds too. While it waits it may still be given up.
 */
async function waitForRestock(run: AfterSalesRun, replacement: Replacement, d: StockDecision, round: number): Promise<StockOutcome | undefined> {
  const { state, policy, inbox } = run;
  const request = () => ({ ...replacement.request(), queuedAt: run.input.requestedAt, forOrder: run.orderId, wake: run.self });
  let outcome = await db.backorderStock(request());
  replacement.recordAllocation(outcome.held);
  const entry = stockDecided(run, d, 0);
  state.shortage = outcome.short;
  await run.step('backordered', entry, {}, decidedNotice(run, round));
  run.stockDecisionApplied = d;
  while (outcome.short.length > 0) {
    const seen = inbox.restocks;
    await condition(() => inbox.restocks !== seen || inbox.stockDecision !== undefined, seconds(policy.backorderRecheckSeconds));
    if (inbox.stockDecision) {
      const giveUp = inbox.stockDecision;
      inbox.stockDecision = undefined;
      await giveUpReplacement(run, replacement, giveUp, round);
      return undefined;
    }
    outcome = await db.backorderStock(request());
    replacement.recordAllocation(outcome.held);
    state.shortage = outcome.short;
  }
  if (inbox.stockDecision) {
    // Given up while the last look was being served: the customer's answer wins, the units go back.
    const giveUp = inbox.stockDecision;
    inbox.stockDecision = undefined;
    await giveUpReplacement(run, replacement, giveUp, round);
    return undefined;
  }
  state.shortage = undefined;
  await run.step('resolving', { type: 'after_sales.restocked', actor: 'system', detail: { allocated: outcome.held } });
  return outcome;
}

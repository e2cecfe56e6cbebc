import { patched } from '@temporalio/workflow';
import type { StockOutcome } from '../../activities/stock';
import { defaultStockDecision, giveUpShortUnits, recordAllocation, submittedEntry, substitute, type ShortLine, type StockPiece } from '../../domain';
import { db } from '../activities';
import { allocateStock, stockRequest, type StockLedger } from '../shared/stock';
import { collectExtra, refundPart } from './payment';
import { PATCH } from './patches';
import { OrderStop, seconds, type OrderRun } from './run';

const describeShort = (short: readonly ShortLine[]) => short.map((s) => `${s.quantity} × ${s.sku}`).join(', ');

/** The order's lines as a stock ledger; its holds are keyed by the order. */
const ledger = (run: OrderRun): StockLedger => ({ holder: run.orderId, lines: run.state.lines, shippingProvince: run.input.shippingAddress.province });

/**
 * Submission (docs/fulfilment.md): the order is recorded and its stock reserved, best effort, until
 * the payment deadline, which it returns. The undo releases whatever the order holds.
 */
export async function submit(run: OrderRun): Promise<string> {
  const { input, orderId } = run;
  await db.recordSubmission(input, run.state, submittedEntry(input));
  run.onStop(() => db.releaseStock({ orderId }).then(() => undefined));
  const paymentDeadline = new Date(Date.parse(input.submittedAt) + seconds(run.policy.paymentWindowSeconds)).toISOString();
  await db.reserveStock({ ...stockRequest(ledger(run)), expiresAt: paymentDeadline });
  run.checkpoint();
  return paymentDeadline;
}

/** Stock check (docs/fulfilment.md): reservations become allocations; a shortage is the customer's to decide. */
export async function allocate(run: OrderRun): Promise<StockPiece[]> {
  let outcome = await allocateStock(ledger(run));
  while (outcome.short.length > 0) {
    if (!patched(PATCH.negotiatesShortage)) throw new OrderStop('cancelled', `out of stock: ${describeShort(outcome.short)}`, 'system');
    outcome = await resolveShortage(run, outcome);
  }
  run.checkpoint();
  return outcome.held;
}

/** Asks the customer (`awaiting_stock_decision`) and carries out the answer, or the policy's default when the window ends. */
async function resolveShortage(run: OrderRun, outcome: StockOutcome): Promise<StockOutcome> {
  const { state, policy, input, inbox } = run;
  const short = outcome.short;
  const until = new Date(Date.now() + seconds(policy.stockDecisionSeconds)).toISOString();
  state.shortage = short;
  state.pendingDecision = { awaiting: 'stock_decision', actor: 'customer', until };
  const asked = { type: 'stock.short', actor: 'system', detail: { short, until } };
  if (run.step === 'awaiting_stock_decision') await run.publish(asked);
  else await run.moveTo('awaiting_stock_decision', asked);
  const notice = { id: `${run.orderId}:customer.stock_short:${state.version}`, orderId: run.orderId, recipientType: 'customer' as const, recipientId: input.customer.id };
  await db.notify({ ...notice, channel: 'sms', kind: 'stock.short', payload: { short, until } });

  const answered = await run.waitForWindow(() => inbox.stockDecision !== undefined, policy.stockDecisionSeconds);
  const d = answered ? inbox.stockDecision! : defaultStockDecision(policy.stockDecisionDefault, state.lines);
  state.pendingDecision = undefined;
  inbox.stockDecision = undefined;
  const decided = { type: 'stock.decided', actor: d.actor, detail: { decision: d.decision, substitutions: d.substitutions } };
  switch (d.decision) {
    case 'cancel':
      throw new OrderStop('cancelled', `out of stock: ${describeShort(short)}${answered ? '' : ' (no decision within the window)'}`, d.actor);
    case 'partial': {
      const value = giveUpShortUnits(state.lines, short);
      state.shortage = undefined;
      await run.publish(decided);
      await refundPart(run, value, 'shortage', `out of stock: ${describeShort(short)}`);
      return { held: outcome.held, short: [] };
    }
    case 'substitute': {
      const round = state.lines.filter((l) => l.substituteFor !== undefined).length;
      const delta = substitute(state.lines, short, d.substitutions!);
      state.totals = { ...state.totals, subtotal: state.totals.subtotal + delta, total: state.totals.total + delta };
      state.shortage = undefined;
      await run.publish({ ...decided, detail: { ...decided.detail, priceDifference: delta } });
      if (delta < 0) await refundPart(run, -delta, `substitution-${round}`, 'cheaper substitute');
      if (delta > 0) await collectExtra(run, delta, `substitution-${round}`);
      return allocateStock(ledger(run));
    }
    case 'wait_for_restock':
      return waitForRestock(run, d.actor);
  }
}

/** `wait_for_restock`: the order joins each short SKU's queue; restocks serve the queue oldest order first. */
async function waitForRestock(run: OrderRun, actor: string): Promise<StockOutcome> {
  const { state, inbox } = run;
  const request = () => ({ ...stockRequest(ledger(run)), queuedAt: run.input.submittedAt });
  let outcome = await db.backorderStock(request());
  state.shortage = outcome.short;
  await run.moveTo('backordered', { type: 'stock.backordered', actor, detail: { short: outcome.short } });
  while (outcome.short.length > 0) {
    const seen = inbox.restocks;
    // A restock signals the order; the periodic look covers stock freed by cancellations and lost signals.
    await run.waitFor(() => inbox.restocks !== seen, run.policy.backorderRecheckSeconds);
    outcome = await db.backorderStock(request());
    state.shortage = outcome.short;
  }
  state.shortage = undefined;
  recordAllocation(run.state.lines, outcome.held);
  await run.publish({ type: 'stock.restocked', actor: 'system', detail: { allocated: outcome.held } });
  return outcome;
}

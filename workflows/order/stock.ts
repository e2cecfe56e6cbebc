import type { StockOutcome } from '../../activities/stock';
import type { StockPiece } from '../../domain/allocation';
import type { ShortLine } from '../../domain/order';
import { submittedEntry } from '../../domain/order-state';
import { recordAllocation, type StockDecision } from '../../domain/shortage';
import { db } from '../activities';
import { waitForRestock, type BackorderPort } from '../shared/backorder';
import { negotiateShortage, type ShortagePort } from '../shared/shortage';
import { allocateStock, stockRequest, type StockLedger } from '../shared/stock';
import { collectExtra, refundPart } from './payment';
import { PATCH } from './patches';
import { OrderStop, seconds, type OrderRun } from './run';

const describeShort = (short: readonly ShortLine[]) => short.map((s) => `${s.quantity} × ${s.sku}`).join(', ');

/** The order's lines as a stock ledger; its holds are keyed by the order. */
const ledger = (run: OrderRun): StockLedger => ({
  holder: run.orderId,
  lines: run.state.lines,
  shippingProvince: run.input.shippingAddress.province,
});

/**
 * Submission (docs/fulfilment.md): the order is recorded and its stock reserved, best effort, until
 * the payment deadline, which it returns. The undo releases whatever the order holds.
 */
export async function submit(run: OrderRun): Promise<string> {
  const { input, orderId } = run;
  await db.recordSubmission(input, run.state, submittedEntry(input));
  run.onStop(() => db.releaseStock({ orderId }).then(() => undefined));
  const paymentDeadline = new Date(
    Date.parse(input.submittedAt) + seconds(run.policy.paymentWindowSeconds),
  ).toISOString();
  await db.reserveStock({ ...stockRequest(ledger(run)), expiresAt: paymentDeadline });
  run.checkpoint();
  return paymentDeadline;
}

/** Stock check (docs/fulfilment.md): reservations become allocations; a shortage is the customer's to decide. */
export async function allocate(run: OrderRun): Promise<StockPiece[]> {
  let outcome = await allocateStock(ledger(run));
  while (outcome.short.length > 0) {
    if (!run.takes(PATCH.negotiatesShortage))
      throw new OrderStop('cancelled', `out of stock: ${describeShort(outcome.short)}`, 'system');
    outcome = await resolveShortage(run, outcome);
  }
  run.checkpoint();
  return outcome.held;
}

/** Asks the customer (`awaiting_stock_decision`) and carries out the answer, or the policy's default when the window ends. */
async function resolveShortage(run: OrderRun, outcome: StockOutcome): Promise<StockOutcome> {
  // The order never gives up a shortage without stopping: cancel throws, a backorder ends allocated.
  return (await negotiateShortage(orderShortage(run), outcome)).outcome!;
}

const decided = (d: StockDecision, detail: Record<string, unknown> = {}) => ({
  type: 'stock.decided',
  actor: d.actor,
  detail: { decision: d.decision, substitutions: d.substitutions, ...detail },
});

/** The order's side of a shortage: its timeline, its inbox, its payment. */
function orderShortage(run: OrderRun): ShortagePort {
  const { state, policy, input, inbox } = run;
  return {
    ledger: ledger(run),
    policy,
    state,
    async ask({ short }, until) {
      const asked = { type: 'stock.short', actor: 'system', detail: { short, until } };
      if (run.step === 'awaiting_stock_decision') await run.publish(asked);
      else await run.moveTo('awaiting_stock_decision', asked);
      const notice = {
        id: `${run.orderId}:customer.stock_short:${state.version}`,
        orderId: run.orderId,
        recipientType: 'customer' as const,
        recipientId: input.customer.id,
      };
      await db.notify({ ...notice, channel: 'sms', kind: 'stock.short', payload: { short, until } });
    },
    async answer(windowSeconds) {
      const answered = await run.waitForWindow(() => inbox.stockDecision !== undefined, windowSeconds);
      const d = answered ? inbox.stockDecision : undefined;
      inbox.stockDecision = undefined;
      return d;
    },
    async cancel(d, short, answered) {
      throw new OrderStop(
        'cancelled',
        `out of stock: ${describeShort(short)}${answered ? '' : ' (no decision within the window)'}`,
        d.actor,
      );
    },
    async partial(d, short, value) {
      state.shortage = undefined;
      await run.publish(decided(d));
      await refundPart(run, value, 'shortage', `out of stock: ${describeShort(short)}`);
    },
    async substituted(d, short, delta) {
      // Numbered by the substitutions before this one (each short line added one substitute line).
      const round = state.lines.filter((l) => l.substituteFor !== undefined).length - short.length;
      state.totals = { ...state.totals, subtotal: state.totals.subtotal + delta, total: state.totals.total + delta };
      state.shortage = undefined;
      await run.publish(decided(d, { priceDifference: delta }));
      if (delta < 0) await refundPart(run, -delta, `substitution-${round}`, 'cheaper substitute');
      if (delta > 0) await collectExtra(run, delta, `substitution-${round}`);
    },
    waitForRestock: (d) => waitForRestock(orderBackorder(run, d.actor), policy.backorderRecheckSeconds),
  };
}

/** `wait_for_restock`: the order joins each short SKU's queue; restocks serve the queue oldest order first. */
function orderBackorder(run: OrderRun, actor: string): BackorderPort {
  const { state, inbox } = run;
  return {
    ledger: ledger(run),
    queue: { queuedAt: run.input.submittedAt },
    restocks: () => inbox.restocks,
    queued({ short }) {
      state.shortage = short;
      return run.moveTo('backordered', { type: 'stock.backordered', actor, detail: { short } });
    },
    // A restock signals the order; the periodic look covers stock freed by cancellations and lost signals.
    wait: (restocked, timeoutSeconds) => run.waitFor(restocked, timeoutSeconds),
    looked({ short }) {
      state.shortage = short;
    },
    restocked({ held }) {
      state.shortage = undefined;
      recordAllocation(state.lines, held);
      return run.publish({ type: 'stock.restocked', actor: 'system', detail: { allocated: held } });
    },
  };
}

import { condition, setHandler } from '@temporalio/workflow';
import {
  afterSalesState,
  decideAfterSales,
  decideAfterSalesStock,
  inspectAfterSales,
  invalid,
  invalidField,
  shipmentProgressed,
  stockReplenished,
  type AfterSalesDecision,
} from '../../contract';
import { allowedAfterSalesActions, type AfterSalesAction } from '../../domain/actions';
import type { AfterSalesState, InspectionBody } from '../../domain/after-sales';
import { decisionProblems, type StockDecision } from '../../domain/shortage';
import { checkInspection } from './inspection';
import type { AfterSalesRun } from './run';

/**
 * Every signal, update and query of the request. Handlers only post to the run's inbox and await the
 * main flow's answer; validators refuse at once without changing anything.
 */
export function registerHandlers(run: AfterSalesRun) {
  const { state, inbox } = run;
  setHandler(afterSalesState, () => state);
  setHandler(shipmentProgressed, (p) => void inbox.progress.push(p));
  setHandler(stockReplenished, () => void (inbox.restocks += 1));
  setHandler(
    decideAfterSalesStock,
    async (d) => {
      inbox.stockDecision = d;
      // Answered once this decision took effect (the request moved on, or asks again: a substitute short too).
      await condition(() => run.stockDecisionApplied === d);
      return state;
    },
    {
      validator: (d: StockDecision) => {
        requireAllowed(state, 'stockDecision', 'a stock decision');
        const asked =
          state.status === 'awaiting_stock_decision' && state.pendingDecision?.awaiting === 'stock_decision';
        if (inbox.stockDecision || !state.shortage || !state.replacement || !(asked || state.status === 'backordered'))
          throw new Error(`request is ${state.status}, not awaiting a stock decision`);
        if (!asked && d.decision !== 'cancel')
          throw new Error('the replacement is backordered: it can only be given up now (cancel: a refund instead)');
        // One home for the rules: the order's shortage validation, with no dearer substitute (nothing to charge it to).
        const problems = decisionProblems(state.replacement, state.shortage, d, { dearer: false });
        if (problems.length) throw invalid(problems);
      },
    },
  );
  setHandler(
    decideAfterSales,
    async (d) => {
      inbox.decision = d;
      await condition(() => state.status !== 'awaiting_decision');
      return state;
    },
    {
      validator: (d: AfterSalesDecision) => {
        if (!allowedAfterSalesActions(state).includes('decide') || inbox.decision)
          throw new Error(
            `request is ${state.status}${state.decision ? ` (${state.decision.decision}d by ${state.decision.actor})` : ''}, not awaiting a decision`,
          );
        if (d.decision === 'reject' && !d.reason?.trim()) throw invalidField('reason', 'is required to reject');
      },
    },
  );
  setHandler(
    inspectAfterSales,
    async (i) => {
      inbox.inspection = i;
      await condition(() => state.status !== 'awaiting_inspection');
      return state;
    },
    {
      validator: (i: InspectionBody & { actor: string }) => {
        requireAllowed(state, 'inspect', 'inspection');
        checkInspection(run, i);
      },
    },
  );
}

/** The request's table of allowed actions decides first (domain/actions.ts); a refusal is a 409. */
function requireAllowed(state: AfterSalesState, action: AfterSalesAction, awaiting: string) {
  if (!allowedAfterSalesActions(state).includes(action))
    throw new Error(`request is ${state.status}, not awaiting ${awaiting}`);
}

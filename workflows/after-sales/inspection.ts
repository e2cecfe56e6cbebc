import { condition } from '@temporalio/workflow';
import { invalidField } from '../../contract';
import { paidOf, type InspectionBody } from '../../domain/after-sales';
import { db } from '../activities';
import { nowIso, seconds, type AfterSalesRun } from './run';

/** The inspection Update's validator: every returned SKU gets a condition, a refund at most the goods' value. */
export function checkInspection(run: AfterSalesRun, i: InspectionBody) {
  const { state, inbox } = run;
  if (state.status !== 'awaiting_inspection' || inbox.inspection)
    throw new Error(`request is ${state.status}, not awaiting inspection`);
  i.lines.forEach((l, n) => {
    if (!state.lines.some((sl) => sl.sku === l.sku))
      throw invalidField(`lines.${n}.sku`, `${l.sku} is not part of this request`);
  });
  const missing = state.lines.find((sl) => !i.lines.some((l) => l.sku === sl.sku));
  if (missing) throw invalidField('lines', `must give a condition for every returned sku; ${missing.sku} is missing`);
  const value = state.lines.reduce((t, l) => t + paidOf(l), 0);
  if (i.refundAmount !== undefined && i.refundAmount > value)
    throw invalidField('refundAmount', `must not exceed the value of the returned goods (${value})`);
}

/**
 * The merchant inspects the goods within the SLA (else they count as fine, docs/after-sales.md);
 * resellable goods go back on the shelf.
 */
export async function inspect(run: AfterSalesRun) {
  const { state, policy, inbox, requestId } = run;
  const until = new Date(Date.now() + seconds(policy.inspectionSeconds)).toISOString();
  state.pendingDecision = { awaiting: 'inspection', actor: 'merchant', until };
  await run.step('awaiting_inspection', {
    type: 'after_sales.return_received',
    actor: `courier:${state.shipments[0].courier}`,
    detail: { warehouseId: state.shipments[0].warehouseId },
  });
  await run.notifyMerchant('after_sales.awaiting_inspection', until);
  if (!(await condition(() => inbox.inspection !== undefined, seconds(policy.inspectionSeconds))))
    inbox.inspection = {
      lines: state.lines.map((l) => ({ sku: l.sku, condition: 'ok' as const, note: 'not inspected within the SLA' })),
      actor: 'system',
    };
  const i = inbox.inspection!;
  for (const l of state.lines)
    Object.assign(l, {
      condition: i.lines.find((x) => x.sku === l.sku)!.condition,
      note: i.lines.find((x) => x.sku === l.sku)!.note,
    });
  state.inspection = { actor: i.actor, refundAmount: i.refundAmount, at: nowIso() };
  state.pendingDecision = undefined;
  // Only resellable goods go back on the shelf; repaired goods go back to their owner.
  const resellable = state.type === 'repair' ? [] : state.lines.filter((l) => l.condition === 'ok');
  if (resellable.length > 0)
    await db.restockAfterSales({
      requestId,
      lines: resellable.map(({ lineNo, sku, warehouseId, quantity }) => ({ lineNo, sku, warehouseId, quantity })),
    });
  await run.step('resolving', {
    type: 'after_sales.inspected',
    actor: i.actor,
    detail: {
      lines: state.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, condition: l.condition })),
      refundAmount: i.refundAmount,
      restocked: resellable.map((l) => ({ sku: l.sku, quantity: l.quantity })),
    },
  });
}

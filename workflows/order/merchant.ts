import { db } from '../activities';
import { PATCH } from './patches';
import { OrderStop, seconds, type OrderRun } from './run';

/**
 * The merchant is told of the order and accepts it, by policy at once or by decision within its SLA
 * (docs/fulfilment.md). A missed SLA is flagged, then cancels or keeps waiting as the policy says.
 */
export async function merchantAccepts(run: OrderRun) {
  const { state, policy, inbox } = run;
  if (run.takes(PATCH.notifiesMerchant)) {
    const lines = state.lines.filter((l) => l.allocated > 0).map((l) => ({ sku: l.sku, quantity: l.allocated }));
    const payload = { lines, total: state.totals.total, autoAccepted: policy.autoAccept };
    await db.notify({
      id: `${run.orderId}:merchant.new_order`,
      orderId: run.orderId,
      recipientType: 'merchant',
      recipientId: run.input.merchantId,
      channel: 'in_app',
      kind: 'order.new',
      payload,
    });
  }
  if (policy.autoAccept) {
    await run.moveTo('fulfilling', { type: 'merchant.accepted', actor: 'policy:auto-accept' });
    return;
  }
  const until = new Date(Date.now() + seconds(policy.merchantSlaSeconds)).toISOString();
  state.pendingDecision = { awaiting: 'merchant_decision', actor: 'merchant', until };
  await run.moveTo('awaiting_merchant', { type: 'merchant.notified', actor: 'system', detail: { until } });
  if (!(await run.waitForWindow(() => inbox.merchantDecision !== undefined, policy.merchantSlaSeconds))) {
    if (!run.takes(PATCH.flagsMerchantSla))
      throw new OrderStop('cancelled', 'merchant did not answer within the SLA', 'system');
    await run.raiseFlag('merchant_sla_expired', { until, action: policy.merchantSlaAction });
    if (policy.merchantSlaAction === 'cancel')
      throw new OrderStop('cancelled', 'merchant did not answer within the SLA', 'system');
    await run.waitFor(() => inbox.merchantDecision !== undefined);
  }
  state.pendingDecision = undefined;
  const d = inbox.merchantDecision!;
  if (d.decision === 'reject') throw new OrderStop('rejected', `merchant rejected: ${d.reason}`, d.actor);
  await run.moveTo('fulfilling', { type: 'merchant.accepted', actor: d.actor });
}

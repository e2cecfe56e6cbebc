import type { AfterSalesHost } from './after-sales';
import { PATCH } from './patches';
import { nowIso, type OrderRun } from './run';

/**
 * Sign-off (docs/fulfilment.md): delivered orders wait for the customer's receipt confirmation, or
 * confirm themselves when the window ends (extended once by the platform, or by support); after-sales
 * reports that arrive meanwhile are applied. Completion credits the points.
 */
export async function signOff(run: OrderRun, afterSales: AfterSalesHost) {
  const { state, inbox, windows } = run;
  state.deliveredAt = nowIso();
  state.pendingDecision = { awaiting: 'receipt_confirmation', actor: 'platform', until: run.receiptDeadline() };
  await run.publish({ type: 'order.delivered', actor: 'system' });
  windows.open = true;
  while (!inbox.receipt) {
    const left = Date.parse(run.receiptDeadline()) - Date.now();
    if (left <= 0) break;
    const extended = state.receiptExtended;
    const extensions = windows.extensions;
    await run.until(
      () =>
        inbox.receipt !== undefined ||
        state.receiptExtended !== extended ||
        afterSales.pending() ||
        windows.extensions !== extensions,
      left,
    );
    await afterSales.apply();
  }
  windows.open = false;
  state.pendingDecision = undefined;
  state.completedAt = nowIso();
  const points = run.takes(PATCH.afterSalesWindow) ? { points: await afterSales.creditPoints() } : undefined;
  const receipt = inbox.receipt;
  await run.moveTo('completed', {
    type: receipt ? 'receipt.confirmed' : 'receipt.auto_confirmed',
    actor: receipt?.actor ?? 'system',
    detail: points,
  });
}

import { refund } from './refund';
import { total, type AfterSalesRun } from './run';
import { deliver, shipmentLines, startShipment } from './shipments';

/** Repaired goods go back to the customer; a refund the inspection granted is paid too (docs/after-sales.md). */
export async function repair(run: AfterSalesRun) {
  const { state, requestId } = run;
  const s = await startShipment(run, 'outbound', 1, state.lines[0].warehouseId, shipmentLines(state.lines));
  await run.step('shipping_back', {
    type: 'after_sales.repaired_goods_shipped',
    actor: 'system',
    detail: { trackingNumber: s.trackingNumber, courier: s.courier },
  });
  await deliver(run, s, false);
  const amount = state.inspection?.refundAmount ?? 0;
  const refunds = amount > 0 ? await refund(run, amount, `after-sales ${requestId}: repair`) : [];
  await run.resolve(
    { outcome: 'repaired', refunded: total(refunds), refunds },
    {
      type: 'after_sales.repaired',
      actor: 'system',
      detail: { trackingNumber: s.trackingNumber, delivered: s.status === 'delivered' },
    },
    [],
    [],
  );
}

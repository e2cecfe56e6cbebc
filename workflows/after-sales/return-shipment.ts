import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { cancelShipment } from '../../contract';
import type { ShipmentView } from '../../domain/order';
import { handedOver, isFinalShipmentStatus } from '../../domain/tracking';
import { seconds, type AfterSalesRun } from './run';
import { follow, shipmentLines, startShipment } from './shipments';

const handedOverOrFinal = (s: ShipmentView) => handedOver(s.status) || isFinalShipmentStatus(s.status);

/**
 * The customer hands the goods to the courier before the deadline, and they reach the warehouse
 * (docs/after-sales.md). Returns false when the request ended instead (expired, or the return failed).
 */
export async function goodsComeBack(run: AfterSalesRun): Promise<boolean> {
  const { state, policy } = run;
  const warehouseId = state.lines[0].warehouseId;
  const ret = await startShipment(run, 'return', 1, warehouseId, shipmentLines(state.lines));
  const until = new Date(Date.now() + seconds(policy.returnShipSeconds)).toISOString();
  state.pendingDecision = { awaiting: 'return_shipment', actor: 'customer', until };
  await run.step('awaiting_return', {
    type: 'after_sales.approved',
    actor: state.decision!.actor,
    detail: { reason: state.decision!.reason, trackingNumber: ret.trackingNumber, courier: ret.courier, shipBy: until },
  });

  if (!(await follow(run, ret, handedOverOrFinal, seconds(policy.returnShipSeconds)))) {
    // Deadline: cancel the booking; a pick-up that arrived first still wins (the shipment decides).
    await getExternalWorkflowHandle(ret.shipmentId).signal(cancelShipment, {
      reason: 'the customer did not ship the goods back in time',
    });
    await follow(run, ret, handedOverOrFinal);
  }
  if (!handedOver(ret.status)) {
    await run.step('expired', {
      type: 'after_sales.expired',
      actor: 'system',
      detail: { reason: 'the customer did not ship the goods back before the deadline', until },
    });
    return false;
  }
  state.pendingDecision = undefined;
  await run.step('returning', {
    type: 'after_sales.return_picked_up',
    actor: `courier:${ret.courier}`,
    detail: { trackingNumber: ret.trackingNumber },
  });
  await follow(run, ret, (s) => isFinalShipmentStatus(s.status));
  if (ret.status !== 'delivered') {
    await run.step('cancelled', {
      type: 'after_sales.return_failed',
      actor: `courier:${ret.courier}`,
      detail: { trackingNumber: ret.trackingNumber, status: ret.status },
    });
    return false;
  }
  return true;
}

import { handedOver, isFinalShipmentStatus } from '../../domain/tracking';
import { followShipments, type ShipmentReports } from '../shared/shipments';
import { parcelsReady, stepParcels, stopParcel } from './parcels';
import { applyProgress } from './progress';
import { OrderStop, type OrderRun } from './run';

/**
 * The order's shipment reports, applied with their effects (progress.ts), and its own parcels stepped
 * (version 3, parcels.ts), waited for with the order's wait.
 */
const reports = (run: OrderRun): ShipmentReports => ({
  progress: run.inbox.progress,
  apply: async () => {
    await applyProgress(run);
    await stepParcels(run);
  },
  ready: () => parcelsReady(run),
  wait: (woken, ms) => run.until(woken, ms),
});

/**
 * The customer may cancel until the first hand-over. Each shipment decides for itself (its tracking
 * events are the truth); if one was picked up meanwhile, the cancellation is refused.
 */
export async function cancelBeforeHandOver(run: OrderRun) {
  const { inbox } = run;
  if (!run.anyHandedOver()) {
    await cancelUnshipped(run);
    if (!run.anyHandedOver()) throw new OrderStop('cancelled', inbox.cancelRequest!.reason, inbox.cancelRequest!.actor);
  }
  inbox.cancelRefusal = 'a shipment has been handed over to the courier; only support can cancel now';
  await run.until(() => inbox.cancelRequest === undefined);
}

/**
 * Support's cancellation after hand-over: shipments with the courier are recalled (the parcel comes
 * back, its stock returns, its value is refunded), the others cancelled; then the saga runs.
 */
export async function recallAndCancel(run: OrderRun) {
  const { state, inbox } = run;
  const { reason, actor } = inbox.cancelRequest!;
  for (const s of state.shipments.filter((x) => !isFinalShipmentStatus(x.status))) await stopParcel(run, s, reason);
  await followShipments(reports(run), () => state.shipments.every((s) => isFinalShipmentStatus(s.status)));
  if (state.lines.every((l) => l.delivered === 0)) throw new OrderStop('cancelled', reason, actor);
  inbox.cancelRefusal = 'a shipment was delivered meanwhile; the others were recalled';
  await run.until(() => inbox.cancelRequest === undefined);
}

/** Cancels every shipment not yet with the courier and waits until each has answered. */
export async function cancelUnshipped(run: OrderRun) {
  const { state, inbox } = run;
  const open = state.shipments.filter((s) => !isFinalShipmentStatus(s.status) && !handedOver(s.status));
  for (const s of open) await stopParcel(run, s, inbox.cancelRequest?.reason ?? 'order cancelled');
  await followShipments(reports(run), () =>
    open.every((s) => s.status === 'cancelled' || handedOver(s.status) || isFinalShipmentStatus(s.status)),
  );
}

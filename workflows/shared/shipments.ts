import { condition } from '@temporalio/workflow';
import type { ShipmentProgress } from '../../contract';
import type { ShipmentView } from '../../domain/order';
import { db } from '../activities';

/** A holder's shipment reports: where they arrive, how they are applied, and how the holder waits. */
export interface ShipmentReports {
  progress: ShipmentProgress[];
  apply(): unknown;
  /** The holder's wait (an order's also carries out its handlers' work); `condition` by default. */
  wait?(woken: () => boolean, timeoutMs?: number): Promise<unknown>;
}

/**
 * Follows shipments (children reporting to their holder, docs/fulfilment.md) until `done` holds,
 * applying each batch of reports; with `timeoutMs`, gives up when it passes. True if `done` holds.
 */
export async function followShipments(
  { progress, apply, wait = condition }: ShipmentReports,
  done: () => boolean,
  timeoutMs?: number,
): Promise<boolean> {
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  while (!done()) {
    const left = deadline === undefined ? undefined : deadline - Date.now();
    if (left !== undefined && left <= 0) return false;
    if (left === undefined) await wait(() => progress.length > 0);
    else if (!(await wait(() => progress.length > 0, left))) continue;
    await apply();
  }
  return true;
}

/** The stock of a parcel that never reached the customer: back on the shelf if it came back, else released. */
export function returnStock(holder: string, s: Pick<ShipmentView, 'status' | 'warehouseId'>): Promise<unknown> {
  const where = { orderId: holder, warehouseId: s.warehouseId };
  return s.status === 'returned_to_sender' ? db.restockReturned(where) : db.releaseStock(where);
}

import { condition } from '@temporalio/workflow';
import type { ShipmentProgress } from '../../contract';
import type { ShipmentView } from '../../domain/order';
import { db } from '../activities';

/** A holder's shipment reports: where they arrive, how they are applied, and how the holder waits. */
export interface ShipmentReports {
  progress: ShipmentProgress[];
  apply(): unknown;
  /** Something besides a report to act on in `apply` (an order's own parcels, version 3 on); none by default. */
  ready?(): boolean;
  /** The holder's wait (an order's also carries out its handlers' work); `condition` by default. */
  wait?(woken: () => boolean, timeoutMs?: number): Promise<unknown>;
}

/**
 * Follows shipments (children reporting to their holder, docs/fulfilment.md) until `done` holds,
 * applying each batch of reports; with `timeoutMs`, gives up when it passes. True if `done` holds.
 */
export async function followShipments(
  { progress, apply, ready = () => false, wait = condition }: ShipmentReports,
  done: () => boolean,
  timeoutMs?: number,
): Promise<boolean> {
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  while (!done()) {
    const left = deadline === undefined ? undefined : deadline - Date.now();
    if (left !== undefined && left <= 0) return false;
    const woken = () => progress.length > 0 || ready();
    if (left === undefined) await wait(woken);
    else if (!(await wait(woken, left))) continue;
    await apply();
  }
  return true;
}

/** The stock of a parcel that never reached the customer: back on the shelf if it came back, else released. */
export function returnStock(holder: string, s: Pick<ShipmentView, 'status' | 'warehouseId'>): Promise<unknown> {
  const where = { orderId: holder, warehouseId: s.warehouseId };
  return s.status === 'returned_to_sender' ? db.restockReturned(where) : db.releaseStock(where);
}

import type { Address, ShipmentLine } from '../domain';
import { recordBooking, recordTracking, type AcceptedTracking } from '../store/tracking';
import type { ActivityDeps } from './deps';

export interface BookShipmentRequest {
  orderId: string;
  shipmentId: string;
  seq: number;
  warehouseId: string;
  courier: string;
  address: Address;
  lines: ShipmentLine[];
  codAmount?: number;
  idempotencyKey: string;
  /**
   * The workflow that follows this parcel when it is not a workflow of its own: the order of lifecycle
   * version 3 (docs/decisions/100). Recorded on the shipment row for the logistics webhook to signal.
   */
  holderWorkflowId?: string;
}

export function createShippingActivities({ db, providers }: ActivityDeps) {
  return {
    /** Books the courier (idempotent by key) and records the shipment with its tracking number. */
    async bookShipment(req: BookShipmentRequest): Promise<{ courier: string; trackingNumber: string }> {
      const courier = providers.couriers[req.courier] ?? providers.couriers[providers.defaultCourier];
      const { trackingNumber } = await courier.book(req);
      await recordBooking(db, { ...req, courier: courier.name, trackingNumber });
      return { courier: courier.name, trackingNumber };
    },

    /** The last delivery attempt failed: the courier brings the parcel back and reports `returned_to_sender`. */
    async requestReturnToSender(req: {
      shipmentId: string;
      courier: string;
      trackingNumber: string;
      idempotencyKey: string;
    }): Promise<void> {
      await providers.couriers[req.courier].returnToSender(req);
    },

    async cancelBooking(req: {
      shipmentId: string;
      courier: string;
      trackingNumber: string;
      idempotencyKey: string;
    }): Promise<void> {
      await providers.couriers[req.courier].cancelBooking(req);
      await db.shipment.update({ where: { id: req.shipmentId }, data: { status: 'cancelled' } });
    },

    /** Stores an accepted tracking event, the shipment's resulting status and the notices they cause. */
    async recordTracking(req: AcceptedTracking): Promise<void> {
      await recordTracking(db, req);
    },
  };
}

import type { Address, ShipmentLine, ShipmentStatus, TrackingSignal } from '../domain';
import { queueTrackingNotice } from '../store/notices';
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
}

export function createShippingActivities({ db, providers }: ActivityDeps) {
  return {
    /** Books the courier (idempotent by key) and records the shipment with its tracking number. */
    async bookShipment(req: BookShipmentRequest): Promise<{ courier: string; trackingNumber: string }> {
      const courier = providers.couriers[req.courier] ?? providers.couriers[providers.defaultCourier];
      const { trackingNumber } = await courier.book(req);
      const data = { courier: courier.name, trackingNumber, status: 'booked', lines: req.lines as unknown as object };
      await db.shipment.upsert({
        where: { id: req.shipmentId },
        create: { id: req.shipmentId, orderId: req.orderId, seq: req.seq, warehouseId: req.warehouseId, ...data },
        update: data,
      });
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

    /** Stores an accepted tracking event and the shipment's resulting status. */
    async recordTracking(req: {
      shipmentId: string;
      event: TrackingSignal;
      status: ShipmentStatus;
      deliveryAttempts?: number;
    }): Promise<void> {
      const e = req.event;
      await db.$transaction([
        db.trackingEvent.createMany({
          data: [
            {
              shipmentId: req.shipmentId,
              eventId: e.eventId,
              type: e.type,
              location: e.location,
              signedBy: e.signedBy,
              occurredAt: new Date(e.occurredAt),
            },
          ],
          skipDuplicates: true,
        }),
        db.shipment.update({
          where: { id: req.shipmentId },
          data: { status: req.status, deliveryAttempts: req.deliveryAttempts },
        }),
      ]);
      // A retry after a failure here finds the tracking written and queues the notice once (its key).
      await queueTrackingNotice(db, req.shipmentId, e);
    },
  };
}

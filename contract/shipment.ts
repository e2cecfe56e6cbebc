import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ShipmentView } from '../domain/order';
import type { TrackingSignal } from '../domain/tracking';

/** The shipment workflow's signals and query. */

export const trackingReceived = defineSignal<[TrackingSignal]>('trackingReceived');
export const cancelShipment = defineSignal<[{ reason: string }]>('cancelShipment');
/** Support cancelled the order after hand-over: the courier brings the parcel back. */
export const recallShipment = defineSignal<[{ reason: string }]>('recallShipment');
export const shipmentState = defineQuery<ShipmentView>('state');

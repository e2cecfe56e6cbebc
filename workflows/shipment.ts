import { getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import type { ShipmentView } from '../domain/order';
import { Lifecycle } from './shared/lifecycle';
import {
  followParcel,
  hear,
  PARCEL_PATCHES,
  parcelInbox,
  parcelView,
  type ParcelInbox,
  type ParcelInput,
} from './shared/parcel';
import { cancelShipment, recallShipment, shipmentProgressed, shipmentState, trackingReceived } from '../contract';

/**
 * The shipment child's lifecycle by the type that started it: version 1 (`shipmentWorkflow`) asks
 * `patched()`; versions 2 and 3 took every patch of the parcel's logic from their start
 * (workflows/shared/parcel.ts). Version 3 orders hold their own parcels; its shipment children are
 * after-sales parcels only (docs/decisions/100).
 */
const SHIPMENT_LIFECYCLE = {
  1: Lifecycle.v1(),
  2: Lifecycle.v2(PARCEL_PATCHES),
} as const;

/** What a shipment child needs: its parcel and the workflow it reports to (its order or after-sales request). */
export interface ShipmentInput extends ParcelInput {
  orderWorkflowId: string;
}

/** Version 2: started by version 2 orders and after-sales requests; no patch marker (docs/decisions/092). */
export async function shipmentWorkflowV2(input: ShipmentInput): Promise<ShipmentView> {
  return runShipment(input, SHIPMENT_LIFECYCLE[2]);
}

/** The shipment workflow of lifecycle version 1, for the shipments of version 1 orders and requests. */
export async function shipmentWorkflow(input: ShipmentInput): Promise<ShipmentView> {
  return runShipment(input, SHIPMENT_LIFECYCLE[1]);
}

async function runShipment(input: ShipmentInput, lifecycle: Lifecycle): Promise<ShipmentView> {
  const { orderWorkflowId, ...parcel } = input;
  const view = parcelView(parcel);
  const inbox = listen(view);
  const holder = getExternalWorkflowHandle(orderWorkflowId);
  return followParcel(parcel, view, inbox, lifecycle, (progress) => holder.signal(shipmentProgressed, progress));
}

/** The shipment's handlers: its state as a query; tracking events, cancel and recall requests into its inbox. */
function listen(view: ShipmentView): ParcelInbox {
  const inbox = parcelInbox();
  setHandler(shipmentState, () => view);
  setHandler(trackingReceived, (event) => hear(inbox, event));
  setHandler(cancelShipment, () => {
    inbox.cancelRequested = true;
  });
  setHandler(recallShipment, () => {
    inbox.recallRequested = true;
  });
  return inbox;
}

import { getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import type { ShipmentView } from '../domain/order';
import { Lifecycle } from './shared/lifecycle';
import { followParcel, hear, Parcel, PARCEL_PATCHES, parcelInbox, type ParcelInput } from './shared/parcel';
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
  3: Lifecycle.taking(3, PARCEL_PATCHES),
  4: Lifecycle.taking(4, PARCEL_PATCHES),
  5: Lifecycle.taking(5, PARCEL_PATCHES),
} as const;

/** What a shipment child needs: its parcel and the workflow it reports to (its order or after-sales request). */
export interface ShipmentInput extends ParcelInput {
  orderWorkflowId: string;
}

/**
 * One parcel from one warehouse as a child workflow (`shipment-<orderId>-<n>`, or an after-sales
 * request's `after-sales-<id>-<direction>-<n>`): the parcel's logic (workflows/shared/parcel.ts),
 * hearing tracking events, cancel and recall requests by its own signals and reporting to its holder by
 * the `shipmentProgressed` signal.
 *
 * Version 5 (contract/versions.ts): started by version 5 after-sales requests; its database steps
 * batched (docs/decisions/107), its courier calls tried locally first (docs/decisions/110).
 */
export async function shipmentWorkflowV5(input: ShipmentInput): Promise<ShipmentView> {
  return runShipment(input, SHIPMENT_LIFECYCLE[5]);
}

/** Version 4: started by version 4 after-sales requests; its database steps batched (docs/decisions/107). */
export async function shipmentWorkflowV4(input: ShipmentInput): Promise<ShipmentView> {
  return runShipment(input, SHIPMENT_LIFECYCLE[4]);
}

/** Version 3: started by version 3 after-sales requests; no patch marker. */
export async function shipmentWorkflowV3(input: ShipmentInput): Promise<ShipmentView> {
  return runShipment(input, SHIPMENT_LIFECYCLE[3]);
}

/** Version 2: started by version 2 orders and after-sales requests; no patch marker (docs/decisions/092). */
export async function shipmentWorkflowV2(input: ShipmentInput): Promise<ShipmentView> {
  return runShipment(input, SHIPMENT_LIFECYCLE[2]);
}

/** The shipment workflow of lifecycle version 1, for the shipments of version 1 orders and requests. */
export async function shipmentWorkflow(input: ShipmentInput): Promise<ShipmentView> {
  return runShipment(input, SHIPMENT_LIFECYCLE[1]);
}

function runShipment(input: ShipmentInput, lifecycle: Lifecycle): Promise<ShipmentView> {
  const { orderWorkflowId, ...parcelInput } = input;
  return lifecycle.runWorkflow(() => {
    const holder = getExternalWorkflowHandle(orderWorkflowId);
    const parcel = new Parcel(parcelInput, parcelInbox(), lifecycle, (progress) =>
      holder.signal(shipmentProgressed, progress),
    );
    listen(parcel);
    return followParcel(parcel);
  });
}

/** The shipment's handlers: its state as a query; tracking events, cancel and recall requests into its inbox. */
function listen({ view, inbox }: Parcel): void {
  setHandler(shipmentState, () => view);
  setHandler(trackingReceived, (event) => hear(inbox, event));
  setHandler(cancelShipment, () => {
    inbox.cancelRequested = true;
  });
  setHandler(recallShipment, () => {
    inbox.recallRequested = true;
  });
}

import type { OrderInput } from '../../domain/order';
import type { OrderState } from '../../domain/order-state';
import type { Lifecycle } from '../shared/lifecycle';
import { registerHandlers } from './handlers';
import { merchantAccepts } from './merchant';
import { ORDER_LIFECYCLE, PATCH } from './patches';
import { pay } from './payment';
import { assessRisk } from './risk';
import { OrderRun, OrderStop } from './run';
import { ship } from './shipping';
import { signOff } from './sign-off';
import { allocate, submit } from './stock';

/**
 * The order workflow of lifecycle version 5 (contract/versions.ts), which new orders start: version
 * 4's steps, with its main path's provider calls tried once as a local activity first (docs/decisions/110).
 */
export async function orderWorkflowV5(input: OrderInput): Promise<OrderState> {
  return runOrder(input, ORDER_LIFECYCLE[5]);
}

/**
 * The order workflow of lifecycle version 4, for the orders started before version 5 until they have
 * all closed: version 3's steps, with the database steps it takes between two waits written by one
 * local activity (docs/decisions/107).
 */
export async function orderWorkflowV4(input: OrderInput): Promise<OrderState> {
  return runOrder(input, ORDER_LIFECYCLE[4]);
}

/**
 * The order workflow of lifecycle version 3 (contract/versions.ts), for the orders started before
 * version 4 until they have all closed: version
 * 2's steps, with each parcel followed inside the order (a Parcel of workflows/shared/parcel.ts,
 * hearing the order's `parcelTracking` signal and stepped by the main flow) instead of a shipment
 * child (docs/decisions/100).
 */
export async function orderWorkflowV3(input: OrderInput): Promise<OrderState> {
  return runOrder(input, ORDER_LIFECYCLE[3]);
}

/**
 * One order's whole life (`order-<orderId>`, docs/product.md): submit and reserve stock → risk →
 * payment → stock check → merchant → shipments (parcels: child workflows before version 3) → delivery → sign-off → the
 * after-sales window. Every step registers its undo before it runs; a cancellation, a decline or an
 * expired window stops the order, and the saga unwinds the steps taken, in reverse.
 *
 * The order workflow of lifecycle version 2 (contract/versions.ts), for the orders started before
 * version 3 until they have all closed: every patch of version 1 taken from the start, so no patch
 * marker (docs/decisions/092); its parcels are shipment children.
 */
export async function orderWorkflowV2(input: OrderInput): Promise<OrderState> {
  return runOrder(input, ORDER_LIFECYCLE[2]);
}

/**
 * The order workflow of lifecycle version 1, for the orders started before version 2 until they have
 * all closed: the same code, every change behind `patched()`; nothing starts it any more.
 */
export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  return runOrder(input, ORDER_LIFECYCLE[1]);
}

function runOrder(input: OrderInput, lifecycle: Lifecycle): Promise<OrderState> {
  return lifecycle.runWorkflow(() => order(input, lifecycle));
}

async function order(input: OrderInput, lifecycle: Lifecycle): Promise<OrderState> {
  const run = new OrderRun(input, lifecycle);
  const afterSales = registerHandlers(run);
  try {
    const reservedUntil = await submit(run);
    const paymentDeadline = await assessRisk(run, reservedUntil);
    await pay(run, paymentDeadline);
    const allocated = await allocate(run);
    await merchantAccepts(run);
    await ship(run, allocated);
    await signOff(run, afterSales);
    if (run.takes(PATCH.afterSalesWindow)) await afterSales.afterCompletion();
  } catch (err) {
    if (!(err instanceof OrderStop)) throw err;
    await run.stop(err);
  }
  return run.state;
}

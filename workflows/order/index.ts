import { patched } from '@temporalio/workflow';
import type { OrderInput, OrderState } from '../../domain';
import { registerHandlers } from './handlers';
import { merchantAccepts } from './merchant';
import { PATCH } from './patches';
import { pay } from './payment';
import { assessRisk } from './risk';
import { OrderRun, OrderStop } from './run';
import { ship } from './shipping';
import { signOff } from './sign-off';
import { allocate, submit } from './stock';

/**
 * One order's whole life (`order-<orderId>`, docs/product.md): submit and reserve stock → risk →
 * payment → stock check → merchant → shipments (child workflows) → delivery → sign-off → the
 * after-sales window. Every step registers its undo before it runs; a cancellation, a decline or an
 * expired window stops the order, and the saga unwinds the steps taken, in reverse.
 */
export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  const run = new OrderRun(input);
  const afterSales = registerHandlers(run);
  try {
    const reservedUntil = await submit(run);
    const paymentDeadline = await assessRisk(run, reservedUntil);
    await pay(run, paymentDeadline);
    const allocated = await allocate(run);
    await merchantAccepts(run);
    await ship(run, allocated);
    await signOff(run, afterSales);
    if (patched(PATCH.afterSalesWindow)) await afterSales.afterCompletion();
  } catch (err) {
    if (!(err instanceof OrderStop)) throw err;
    await run.stop(err);
  }
  return run.state;
}

import type { AfterSalesInput, AfterSalesState } from '../../domain/after-sales';
import type { Lifecycle } from '../shared/lifecycle';
import { compensate } from './compensation';
import { autoApprove, decide } from './decision';
import { exchange } from './exchange';
import { registerHandlers } from './handlers';
import { inspect } from './inspection';
import { AFTER_SALES_LIFECYCLE, decidePatchesAtStart } from './patches';
import { refundReturn } from './refund';
import { repair } from './repair';
import { goodsComeBack } from './return-shipment';
import { AfterSalesRun } from './run';

/**
 * The after-sales workflow of lifecycle version 5, started by version 5 orders: version 4's steps, with
 * the main path's provider calls tried once as a local activity first (docs/decisions/110; refunds stay
 * regular activities); its parcels are `shipmentWorkflowV5` children.
 */
export async function afterSalesWorkflowV5(input: AfterSalesInput): Promise<AfterSalesState> {
  return runRequest(input, AFTER_SALES_LIFECYCLE[5]);
}

/**
 * The after-sales workflow of lifecycle version 4, started by version 4 orders: version 3's steps,
 * batched (docs/decisions/107); its parcels are `shipmentWorkflowV4` children.
 */
export async function afterSalesWorkflowV4(input: AfterSalesInput): Promise<AfterSalesState> {
  return runRequest(input, AFTER_SALES_LIFECYCLE[4]);
}

/**
 * The after-sales workflow of lifecycle version 3, started by version 3 orders: version 2's steps, with
 * its parcels as `shipmentWorkflowV3` children. An order of version 3 follows its own parcels; a
 * request keeps a child per parcel, which earns its cost here (docs/decisions/100).
 */
export async function afterSalesWorkflowV3(input: AfterSalesInput): Promise<AfterSalesState> {
  return runRequest(input, AFTER_SALES_LIFECYCLE[3]);
}

/**
 * One after-sales request (`after-sales-<requestId>`, child of its order, docs/after-sales.md):
 * merchant decision (or auto-approval by policy) → the customer ships the goods back (a return
 * shipment child, tracked by the logistics webhooks) → merchant inspection → resolution by type:
 * refund, replacement, repaired goods back, or compensation. The order applies the money and ledger
 * effects it reports.
 *
 * The after-sales workflow of lifecycle version 2 (contract/versions.ts), started by version 2 orders:
 * no patch marker (docs/decisions/092).
 */
export async function afterSalesWorkflowV2(input: AfterSalesInput): Promise<AfterSalesState> {
  return runRequest(input, AFTER_SALES_LIFECYCLE[2]);
}

/** The after-sales workflow of lifecycle version 1, for the requests of version 1 orders. */
export async function afterSalesWorkflow(input: AfterSalesInput): Promise<AfterSalesState> {
  return runRequest(input, AFTER_SALES_LIFECYCLE[1]);
}

function runRequest(input: AfterSalesInput, lifecycle: Lifecycle): Promise<AfterSalesState> {
  return lifecycle.runWorkflow(() => request(input, lifecycle));
}

async function request(input: AfterSalesInput, lifecycle: Lifecycle): Promise<AfterSalesState> {
  decidePatchesAtStart(lifecycle);
  const run = new AfterSalesRun(input, lifecycle);
  autoApprove(run);
  registerHandlers(run);

  if (!(await decide(run))) return run.state;
  if (input.type === 'compensation') {
    await compensate(run);
    return run.state;
  }
  if (!(await goodsComeBack(run))) return run.state;
  await inspect(run);
  if (input.type === 'return') await refundReturn(run);
  else if (input.type === 'exchange') await exchange(run);
  else await repair(run);
  return run.state;
}

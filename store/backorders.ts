import type { Client } from '@temporalio/client';
import { stockReplenished } from '../contract';
import type { Db } from './db';

/**
 * New stock of a SKU (a restock, or resellable goods back from a return) may serve backorders: each
 * waiter (an order, or an after-sales exchange waiting for its replacement) is told, and the first to
 * look serves the whole queue oldest first (serveBackorders). A lost signal only delays a waiter until
 * its next periodic look, so failures are reported, not thrown.
 */
export async function wakeBackorders(
  db: Db,
  temporal: Client,
  sku: string,
  report: (err: unknown, workflowId: string) => void,
): Promise<void> {
  const waiting = await db.backorder.findMany({
    where: { sku, state: 'waiting' },
    select: { workflowId: true },
    orderBy: [{ queuedAt: 'asc' }, { holderId: 'asc' }],
  });
  await Promise.all(
    waiting.map(({ workflowId }) =>
      temporal.workflow
        .getHandle(workflowId)
        .signal(stockReplenished, { sku })
        .catch((err) => report(err, workflowId)),
    ),
  );
}

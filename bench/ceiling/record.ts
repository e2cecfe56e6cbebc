/**
 * The engine's shape of this sitting: one completed card order's history and its shipment's (none from
 * lifecycle version 3, whose order follows its parcel itself), as the
 * engine's bench just ran them, written beside its report (the CLI's JSON, as the replay fixtures) for
 * the ceiling to replay (BENCH_CEILING=1 passes them as BENCH_CEILING_HISTORIES).
 */
import { writeFileSync } from 'node:fs';
import { Client, Connection, isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

/** fetchHistory reports an unknown workflow as the service's NOT_FOUND (gRPC code 5), not as WorkflowNotFoundError. */
const isNotFound = (err: unknown) =>
  err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && Number(err.code) === 5);

/** Writes `<prefix>.order.history.json` and, if the order has a shipment child, `<prefix>.shipment.history.json`; returns their paths. */
export async function recordLifecycleHistories(address: string, orderId: string, prefix: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const files: string[] = [];
    for (const [name, workflowId] of [
      ['order', `order-${orderId}`],
      ['shipment', `shipment-${orderId}-1`],
    ]) {
      const file = `${prefix}.${name}.history.json`;
      const history = await client.workflow
        .getHandle(workflowId)
        .fetchHistory()
        .catch((err: unknown) => {
          // An order of version 3 follows its parcel itself: it has no shipment workflow (docs/decisions/100).
          if (name === 'shipment' && isNotFound(err)) return undefined;
          throw err;
        });
      if (!history) continue;
      writeFileSync(file, historyToJSON(history));
      files.push(file);
    }
    return files;
  } finally {
    await connection.close();
  }
}

import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../cursor';
import type { AppDeps } from '../deps';
import type { Define } from '../route';
import { reconciliationRunPageSchema } from '../schemas';

const query = z.object({
  /** Only runs that found something. */
  withDifferences: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

/** Support reads the reconciliation runs and the differences each found (newest first). */
export function reconciliationRoutes({ db }: AppDeps, define: Define) {
  define<undefined, undefined, z.infer<typeof query>>({
    method: 'GET',
    url: '/v1/ops/reconciliation',
    operationId: 'listReconciliationRuns',
    response: { schema: reconciliationRunPageSchema },
    summary:
      "Reconciliation runs against the payment providers' books, newest first, each with its differences (missing or unknown capture, unknown / missing / unconfirmed refund, amount mismatch)",
    tags: ['ops'],
    auth: ['support'],
    query,
    async handler({ query: q }) {
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      const runs = await db.reconciliationRun.findMany({
        where: {
          ...(q.withDifferences === 'true'
            ? { differences: { gt: 0 } }
            : q.withDifferences === 'false'
              ? { differences: 0 }
              : {}),
          ...(after ? { OR: [{ finishedAt: { lt: after.at } }, { finishedAt: after.at, id: { lt: after.id } }] } : {}),
        },
        orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
        take: q.limit + 1,
        include: { found: { orderBy: { id: 'asc' } } },
      });
      const page = runs.slice(0, q.limit);
      return {
        items: page.map((r) => ({
          runId: r.id,
          window: { from: r.windowFrom, to: r.windowTo },
          checked: { captures: r.capturesChecked, refunds: r.refundsChecked },
          finishedAt: r.finishedAt,
          differences: r.found.map(({ id: _id, runId: _run, ...d }) => d),
        })),
        nextCursor:
          runs.length > q.limit ? encodeCursor(page[page.length - 1].finishedAt, page[page.length - 1].id) : null,
      };
    },
  });
}

import { z } from 'zod';
import { decideAsMerchant } from '../../workflows/definitions';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import type { Define } from '../route';
import { updateOrder } from '../temporal';
import { orderView } from '../views';
import { orderIdParams } from './orders';

const decisionBody = z
  .object({ decision: z.enum(['accept', 'reject']), reason: z.string().trim().min(1).max(500).optional() })
  .refine((d) => d.decision === 'accept' || d.reason, { path: ['reason'], message: 'is required to reject' });

export function merchantRoutes({ db, temporal }: AppDeps, define: Define) {
  define<z.infer<typeof decisionBody>, z.infer<typeof orderIdParams>, undefined>({
    method: 'POST',
    url: '/v1/orders/:id/merchant-decision',
    summary: 'The merchant accepts or rejects a new order (rejection refunds and releases stock)',
    tags: ['merchant'],
    auth: ['merchant'],
    params: orderIdParams,
    body: decisionBody,
    async handler({ params, body, caller }) {
      const order = await db.order.findUnique({ where: { id: params.id }, select: { merchantId: true } });
      if (!order || order.merchantId !== caller.merchantId) throw problems.notFound(`order ${params.id}`);
      return orderView(await updateOrder(temporal, params.id, decideAsMerchant, { ...body, actor: `merchant:${caller.name}` }));
    },
  });
}

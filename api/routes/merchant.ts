import { z } from 'zod';
import { decideAsMerchant, shipOrder } from '../../contract';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import type { Define } from '../route';
import { updateOrder } from '../temporal';
import { orderView } from '../views';
import { orderIdParams } from './orders';
import { orderSchema } from '../schemas';

const decisionBody = z
  .object({ decision: z.enum(['accept', 'reject']), reason: z.string().trim().min(1).max(500).optional() })
  .refine((d) => d.decision === 'accept' || d.reason, { path: ['reason'], message: 'is required to reject' });

const shipBody = z.object({
  courier: z.string().trim().min(1).max(40),
  warehouseId: z.string().trim().min(1).max(64).optional(),
});

export function merchantRoutes({ db, temporal }: AppDeps, define: Define) {
  async function ownOrder(orderId: string, merchantId?: string) {
    const order = await db.order.findUnique({ where: { id: orderId }, select: { merchantId: true } });
    if (!order || order.merchantId !== merchantId) throw problems.notFound(`order ${orderId}`);
  }

  define<z.infer<typeof decisionBody>, z.infer<typeof orderIdParams>, undefined>({
    method: 'POST',
    url: '/v1/orders/:id/merchant-decision',
    operationId: 'decideAsMerchant',
    response: { schema: orderSchema },
    summary: 'The merchant accepts or rejects a new order (rejection refunds and releases stock)',
    tags: ['merchant'],
    auth: ['merchant'],
    params: orderIdParams,
    body: decisionBody,
    // A rejection refunds and releases stock.
    idempotency: { via: 'update', required: true },
    async handler({ params, body, caller, updateId }) {
      await ownOrder(params.id, caller.merchantId);
      return orderView(
        await updateOrder(
          temporal,
          params.id,
          decideAsMerchant,
          { ...body, actor: `merchant:${caller.name}` },
          updateId,
        ),
      );
    },
  });

  define<z.infer<typeof shipBody>, z.infer<typeof orderIdParams>, undefined>({
    method: 'POST',
    url: '/v1/orders/:id/shipments',
    operationId: 'shipOrder',
    response: { status: 201, schema: orderSchema },
    summary: 'A merchant that ships by hand books a courier for one warehouse’s allocation (or all of them)',
    tags: ['merchant'],
    auth: ['merchant'],
    params: orderIdParams,
    body: shipBody,
    idempotency: { via: 'update', required: false },
    async handler({ params, body, caller, reply, updateId }) {
      await ownOrder(params.id, caller.merchantId);
      const state = await updateOrder(
        temporal,
        params.id,
        shipOrder,
        { ...body, actor: `merchant:${caller.name}` },
        updateId,
      );
      reply.status(201);
      return orderView(state);
    },
  });
}

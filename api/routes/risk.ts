import { z } from 'zod';
import { riskFingerprint } from '../../store/risk';
import { addressSchema } from '../../domain';
import { reviewRisk, submitVerification } from '../../contract';
import { audited } from '../audit';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import type { Define } from '../route';
import { updateOrder } from '../temporal';
import { orderView } from '../views';
import { blocklistEntrySchema, customerFreezeSchema, orderSchema } from '../schemas';
import { orderIdParams } from './orders';
import { defineOperation, reasonBody, reasonField } from './ops';

const verificationBody = z.object({
  result: z.enum(['passed', 'failed']),
  /** How the platform verified the customer (SMS code, face match, ...), kept on the order's timeline. */
  method: z.string().trim().min(1).max(40).optional(),
  reference: z.string().trim().min(1).max(100).optional(),
});

const reviewBody = z.object({ decision: z.enum(['approve', 'reject']), reason: reasonField });

const customerParams = z.object({ id: z.string().min(1).max(64) });

const blocklistBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('customer'), value: z.string().trim().min(1).max(64), reason: reasonField }),
  z.object({
    kind: z.literal('phone'),
    value: z.string().regex(/^\+?[0-9][0-9 -]{5,19}$/, 'expected a phone number'),
    reason: reasonField,
  }),
  z.object({
    kind: z.literal('address'),
    value: addressSchema.pick({ province: true, city: true, district: true, line1: true }),
    reason: reasonField,
  }),
]);

/** Risk control's decisions from outside the workflow: step-up results, reviews, frozen accounts, the blocklist. */
export function riskRoutes(deps: AppDeps, define: Define) {
  const { db, temporal } = deps;

  define<z.infer<typeof verificationBody>, z.infer<typeof orderIdParams>, undefined>({
    method: 'POST',
    url: '/v1/orders/:id/verification',
    operationId: 'submitVerification',
    response: { schema: orderSchema },
    summary:
      "The customer's step-up verification result, relayed by the platform (409 unless the order awaits verification)",
    tags: ['orders', 'risk'],
    auth: ['platform'],
    params: orderIdParams,
    body: verificationBody,
    idempotency: { via: 'update', required: false },
    async handler({ params, body, caller, updateId }) {
      if (!(await db.order.findUnique({ where: { id: params.id }, select: { id: true } })))
        throw problems.notFound(`order ${params.id}`);
      return orderView(
        await updateOrder(
          temporal,
          params.id,
          submitVerification,
          { ...body, actor: `${caller.role}:${caller.name}` },
          updateId,
        ),
      );
    },
  });

  defineOperation(deps, define, {
    name: 'review',
    operationId: 'reviewRisk',
    response: { schema: orderSchema },
    summary: 'Resolve a risk review: approve (the order goes on to payment) or reject',
    body: reviewBody,
    run: async ({ orderId, body, caller, details, updateId }) => {
      details.decision = body.decision;
      return orderView(
        await updateOrder(temporal, orderId, reviewRisk, { ...body, actor: `support:${caller.name}` }, updateId),
      );
    },
  });

  for (const freeze of [true, false]) {
    define<z.infer<typeof reasonBody>, z.infer<typeof customerParams>, undefined>({
      method: 'POST',
      url: `/v1/ops/customers/:id/${freeze ? 'freeze' : 'unfreeze'}`,
      operationId: freeze ? 'freezeCustomer' : 'unfreezeCustomer',
      response: { schema: customerFreezeSchema },
      summary: freeze
        ? 'Freeze a customer account: risk control rejects its new orders (support; reason required; audited)'
        : 'Unfreeze a customer account (support; reason required; audited)',
      tags: ['ops', 'risk'],
      auth: ['support'],
      params: customerParams,
      body: reasonBody,
      // Setting (or clearing) the same freeze again changes nothing: the key remembers the answer.
      idempotency: { via: 'update', required: false },
      handler: ({ params, body, caller }) =>
        audited(
          db,
          { caller, operation: freeze ? 'customer.freeze' : 'customer.unfreeze', reason: body.reason },
          async (details) => {
            details.customerId = params.id;
            const updated = await db.customer.updateMany({
              where: { id: params.id },
              data: freeze
                ? { frozenAt: new Date(), frozenReason: body.reason, frozenBy: `support:${caller.name}` }
                : { frozenAt: null, frozenReason: null, frozenBy: null },
            });
            if (updated.count === 0) throw problems.notFound(`customer ${params.id}`);
            const c = await db.customer.findUniqueOrThrow({
              where: { id: params.id },
              select: { id: true, frozenAt: true, frozenReason: true, frozenBy: true },
            });
            return {
              customerId: c.id,
              frozen: c.frozenAt !== null,
              frozenAt: c.frozenAt,
              reason: c.frozenReason,
              by: c.frozenBy,
            };
          },
        ),
    });
  }

  define<z.infer<typeof blocklistBody>, undefined, undefined>({
    method: 'POST',
    url: '/v1/ops/risk/blocklist',
    operationId: 'addToBlocklist',
    response: { status: 201, schema: blocklistEntrySchema },
    summary:
      'Blocklist a customer, phone number or shipping address: risk control rejects their new orders (support; audited). Only a fingerprint is stored.',
    tags: ['ops', 'risk'],
    auth: ['support'],
    body: blocklistBody,
    idempotency: { via: 'update', required: false },
    handler: ({ body, caller, reply }) =>
      audited(
        db,
        { caller, operation: 'risk.blocklist', reason: body.reason },
        async (details) => {
          const fingerprint = riskFingerprint(body.kind, body.value);
          Object.assign(details, { kind: body.kind, fingerprint });
          await db.riskBlocklistEntry.upsert({
            where: { kind_fingerprint: { kind: body.kind, fingerprint } },
            create: { kind: body.kind, fingerprint, reason: body.reason, addedBy: `support:${caller.name}` },
            update: { reason: body.reason, addedBy: `support:${caller.name}` },
          });
          void reply.status(201);
          return { kind: body.kind, fingerprint, reason: body.reason };
        },
        201,
      ),
  });
}

import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { webhookSecret } from '../../adapters/secrets';
import { verifyWebhookSignature } from '../../adapters/signing';
import { SIMULATED_COURIERS } from '../../adapters/simulators';
import { logisticsWebhookSchema, paymentWebhookSchema, type LogisticsWebhook, type PaymentWebhook } from '../../domain';
import {
  orderWorkflowId,
  parcelTracking,
  paymentNotified,
  REFUND_CONFIRMATION_WORKFLOW,
  refundConfirmationStart,
  refundNotified,
  trackingReceived,
  type RefundConfirmationWorkflow,
} from '../../contract';
import type { AppDeps } from '../deps';
import { runStatement } from '../../store/db';
import { markAccepted, wasAccepted } from '../../store/inbound-events';
import type { NoticeParcel } from '../../store/notices';
import { isScanNoOrderActsOn, recordScan } from '../../store/tracking';
import { problems, zodFieldErrors } from '../problem';
import type { Define } from '../route';
import { webhookAckSchema } from '../schemas';
import { isClosedWorkflowError } from '../temporal';

const PAYMENT_PROVIDERS = ['wechat_pay', 'alipay', 'card'] as const;
const providerParams = z.object({ provider: z.enum(PAYMENT_PROVIDERS) });
const courierParams = z.object({ courier: z.enum(SIMULATED_COURIERS) });

/**
 * Signed webhooks (docs/api.md, "Webhooks"): signature first (401, nothing changes), then the payload (400), then
 * dedupe by eventId. The event is handed to its workflow before its id is recorded, so a crash in
 * between means a redelivery, which the workflow also ignores by eventId: never a lost event.
 */
export function webhookRoutes({ db, temporal, config }: AppDeps, define: Define) {
  function verified<T>(
    source: string,
    req: { headers: Record<string, unknown>; rawBody?: string },
    schema: z.ZodType<T>,
  ): T {
    const check = verifyWebhookSignature(
      req.headers['x-signature'] as string | undefined,
      req.rawBody ?? '',
      webhookSecret(source),
    );
    if (!check.ok) throw problems.unauthorized(`webhook signature ${check.reason}`);
    let payload: unknown;
    try {
      payload = JSON.parse(req.rawBody ?? '');
    } catch {
      throw problems.validation([{ field: '(body)', message: 'is not valid JSON' }], 'event');
    }
    const parsed = schema.safeParse(payload);
    if (!parsed.success) throw problems.validation(zodFieldErrors(parsed.error), 'event');
    return parsed.data;
  }

  async function seen(source: string, eventId: string) {
    return wasAccepted(db, source, eventId);
  }

  /**
   * Passes an event on once: a duplicate (already accepted) is acknowledged and ignored; the event is
   * marked accepted only once `send` succeeded, so a failed send is retried by the provider.
   * `duplicate`: whether it was already accepted, when the caller read that along with something else.
   */
  async function deliver(source: string, eventId: string, send: () => Promise<void>, duplicate?: boolean) {
    if (duplicate ?? (await seen(source, eventId))) return { received: true, duplicate: true };
    try {
      await send();
    } catch (err) {
      // The workflow has finished (e.g. a late event after completion): acknowledged, nothing to do.
      // (A refund's confirmation that has ended refuses to start again: the same.)
      if (!(
        err instanceof WorkflowNotFoundError ||
        err instanceof WorkflowExecutionAlreadyStartedError ||
        isClosedWorkflowError(err)
      ))
        throw err;
    }
    await markAccepted(db, source, eventId);
    return { received: true, duplicate: false };
  }

  define<undefined, z.infer<typeof providerParams>, undefined>({
    method: 'POST',
    url: '/v1/webhooks/payments/:provider',
    operationId: 'notifyPayment',
    response: { schema: webhookAckSchema },
    summary: 'Payment provider notification (X-Signature); refund.* events name the refund (refundId)',
    tags: ['webhooks'],
    auth: 'signed',
    params: providerParams,
    documentedBody: paymentWebhookSchema,
    headers: {
      'X-Signature': { description: 't=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>', required: true },
    },
    // Deduplicated by the event's own id (the provider's retries carry it), not by Idempotency-Key.
    idempotency: { via: 'event-id' },
    async handler({ params, req }) {
      const event: PaymentWebhook = verified(params.provider, req, paymentWebhookSchema);
      if (event.type === 'refund.succeeded' || event.type === 'refund.failed')
        return refundNotification(params.provider, { ...event, type: event.type, refundId: event.refundId! });
      // A provider speaks only for its own payments: another provider's valid signature pays nothing.
      const payment = await db.payment.findUnique({
        where: { id: event.paymentId },
        select: { orderId: true, method: true, amount: true, currency: true },
      });
      if (!payment || payment.orderId !== event.orderId || payment.method !== params.provider)
        throw problems.notFound(`payment ${event.paymentId} of order ${event.orderId} at ${params.provider}`);
      if (event.type === 'payment.succeeded') await refuseMismatch(params.provider, event, payment);
      return deliver(params.provider, event.eventId, () =>
        temporal.workflow.getHandle(orderWorkflowId(event.orderId)).signal(paymentNotified, {
          eventId: event.eventId,
          type: event.type,
          paymentId: event.paymentId,
          amount: event.amount,
          currency: event.currency,
        }),
      );
    },
  });

  /**
   * A payment.succeeded that disagrees with our books (the amount or currency we asked for): 422 naming
   * each field, the order flagged for support with both values (`payment_mismatch`), and the event id
   * NOT recorded, so the provider's corrected redelivery under the same id is still heard
   * (docs/decisions/061-notification-mismatch-not-processed.md).
   */
  async function refuseMismatch(
    provider: string,
    event: PaymentWebhook,
    payment: { orderId: string; amount: number; currency: string },
  ) {
    const wrong = [
      ...(event.amount !== payment.amount
        ? [
            {
              field: 'amount',
              message: `payment ${event.paymentId} is of ${payment.amount}`,
              ours: payment.amount,
              theirs: event.amount,
            },
          ]
        : []),
      ...(event.currency !== payment.currency
        ? [
            {
              field: 'currency',
              message: `payment ${event.paymentId} is in ${payment.currency}`,
              ours: payment.currency,
              theirs: event.currency,
            },
          ]
        : []),
    ];
    if (!wrong.length) return;
    const mismatches = Object.fromEntries(wrong.map((w) => [w.field, { expected: w.ours, notified: w.theirs }]));
    await db.orderFlag.create({
      data: {
        orderId: payment.orderId,
        kind: 'payment_mismatch',
        detail: { provider, eventId: event.eventId, paymentId: event.paymentId, type: event.type, ...mismatches },
      },
    });
    throw problems.unprocessable(
      `the notification does not match payment ${event.paymentId}`,
      wrong.map(({ field, message }) => ({ field, message })),
    );
  }

  /**
   * refund.succeeded / refund.failed name the refund (`refundId`, our idempotency key): the provider
   * must be the refunded payment's, the amount and currency the decision's (404 / 422 otherwise,
   * nothing changes). The notice goes to the refund's confirmation workflow, started by it if the
   * refundPayment activity has not yet; once the refund is confirmed, a notice is a no-op.
   */
  async function refundNotification(
    provider: string,
    event: PaymentWebhook & { type: 'refund.succeeded' | 'refund.failed'; refundId: string },
  ) {
    const refund = await db.refund.findUnique({
      where: { id: event.refundId },
      include: { payment: { select: { method: true, currency: true } } },
    });
    if (
      !refund ||
      refund.paymentId !== event.paymentId ||
      refund.orderId !== event.orderId ||
      refund.payment.method !== provider
    )
      throw problems.notFound(`refund ${event.refundId} of payment ${event.paymentId} at ${provider}`);
    const wrong = [
      ...(event.amount !== refund.amount
        ? [{ field: 'amount', message: `refund ${refund.id} is of ${refund.amount}` }]
        : []),
      ...(event.currency !== refund.payment.currency
        ? [{ field: 'currency', message: `refund ${refund.id} is in ${refund.payment.currency}` }]
        : []),
    ];
    if (wrong.length) throw problems.unprocessable(`the notification does not match refund ${refund.id}`, wrong);
    if (refund.status !== 'pending') {
      await markAccepted(db, provider, event.eventId);
      return { received: true, duplicate: true };
    }
    const notice = {
      eventId: event.eventId,
      type: event.type,
      amount: event.amount,
      currency: event.currency,
      occurredAt: event.occurredAt,
    };
    return deliver(provider, event.eventId, async () => {
      await temporal.workflow.signalWithStart<RefundConfirmationWorkflow, [typeof notice]>(
        REFUND_CONFIRMATION_WORKFLOW,
        {
          ...refundConfirmationStart(refund.id, config.TASK_QUEUE),
          signal: refundNotified,
          signalArgs: [notice],
        },
      );
    });
  }

  define<undefined, z.infer<typeof courierParams>, undefined>({
    method: 'POST',
    url: '/v1/webhooks/logistics/:courier',
    operationId: 'notifyTracking',
    response: { schema: webhookAckSchema },
    summary: 'Courier tracking event (X-Signature)',
    tags: ['webhooks'],
    auth: 'signed',
    params: courierParams,
    documentedBody: logisticsWebhookSchema,
    headers: {
      'X-Signature': { description: 't=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>', required: true },
    },
    // Deduplicated by the event's own id (the provider's retries carry it), not by Idempotency-Key.
    idempotency: { via: 'event-id' },
    async handler({ params, req }) {
      const event: LogisticsWebhook = verified(params.courier, req, logisticsWebhookSchema);
      const shipment = await parcelAndSeen(params.courier, event);
      if (!shipment || shipment.courier !== params.courier)
        throw problems.notFound(`tracking number ${event.trackingNumber} at ${params.courier}`);
      const { trackingNumber: _t, ...signal } = event;
      // A parcel an order follows itself (lifecycle version 3 on) is heard by that order, which the row
      // names; any other shipment is a workflow of its own under the shipment's id (docs/decisions/100).
      const holder = shipment.holderWorkflowId;
      // No order acts on a scan in transit or out for delivery: its parcel's row records it, without waking the order (108, 119).
      if (holder && !shipment.seen && isScanNoOrderActsOn(signal.type)) {
        await recordScan(db, params.courier, { ...shipment, shipmentId: shipment.id }, signal);
        return { received: true, duplicate: false };
      }
      return deliver(
        params.courier,
        event.eventId,
        () =>
          holder
            ? temporal.workflow.getHandle(holder).signal(parcelTracking, { ...signal, shipmentId: shipment.id })
            : temporal.workflow.getHandle(shipment.id).signal(trackingReceived, signal),
        shipment.seen,
      );
    },
  });

  /** The shipment a tracking event names and whether the event was already accepted: one statement, not two. */
  async function parcelAndSeen(courier: string, event: LogisticsWebhook): Promise<TrackedParcel | undefined> {
    const [row] = await runStatement<TrackedParcel>(db, PARCEL_AND_SEEN, [
      courier,
      event.eventId,
      event.trackingNumber,
    ]);
    return row;
  }
}

/** Every courier event reads this (a hot statement, decision 111). */
const PARCEL_AND_SEEN = {
  name: 'parcel-and-seen',
  text: `SELECT s.id, s.courier, s.holder_workflow_id AS "holderWorkflowId",
      s.order_id AS "orderId", s.seq, s.tracking_number AS "trackingNumber", o.customer_id AS "customerId",
      EXISTS (SELECT 1 FROM webhook_events w WHERE w.source = $1 AND w.event_id = $2) AS seen
    FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.tracking_number = $3`,
};

/** The parcel a courier event names, as its notices name it too (an out-for-delivery scan queues one). */
interface TrackedParcel extends NoticeParcel {
  id: string;
  holderWorkflowId: string | null;
  /** The tracking event was already accepted (webhook_events). */
  seen: boolean;
}

import type { OrderInput, OrderState } from '../domain';
import type { Prisma } from '../prisma/generated/client';
import type { ActivityDeps } from './deps';

/** One entry of an order's timeline: what happened, who did it. */
export interface TimelineEntry {
  type: string;
  actor: string;
  detail?: Record<string, unknown>;
  at: string;
}

/**
 * The first read-model row of an order: written by the API together with the Idempotency-Key record
 * (so an accepted order is visible at once), and again, as a no-op, by the workflow's first step.
 */
export async function insertSubmittedOrder(tx: Prisma.TransactionClient, input: OrderInput, state: OrderState, entry: TimelineEntry): Promise<void> {
  const c = input.customer;
  await tx.customer.upsert({
    where: { id: c.id },
    create: { id: c.id, name: c.name, phone: c.phone, email: c.email },
    update: { name: c.name, phone: c.phone, email: c.email },
  });
  if (await tx.order.findUnique({ where: { id: input.orderId }, select: { id: true } })) return;
  await tx.order.create({
    data: {
      id: input.orderId,
      merchantId: input.merchantId,
      customerId: c.id,
      channel: input.channel,
      status: state.status,
      paymentMethod: input.paymentMethod,
      ...input.totals,
      snapshot: state as unknown as object,
      version: state.version,
      createdAt: new Date(input.submittedAt),
      lines: { create: input.lines.map(({ lineNo, sku, name, unitPrice, quantity }) => ({ lineNo, sku, name, unitPrice, quantity })) },
      events: { create: { seq: state.version, type: entry.type, actor: entry.actor, detail: (entry.detail ?? {}) as object, occurredAt: new Date(entry.at) } },
    },
  });
}

/**
 * The order workflow writes its own read model (ARCHITECTURE "Data flows one way"): lists come from
 * these rows; writes carry the state's version so a late retry never overwrites newer state.
 */
export function createProjectionActivities({ db }: ActivityDeps) {
  return {
    async recordSubmission(input: OrderInput, state: OrderState, entry: TimelineEntry): Promise<void> {
      await db.$transaction((tx) => insertSubmittedOrder(tx, input, state, entry));
    },

    async projectOrder(state: OrderState, entry: TimelineEntry): Promise<void> {
      await db.$transaction(async (tx) => {
        const { count } = await tx.order.updateMany({
          where: { id: state.orderId, version: { lt: state.version } },
          data: {
            status: state.status,
            snapshot: state as unknown as object,
            version: state.version,
            subtotal: state.totals.subtotal,
            total: state.totals.total,
            flags: (state.flags ?? []) as unknown as object,
            updatedAt: new Date(entry.at),
          },
        });
        // The timeline entry is kept even when a newer state was projected first (an Update's handler
        // and the main flow may publish at once); a retry of the same projection adds nothing.
        await tx.orderEvent.createMany({
          data: [{ orderId: state.orderId, seq: state.version, type: entry.type, actor: entry.actor, detail: (entry.detail ?? {}) as object, occurredAt: new Date(entry.at) }],
          skipDuplicates: true,
        });
        if (count === 0) return; // already projected (retry) or superseded
        for (const l of state.lines) {
          const ledger = { allocated: l.allocated, shipped: l.shipped, delivered: l.delivered, returned: l.returned, refunded: l.refunded };
          // Substitute lines appear after submission.
          await tx.orderLine.upsert({
            where: { orderId_lineNo: { orderId: state.orderId, lineNo: l.lineNo } },
            create: { orderId: state.orderId, lineNo: l.lineNo, sku: l.sku, name: l.name, unitPrice: l.unitPrice, quantity: l.quantity, ...ledger },
            update: ledger,
          });
        }
      });
    },
  };
}

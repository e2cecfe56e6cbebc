import type { OrderInput, OrderState, TimelineEntry } from '../domain';
import type { Prisma } from '../prisma/generated/client';
import { writeProjectionIn } from './projection';

/**
 * The first read-model row of an order: written by the API together with the Idempotency-Key record
 * (so an accepted order is visible at once), and again, as a no-op, by the workflow's first step.
 */
export async function insertSubmittedOrder(
  tx: Prisma.TransactionClient,
  input: OrderInput,
  state: OrderState,
  entry: TimelineEntry,
): Promise<void> {
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
      lines: {
        create: input.lines.map(({ lineNo, sku, name, unitPrice, quantity, discount, gift }) => ({
          lineNo,
          sku,
          name,
          unitPrice,
          quantity,
          discount: discount ?? 0,
          gift: gift ?? false,
        })),
      },
    },
  });
  // The first entry and its outbound event as every later one is written (the row is as new already).
  await writeProjectionIn(tx, state, entry, []);
}

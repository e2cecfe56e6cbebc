import { randomUUID } from 'node:crypto';
import type { PolicyOverrides } from '../../domain';
import type { Db } from '../../store/db';

/** A product of the test's own, with known stock per warehouse, so stock assertions are exact. */
export async function createSku(
  db: Db,
  opts: { merchantId?: string; price?: number; stock: Record<string, number> },
): Promise<string> {
  const sku = `T-${randomUUID().slice(0, 8)}`;
  await db.product.create({
    data: {
      sku,
      merchantId: opts.merchantId ?? 'm-demo',
      name: `Test product ${sku}`,
      priceAmount: opts.price ?? 1000,
    },
  });
  for (const [warehouseId, onHand] of Object.entries(opts.stock))
    await db.inventory.create({ data: { sku, warehouseId, onHand } });
  return sku;
}

export async function stockOf(db: Db, sku: string) {
  const rows = await db.inventory.findMany({ where: { sku } });
  return rows.reduce(
    (t, r) => ({
      onHand: t.onHand + r.onHand,
      reserved: t.reserved + r.reserved,
      allocated: t.allocated + r.allocated,
    }),
    { onHand: 0, reserved: 0, allocated: 0 },
  );
}

/** A merchant of the test's own with its policy overrides (risk limits, auto-accept...). */
export async function createMerchant(db: Db, policy: PolicyOverrides): Promise<string> {
  const id = `m-${randomUUID().slice(0, 8)}`;
  await db.merchant.create({ data: { id, name: `Test merchant ${id}`, policy } });
  return id;
}

/** What the simulated providers hold for an order (their own books, not ours). */
export async function providerBooks(db: Db, orderId: string) {
  const rows = await db.simulatorRecord.findMany({ where: { orderId } });
  const sum = (pick: (r: (typeof rows)[number]) => boolean) =>
    rows.filter(pick).reduce((t, r) => t + (r.amount ?? 0), 0);
  return {
    rows,
    captured:
      sum(
        (r) => (r.kind === 'charge' && r.status === 'captured') || (r.kind === 'payment_intent' && r.status === 'paid'),
      ) +
      rows
        .filter((r) => r.kind === 'authorization' && r.status === 'captured')
        .reduce((t, r) => t + (r.response as { capturedAmount: number }).capturedAmount, 0),
    /** Card authorizations still held on the customer's card (nothing taken yet). */
    held: sum((r) => r.kind === 'authorization' && r.status === 'authorized'),
    voided: sum((r) => r.kind === 'authorization' && r.status === 'voided'),
    refunded: sum((r) => r.kind === 'refund' && r.status === 'succeeded'),
  };
}

// Points ledger operations shared by checkout, after-sales and membership (docs/pricing.md "Points").
import { pointsBalance } from '../domain';
import type { Prisma } from '../prisma/generated/client';
import { runStatement, type Db } from './db';

type Tx = Prisma.TransactionClient;

/** The customer's points balance at `at`, under the customer's row lock: spenders and reversals take turns. */
export async function lockedBalance(tx: Tx, customerId: string, at: Date): Promise<number> {
  await tx.$queryRaw`SELECT id FROM customers WHERE id = ${customerId} FOR UPDATE`;
  const entries = await tx.pointsEntry.findMany({ where: { customerId } });
  return pointsBalance(
    entries.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
    at.toISOString(),
  ).balance;
}

/**
 * Takes back points credited earlier (a refund's reversal), once by the entry's id, and at most the
 * balance (they may have been spent or have expired meanwhile), so the balance never goes negative.
 * Returns the points taken: a retry answers what the first attempt wrote, so the caller reports what
 * the ledger holds.
 */
export async function takeBackPoints(
  tx: Tx,
  req: { id: string; customerId: string; orderId: string; points: number; reason: string },
): Promise<number> {
  const now = new Date();
  const balance = await lockedBalance(tx, req.customerId, now);
  const written = await tx.pointsEntry.findUnique({ where: { id: req.id } });
  if (written) return -written.delta;
  const points = Math.min(req.points, balance);
  if (points > 0)
    await tx.pointsEntry.create({
      data: {
        id: req.id,
        customerId: req.customerId,
        orderId: req.orderId,
        delta: -points,
        reason: req.reason,
        createdAt: now,
      },
    });
  return Math.max(0, points);
}

const CREDIT_POINTS = {
  name: 'points-credit',
  text: `INSERT INTO points_entries (id, customer_id, order_id, delta, reason) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT DO NOTHING`,
};

/** Credits points once by the entry's id (every completed order earns some: a hot statement, decision 111). */
export async function creditPoints(
  db: Db,
  req: { id: string; customerId: string; orderId: string; delta: number; reason: string },
): Promise<void> {
  await runStatement(db, CREDIT_POINTS, [req.id, req.customerId, req.orderId, req.delta, req.reason]);
}

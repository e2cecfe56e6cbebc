// Points ledger operations shared by checkout, after-sales and membership (docs/pricing.md "Points").
import { pointsBalance, type PointsLedgerEntry } from '../domain';
import { runStatement, type Db, type PrismaTx, type Tx } from './db';

const LOCK_CUSTOMER = { name: 'points-lock-customer', text: `SELECT id FROM customers WHERE id = $1 FOR UPDATE` };
const LEDGER = {
  name: 'points-ledger',
  text: `SELECT id, order_id AS "orderId", delta, reason, created_at AS "createdAt" FROM points_entries
    WHERE customer_id = $1`,
};

/**
 * The customer's points balance at `at`, under the customer's row lock: spenders and reversals take
 * turns. Two statements: one that waited for the lock reads with a snapshot taken before the wait,
 * so the ledger is read by the next, which sees what the previous holder committed.
 */
export async function lockedBalance(tx: Tx, customerId: string, at: Date): Promise<number> {
  await runStatement(tx, LOCK_CUSTOMER, [customerId]);
  const entries = await runStatement<PointsLedgerEntry & { createdAt: Date }>(tx, LEDGER, [customerId]);
  return pointsBalance(
    entries.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
    at.toISOString(),
  ).balance;
}

const ADD_ENTRY = {
  name: 'points-add-entry',
  text: `INSERT INTO points_entries (id, customer_id, order_id, delta, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
};

/** One ledger entry at `at` (its id must be new: a duplicate is an error, as the caller checked). */
export async function addPointsEntry(
  tx: Tx,
  e: { id: string; customerId: string; orderId: string; delta: number; reason: string; at: Date },
): Promise<void> {
  await runStatement(tx, ADD_ENTRY, [e.id, e.customerId, e.orderId, e.delta, e.reason, e.at]);
}

/**
 * Takes back points credited earlier (a refund's reversal), once by the entry's id, and at most the
 * balance (they may have been spent or have expired meanwhile), so the balance never goes negative.
 * Returns the points taken: a retry answers what the first attempt wrote, so the caller reports what
 * the ledger holds.
 */
export async function takeBackPoints(
  tx: PrismaTx,
  req: { id: string; customerId: string; orderId: string; points: number; reason: string },
): Promise<number> {
  const now = new Date();
  const balance = await lockedBalance(tx, req.customerId, now);
  const written = await tx.pointsEntry.findUnique({ where: { id: req.id } });
  if (written) return -written.delta;
  const points = Math.min(req.points, balance);
  if (points > 0) await addPointsEntry(tx, { ...req, delta: -points, at: now });
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

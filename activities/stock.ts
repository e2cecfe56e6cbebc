import { fewestShipmentsThenNearest, type StockLevel, type StockNeed, type StockPiece } from '../domain';
import type { Prisma } from '../prisma/generated/client';
import { orderWorkflowId } from '../contract';
import { runStatement } from '../store/db';
import type { ActivityDeps } from './deps';

export interface StockRequest {
  orderId: string;
  needs: StockNeed[];
  shippingProvince: string;
}

export interface StockOutcome {
  /** Units this order holds in the requested state, per line and warehouse. */
  held: StockPiece[];
  short: StockNeed[];
}

type HoldState = 'reserved' | 'allocated';

/** The statements every order's stock steps run (hot statements, decision 111). */
const HOLDS_OF = {
  name: 'stock-holds-of',
  text: `SELECT sku, warehouse_id AS "warehouseId", quantity, state FROM stock_holds
    WHERE order_id = $1 AND state IN ('reserved', 'allocated')`,
};
const STOCK_LEVELS = {
  name: 'stock-levels',
  text: `SELECT i.sku, i.warehouse_id AS "warehouseId", w.province, (i.on_hand - i.reserved - i.allocated)::int AS available
    FROM inventory i JOIN warehouses w ON w.id = i.warehouse_id
    WHERE i.sku = ANY($1::text[]) AND i.on_hand - i.reserved - i.allocated > 0`,
};
/** $1 order, $2 sku, $3 warehouse, $4 quantity, $5 state, $6 expiry. */
const TAKE_STOCK = {
  name: 'stock-take',
  text: `WITH taken AS (
      UPDATE inventory SET
        reserved = reserved + CASE WHEN $5 = 'reserved' THEN $4::int ELSE 0 END,
        allocated = allocated + CASE WHEN $5 = 'allocated' THEN $4::int ELSE 0 END,
        updated_at = now()
      WHERE sku = $2 AND warehouse_id = $3 AND on_hand - reserved - allocated >= $4::int
      RETURNING 1),
    held AS (
      INSERT INTO stock_holds (order_id, sku, warehouse_id, quantity, state, expires_at)
      SELECT $1, $2, $3, $4::int, $5, $6::timestamptz FROM taken
      ON CONFLICT (order_id, sku, warehouse_id) DO UPDATE SET quantity = stock_holds.quantity + EXCLUDED.quantity)
    SELECT count(*)::int AS taken FROM taken`,
};
const ALLOCATE_RESERVED = {
  name: 'stock-allocate-reserved',
  text: `WITH moved AS (
      UPDATE stock_holds SET state = 'allocated', expires_at = NULL
      WHERE order_id = $1 AND state = 'reserved'
      RETURNING sku, warehouse_id, quantity)
    UPDATE inventory i SET reserved = i.reserved - m.quantity, allocated = i.allocated + m.quantity, updated_at = now()
    FROM moved m WHERE i.sku = m.sku AND i.warehouse_id = m.warehouse_id`,
};
const SHIP_ALLOCATED = {
  name: 'stock-ship-allocated',
  text: `WITH shipped AS (
      UPDATE stock_holds SET state = 'shipped'
      WHERE order_id = $1 AND warehouse_id = $2 AND state = 'allocated'
      RETURNING sku, warehouse_id, quantity)
    UPDATE inventory i SET allocated = i.allocated - s.quantity, on_hand = i.on_hand - s.quantity, updated_at = now()
    FROM shipped s WHERE i.sku = s.sku AND i.warehouse_id = s.warehouse_id`,
};

/**
 * Stock moves only through single guarded SQL statements (`... WHERE on_hand - reserved - allocated
 * >= q`), never read-modify-write, so concurrent orders cannot promise more units than exist; the
 * CHECK constraints of the inventory table are the last line of defence. Holds are keyed by order,
 * which makes every activity here safe to retry.
 */
export function createStockActivities({ db, allocationStrategy = fewestShipmentsThenNearest }: ActivityDeps) {
  /** The order's reserved and allocated units (not those shipped or returned), each with its state. */
  async function holdsOf(orderId: string): Promise<Array<StockPiece & { state: string }>> {
    const rows = await runStatement<Omit<StockPiece, 'lineNo'> & { state: string }>(db, HOLDS_OF, [orderId]);
    return rows.map((h) => ({ lineNo: 0, ...h }));
  }

  /** Where the order stands, from its holds: what it holds in `state`, by line, and what it still lacks. */
  function outcomeOf(req: StockRequest, holds: Array<StockPiece & { state: string }>, state: HoldState): StockOutcome {
    const held = holds.filter((h) => h.state === state).map(({ state: _s, ...piece }) => piece);
    return { held: withLineNumbers(req.needs, held), short: stillNeeded(req.needs, holds) };
  }

  /** What is still missing for each need, given what the order already holds. */
  function stillNeeded(needs: readonly StockNeed[], held: readonly StockPiece[]): StockNeed[] {
    return needs
      .map((n) => ({
        ...n,
        quantity: n.quantity - held.filter((h) => h.sku === n.sku).reduce((t, h) => t + h.quantity, 0),
      }))
      .filter((n) => n.quantity > 0);
  }

  function withLineNumbers(needs: readonly StockNeed[], held: StockPiece[]): StockPiece[] {
    return held.map((h) => ({ ...h, lineNo: needs.find((n) => n.sku === h.sku)?.lineNo ?? 0 }));
  }

  async function stockLevels(skus: string[], client: Prisma.TransactionClient = db): Promise<StockLevel[]> {
    return runStatement<StockLevel>(client, STOCK_LEVELS, [skus]);
  }

  /**
   * Takes one piece of stock if it is still there: one statement, so the guarded update and the hold
   * commit together, and the hold is written only if the guard let the units through.
   */
  async function take(orderId: string, piece: StockPiece, state: HoldState, expiresAt: Date | null): Promise<boolean> {
    const values = [orderId, piece.sku, piece.warehouseId, piece.quantity, state, expiresAt];
    const [{ taken }] = await runStatement<{ taken: number }>(db, TAKE_STOCK, values);
    return taken === 1;
  }

  /**
   * Restocked units go to the oldest waiting orders first (docs/fulfilment.md). The SKU's inventory rows
   * stay locked for the whole pass, so no new order can reserve them in between; the queue is
   * strictly first come, first served: the pass stops at the first order the stock cannot cover.
   */
  async function serveBackorders(sku: string): Promise<void> {
    await db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM inventory WHERE sku = ${sku} ORDER BY warehouse_id FOR UPDATE`;
      const queue = await tx.backorder.findMany({
        where: { sku, state: 'waiting' },
        orderBy: [{ queuedAt: 'asc' }, { holderId: 'asc' }],
      });
      for (const waiting of queue) {
        const need = { lineNo: waiting.lineNo, sku, quantity: waiting.quantity };
        const plan = allocationStrategy([need], await stockLevels([sku], tx), waiting.province);
        if (plan.short.length > 0) break;
        for (const piece of plan.pieces) {
          const taken =
            await tx.$executeRaw`UPDATE inventory SET allocated = allocated + ${piece.quantity}, updated_at = now()
            WHERE sku = ${sku} AND warehouse_id = ${piece.warehouseId} AND on_hand - reserved - allocated >= ${piece.quantity}`;
          if (taken !== 1) throw new Error(`backorder pass for ${sku}: stock moved under a lock`); // rolls the pass back
          await tx.$executeRaw`INSERT INTO stock_holds (order_id, sku, warehouse_id, quantity, state)
            VALUES (${waiting.holderId}, ${sku}, ${piece.warehouseId}, ${piece.quantity}, 'allocated')
            ON CONFLICT (order_id, sku, warehouse_id) DO UPDATE SET quantity = stock_holds.quantity + EXCLUDED.quantity, state = 'allocated'`;
        }
        await tx.backorder.update({
          where: { holderId_sku: { holderId: waiting.holderId, sku } },
          data: { state: 'allocated', allocatedAt: new Date() },
        });
      }
    });
  }

  /**
   * Plans from fresh stock levels and takes what it can; re-plans when another order was faster. The
   * holds are read again only after a take, so an order that already holds everything reads them once.
   */
  async function acquire(req: StockRequest, state: HoldState, expiresAt: Date | null): Promise<StockOutcome> {
    let holds = await holdsOf(req.orderId);
    for (let round = 0; round < 5; round++) {
      const missing = stillNeeded(req.needs, holds);
      if (missing.length === 0) break;
      const plan = allocationStrategy(missing, await stockLevels(missing.map((n) => n.sku)), req.shippingProvince);
      if (plan.pieces.length === 0) break;
      let lostRace = false;
      for (const piece of plan.pieces) if (!(await take(req.orderId, piece, state, expiresAt))) lostRace = true;
      holds = await holdsOf(req.orderId);
      if (!lostRace) break;
    }
    return outcomeOf(req, holds, state);
  }

  return {
    /** Submission: reserve what exists, expiring with the payment window (docs/product.md). */
    async reserveStock(req: StockRequest & { expiresAt: string }): Promise<StockOutcome> {
      return acquire(req, 'reserved', new Date(req.expiresAt));
    },

    /** Stock check: reservations become allocations; unreserved units are allocated if still free. */
    async allocateStock(req: StockRequest): Promise<StockOutcome> {
      await runStatement(db, ALLOCATE_RESERVED, [req.orderId]);
      return acquire(req, 'allocated', null);
    },

    /**
     * `wait_for_restock`: queues what is still missing (idempotent), then serves the queues of those
     * SKUs, oldest first. Called again whenever a restock may have come; returns where the waiter stands.
     * `req.orderId` keys the holds (an order, or an after-sales request); an after-sales replacement
     * names its order (`forOrder`) and the workflow a restock wakes (`wake`).
     */
    async backorderStock(
      req: StockRequest & { queuedAt: string; forOrder?: string; wake?: string },
    ): Promise<StockOutcome> {
      const missing = stillNeeded(req.needs, await holdsOf(req.orderId));
      const waiter = {
        orderId: req.forOrder ?? req.orderId,
        holderId: req.orderId,
        workflowId: req.wake ?? orderWorkflowId(req.orderId),
      };
      await db.backorder.createMany({
        data: missing.map((m) => ({
          ...waiter,
          sku: m.sku,
          lineNo: m.lineNo,
          quantity: m.quantity,
          province: req.shippingProvince,
          queuedAt: new Date(req.queuedAt),
        })),
        skipDuplicates: true,
      });
      for (const sku of [...new Set(missing.map((m) => m.sku))].sort()) await serveBackorders(sku);
      return outcomeOf(req, await holdsOf(req.orderId), 'allocated');
    },

    /** Compensation: gives back every unit the order (or request) reserved or allocated and has not shipped. */
    async releaseStock({ orderId, warehouseId }: { orderId: string; warehouseId?: string }): Promise<number> {
      if (!warehouseId) await db.backorder.deleteMany({ where: { holderId: orderId } });
      const rows = await db.$queryRaw<Array<{ released: number }>>`
        WITH gone AS (
          DELETE FROM stock_holds
          WHERE order_id = ${orderId} AND state IN ('reserved', 'allocated') AND (${warehouseId ?? null}::text IS NULL OR warehouse_id = ${warehouseId ?? null})
          RETURNING sku, warehouse_id, quantity, state),
        fixed AS (
          UPDATE inventory i SET
            reserved = i.reserved - CASE WHEN g.state = 'reserved' THEN g.quantity ELSE 0 END,
            allocated = i.allocated - CASE WHEN g.state = 'allocated' THEN g.quantity ELSE 0 END,
            updated_at = now()
          FROM gone g WHERE i.sku = g.sku AND i.warehouse_id = g.warehouse_id
          RETURNING g.quantity)
        SELECT COALESCE(SUM(quantity), 0)::int AS released FROM fixed`;
      return rows[0]?.released ?? 0;
    },

    /** Hand-over to the courier: allocated units leave the warehouse. */
    async shipStock({ orderId, warehouseId }: { orderId: string; warehouseId: string }): Promise<void> {
      await runStatement(db, SHIP_ALLOCATED, [orderId, warehouseId]);
    },

    /** Goods returned to the sender are back on the shelf. */
    async restockReturned({ orderId, warehouseId }: { orderId: string; warehouseId: string }): Promise<void> {
      await db.$executeRaw`
        WITH back AS (
          UPDATE stock_holds SET state = 'returned'
          WHERE order_id = ${orderId} AND warehouse_id = ${warehouseId} AND state = 'shipped'
          RETURNING sku, warehouse_id, quantity)
        UPDATE inventory i SET on_hand = i.on_hand + b.quantity, updated_at = now()
        FROM back b WHERE i.sku = b.sku AND i.warehouse_id = b.warehouse_id`;
    },
  };
}

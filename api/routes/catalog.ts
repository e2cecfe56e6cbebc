import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Prisma } from '../../prisma/generated/client';
import { wakeBackorders } from '../../store/backorders';
import type { AppDeps } from '../deps';
import type { Db } from '../../store/db';
import { problems } from '../problem';
import type { Define } from '../route';
import { productSchema, stockSchema } from '../schemas';

const skuParams = z.object({ sku: z.string().min(1).max(64) });
/** Counts and prices are PostgreSQL `integer` columns. */
const INT4_MAX = 2_147_483_647;
const productBody = z.object({
  sku: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(200),
  priceAmount: z.number().int().min(0).max(INT4_MAX),
  currency: z.string().length(3).default('CNY'),
  active: z.boolean().default(true),
});
const setStockBody = z.object({
  warehouseId: z.string().min(1).max(64),
  onHand: z.number().int().min(0).max(INT4_MAX),
});
const restockBody = z.object({
  warehouseId: z.string().min(1).max(64),
  quantity: z.number().int().min(1).max(1_000_000),
});

/** Catalog and stock per warehouse, each merchant managing its own SKUs. */
export function catalogRoutes({ db, temporal }: AppDeps, define: Define) {
  // Writes with an Idempotency-Key run in the transaction of their idempotency record (`tx`): every
  // read and write of the handler goes through it (the embedded database serves one connection).
  type Conn = Db | Prisma.TransactionClient;
  // Waiters are woken once the new stock is committed (they look at it at once).
  const wake = (sku: string, log: FastifyBaseLogger) => () =>
    wakeBackorders(db, temporal, sku, (err, workflowId) =>
      log.warn({ err, workflowId, sku }, 'could not wake a backorder'),
    );

  async function ownSku(sku: string, merchantId?: string, conn: Conn = db) {
    const product = await conn.product.findUnique({ where: { sku } });
    if (!product || (merchantId && product.merchantId !== merchantId)) throw problems.notFound(`sku ${sku}`);
    return product;
  }
  async function knownWarehouse(id: string, conn: Conn = db) {
    if (!(await conn.warehouse.findUnique({ where: { id } })))
      throw problems.unprocessable(`unknown warehouse ${id}`, [{ field: 'warehouseId', message: 'unknown warehouse' }]);
  }
  const stockOf = async (sku: string, conn: Conn = db) => ({
    sku,
    warehouses: (await conn.inventory.findMany({ where: { sku }, orderBy: { warehouseId: 'asc' } })).map((i) => ({
      warehouseId: i.warehouseId,
      onHand: i.onHand,
      reserved: i.reserved,
      allocated: i.allocated,
      available: i.onHand - i.reserved - i.allocated,
    })),
  });

  define<z.infer<typeof productBody>, undefined, undefined>({
    method: 'POST',
    url: '/v1/products',
    operationId: 'upsertProduct',
    // 201 a new product, 200 an updated one.
    response: { status: [201, 200], schema: productSchema },
    summary: 'Create or update one of the merchant’s products',
    tags: ['catalog'],
    auth: ['merchant'],
    body: productBody,
    idempotency: { via: 'transaction', required: false },
    async handler({ body, caller, reply, tx }) {
      const conn = tx ?? db;
      const existing = await conn.product.findUnique({ where: { sku: body.sku } });
      if (existing && existing.merchantId !== caller.merchantId)
        throw problems.conflict('sku-taken', `sku ${body.sku} belongs to another merchant`);
      const product = await conn.product.upsert({
        where: { sku: body.sku },
        create: { ...body, merchantId: caller.merchantId! },
        update: body,
      });
      reply.status(existing ? 200 : 201);
      return product;
    },
  });

  define<undefined, z.infer<typeof skuParams>, undefined>({
    method: 'GET',
    url: '/v1/inventory/:sku',
    operationId: 'getStock',
    response: { schema: stockSchema },
    summary: 'Stock of one SKU per warehouse',
    tags: ['catalog'],
    auth: ['merchant', 'support'],
    params: skuParams,
    async handler({ params, caller }) {
      await ownSku(params.sku, caller.role === 'merchant' ? caller.merchantId : undefined);
      return stockOf(params.sku);
    },
  });

  define<z.infer<typeof setStockBody>, z.infer<typeof skuParams>, undefined>({
    method: 'PUT',
    url: '/v1/inventory/:sku',
    operationId: 'setStock',
    response: { schema: stockSchema },
    summary: 'Set the counted units on hand in one warehouse (never below what orders hold)',
    tags: ['catalog'],
    auth: ['merchant'],
    params: skuParams,
    body: setStockBody,
    idempotency: { via: 'transaction', required: true },
    async handler({ params, body, caller, req, tx, afterCommit }) {
      const conn = tx ?? db;
      await ownSku(params.sku, caller.merchantId, conn);
      await knownWarehouse(body.warehouseId, conn);
      const changed = await conn.$executeRaw`
        INSERT INTO inventory (sku, warehouse_id, on_hand) VALUES (${params.sku}, ${body.warehouseId}, ${body.onHand})
        ON CONFLICT (sku, warehouse_id) DO UPDATE SET on_hand = EXCLUDED.on_hand, updated_at = now()
        WHERE inventory.reserved + inventory.allocated <= EXCLUDED.on_hand`;
      if (changed === 0)
        throw problems.conflict(
          'stock-held',
          `orders hold more than ${body.onHand} units of ${params.sku} in ${body.warehouseId}`,
        );
      await afterCommit(wake(params.sku, req.log));
      return stockOf(params.sku, conn);
    },
  });

  define<z.infer<typeof restockBody>, z.infer<typeof skuParams>, undefined>({
    method: 'POST',
    url: '/v1/inventory/:sku/restock',
    operationId: 'restock',
    response: { schema: stockSchema },
    summary: 'Units arrived in a warehouse; backordered orders are served first come, first served',
    tags: ['catalog'],
    auth: ['merchant'],
    params: skuParams,
    body: restockBody,
    idempotency: { via: 'transaction', required: true },
    async handler({ params, body, caller, req, tx, afterCommit }) {
      const conn = tx ?? db;
      await ownSku(params.sku, caller.merchantId, conn);
      await knownWarehouse(body.warehouseId, conn);
      // Never past the column's range: the sum is checked by the same statement (nothing written otherwise).
      const added = await conn.$executeRaw`
        INSERT INTO inventory (sku, warehouse_id, on_hand) VALUES (${params.sku}, ${body.warehouseId}, ${body.quantity})
        ON CONFLICT (sku, warehouse_id) DO UPDATE SET on_hand = inventory.on_hand + EXCLUDED.on_hand, updated_at = now()
        WHERE inventory.on_hand::bigint + EXCLUDED.on_hand <= ${INT4_MAX}`;
      if (added === 0)
        throw problems.validation(
          [{ field: 'quantity', message: `would take the units on hand past ${INT4_MAX}` }],
          'body',
        );
      await afterCommit(wake(params.sku, req.log));
      return stockOf(params.sku, conn);
    },
  });
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { refreshAnalytics } from '../../store/analytics/refresh';
import { toCsv } from '../analytics/csv';
import {
  boughtTogetherTable,
  promotionsTable,
  repeatTable,
  repeatTotal,
  segmentsTable,
} from '../analytics/customer-tables';
import {
  analyticsFields,
  analyticsQuery,
  checkPeriod,
  merchantOf,
  scopeOf,
  type AnalyticsQuery,
} from '../analytics/params';
import {
  afterSalesTable,
  cancellationsTable,
  couriersTable,
  funnelTable,
  reasonsTable,
  salesTable,
  stockCoverTable,
  topProductsTable,
  type Table,
} from '../analytics/tables';
import type { AppDeps } from '../deps';
import type { Define, RouteInput } from '../route';
import {
  afterSalesRatesReportSchema,
  afterSalesReasonsReportSchema,
  boughtTogetherReportSchema,
  cancellationReportSchema,
  courierReportSchema,
  customerSegmentsReportSchema,
  funnelReportSchema,
  promotionCostReportSchema,
  repeatPurchaseReportSchema,
  salesReportSchema,
  stockCoverReportSchema,
  topProductsReportSchema,
} from '../schemas';

const limit = z.coerce.number().int().min(1).max(1000).default(50);
const salesQuery = analyticsFields
  .extend({ by: z.enum(['merchantId', 'channel', 'paymentMethod']).optional() })
  .superRefine(checkPeriod);
const topQuery = analyticsFields
  .extend({ metric: z.enum(['revenue', 'units']).default('revenue'), limit })
  .superRefine(checkPeriod);
const limitQuery = analyticsFields.extend({ limit }).superRefine(checkPeriod);
const id = z.string().trim().min(1).max(64);
const format = z.enum(['json', 'csv']).optional();
const stockQuery = z.object({ merchantId: id.optional(), sku: id.optional(), warehouseId: id.optional(), format });
const segmentsQuery = z.object({
  merchantId: id.optional(),
  channel: z.string().trim().min(1).max(40).optional(),
  paymentMethod: analyticsFields.shape.paymentMethod,
  format,
});
const basketQuery = z.object({
  merchantId: id.optional(),
  sku: id.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(5),
  format,
});

const BY_COLUMN = { merchantId: 'merchant_id', channel: 'channel', paymentMethod: 'payment_method' } as const;

const CSV = 'text/csv';
const wantsCsv = (req: FastifyRequest, format?: string) =>
  format === 'csv' || (format === undefined && /\btext\/csv\b/.test(req.headers.accept ?? ''));

/** One table as JSON ({ period, filters, rows }) or as CSV (`?format=csv` or Accept: text/csv). */
function answer(req: FastifyRequest, reply: FastifyReply, name: string, meta: object, rows: Table, format?: string) {
  if (!wantsCsv(req, format)) return { ...meta, rows };
  void reply.type(`${CSV}; charset=utf-8`).header('content-disposition', `attachment; filename="${name}.csv"`);
  return toCsv(rows);
}

export function analyticsRoutes({ db }: AppDeps, define: Define) {
  /** Every analytics read first brings the rollups up to date with the read model (a no-op when nothing changed). */
  function read<Q extends AnalyticsQuery>(
    operationId: string,
    url: string,
    summary: string,
    query: z.ZodType<Q>,
    report: z.ZodType,
    table: (scope: ReturnType<typeof scopeOf>, q: Q) => Promise<Table>,
    totals?: (rows: Table) => object,
  ) {
    define<undefined, undefined, Q>({
      method: 'GET',
      url: `/v1/analytics/${url}`,
      operationId,
      summary,
      response: { schema: report, alsoAs: [CSV] },
      tags: ['analytics'],
      auth: ['merchant', 'support'],
      query,
      async handler({ query: q, caller, req, reply }: RouteInput<undefined, undefined, Q>) {
        const scope = scopeOf(q, caller);
        await refreshAnalytics(db);
        const meta = {
          period: {
            from: new Date(scope.from).toISOString(),
            to: new Date(scope.to).toISOString(),
            timezone: scope.timeZone,
            bucket: scope.bucket,
          },
          filters: {
            merchantId: scope.merchantId ?? null,
            channel: scope.channel ?? null,
            paymentMethod: scope.paymentMethod ?? null,
          },
        };
        const rows = await table(scope, q);
        const total = totals ? { total: totals(rows) } : {};
        return answer(req, reply, url.replace(/\//g, '-'), { ...meta, ...total }, rows, q.format);
      },
    });
  }

  read(
    'getSalesReport',
    'sales',
    'GMV, orders, units, average order value, refunds and net sales per local day or hour',
    salesQuery,
    salesReportSchema,
    (s, q) => salesTable(db, s, s.bucket, q.by && BY_COLUMN[q.by]),
  );
  read(
    'getFunnelReport',
    'funnel',
    'Orders submitted in the period reaching paid, shipped, delivered, completed; cancelled and rejected',
    analyticsQuery,
    funnelReportSchema,
    (s) => funnelTable(db, s),
  );
  read(
    'getCancellationReport',
    'cancellations',
    'Cancellation and rejection reasons of the orders submitted in the period',
    analyticsQuery,
    cancellationReportSchema,
    (s) => cancellationsTable(db, s),
  );
  read(
    'getTopProducts',
    'products/top',
    'Top products by revenue or units',
    topQuery,
    topProductsReportSchema,
    (s, q) => topProductsTable(db, s, q.metric, q.limit),
  );
  read(
    'getAfterSalesReport',
    'after-sales',
    'Refund, return and after-sales rates per SKU',
    limitQuery,
    afterSalesRatesReportSchema,
    (s, q) => afterSalesTable(db, s, q.limit),
  );
  read(
    'getAfterSalesReasons',
    'after-sales/reasons',
    'After-sales requests by SKU, reason, warehouse and courier (root cause)',
    limitQuery,
    afterSalesReasonsReportSchema,
    (s, q) => reasonsTable(db, s, q.limit),
  );
  read(
    'getCourierReport',
    'couriers',
    'Courier performance: time to pick-up, to delivery, failed attempts, returns',
    analyticsQuery,
    courierReportSchema,
    (s) => couriersTable(db, s),
  );

  define<undefined, undefined, z.infer<typeof stockQuery>>({
    method: 'GET',
    url: '/v1/analytics/stock-cover',
    operationId: 'getStockCover',
    summary: 'Stock cover in days per SKU and warehouse, with reorder suggestions from the merchant policy',
    response: { schema: stockCoverReportSchema, alsoAs: [CSV] },
    tags: ['analytics'],
    auth: ['merchant', 'support'],
    query: stockQuery,
    async handler({ query: q, caller, req, reply }) {
      const merchantId = merchantOf(q.merchantId, caller);
      await refreshAnalytics(db);
      const rows = await stockCoverTable(db, { merchantId, sku: q.sku, warehouseId: q.warehouseId });
      return answer(req, reply, 'stock-cover', { filters: { merchantId: merchantId ?? null } }, rows, q.format);
    },
  });

  read(
    'getRepeatPurchase',
    'customers/repeat',
    'Customers whose first order was in the period, per local day or hour, and how many ordered again',
    analyticsQuery,
    repeatPurchaseReportSchema,
    (s) => repeatTable(db, s, s.bucket),
    repeatTotal,
  );
  read(
    'getPromotionCost',
    'promotions',
    'Discount given per promotion, coupon template, points and shipping threshold; uplift of each promotion window',
    limitQuery,
    promotionCostReportSchema,
    (s, q) => promotionsTable(db, s, q.limit),
  );

  define<undefined, undefined, z.infer<typeof segmentsQuery>>({
    method: 'GET',
    url: '/v1/analytics/customers/segments',
    operationId: 'getCustomerSegments',
    summary: 'RFM customer segments as of now: customers, orders and revenue per segment',
    response: { schema: customerSegmentsReportSchema, alsoAs: [CSV] },
    tags: ['analytics'],
    auth: ['merchant', 'support'],
    query: segmentsQuery,
    async handler({ query: q, caller, req, reply }) {
      const filters = {
        merchantId: merchantOf(q.merchantId, caller),
        channel: q.channel,
        paymentMethod: q.paymentMethod,
      };
      await refreshAnalytics(db);
      const now = Date.now();
      const meta = {
        asOf: new Date(now).toISOString(),
        filters: {
          merchantId: filters.merchantId ?? null,
          channel: q.channel ?? null,
          paymentMethod: q.paymentMethod ?? null,
        },
      };
      return answer(req, reply, 'customer-segments', meta, await segmentsTable(db, filters, now), q.format);
    },
  });

  define<undefined, undefined, z.infer<typeof basketQuery>>({
    method: 'GET',
    url: '/v1/analytics/products/bought-together',
    operationId: 'getBoughtTogether',
    summary: 'Customers who bought X also bought Y: the top SKUs per SKU with support, confidence and lift',
    response: { schema: boughtTogetherReportSchema, alsoAs: [CSV] },
    tags: ['analytics'],
    auth: ['merchant', 'support'],
    query: basketQuery,
    async handler({ query: q, caller, req, reply }) {
      const merchantId = merchantOf(q.merchantId, caller);
      await refreshAnalytics(db);
      const rows = await boughtTogetherTable(db, { merchantId, sku: q.sku, limit: q.limit });
      const meta = { filters: { merchantId: merchantId ?? null, sku: q.sku ?? null } };
      return answer(req, reply, 'bought-together', meta, rows, q.format);
    },
  });
}

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  MAX_LINES,
  orderLineRequestSchema,
  promotionBodySchema,
  promotionProblems,
  skusNamed,
  type PromotionBody,
} from '../../domain';
import type { Caller } from '../auth';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import type { Define } from '../route';
import { promotionListSchema, promotionSchema, quoteSchema } from '../schemas';
import { Prisma } from '../../prisma/generated/client';
import type { Db } from '../../store/db';
import { priceCart, promotionOf, type PriceRequest } from '../../store/pricing';

/** POST /v1/quotes body: the cart page's question, priced exactly as a submission would be. */
export const quoteBody = z
  .object({
    channel: z.string().trim().min(1).max(40),
    customerId: z.string().trim().min(1).max(64),
    province: z.string().trim().min(1).max(50),
    lines: z.array(orderLineRequestSchema).min(1).max(MAX_LINES),
    couponCode: z.string().trim().min(1).max(40).optional(),
    pointsToRedeem: z.number().int().min(0).max(100_000_000).optional(),
  })
  .superRefine((q, ctx) => {
    const seen = new Set<string>();
    q.lines.forEach((line, i) => {
      if (seen.has(line.sku))
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: 'duplicate sku; merge the quantities' });
      seen.add(line.sku);
    });
  });

const idParams = z.object({ id: z.string().min(1).max(64) });
const listQuery = z.object({ merchantId: z.string().max(64).optional(), active: z.enum(['true', 'false']).optional() });

type PromotionRow = Awaited<ReturnType<AppDeps['db']['promotion']['findUniqueOrThrow']>>;
const view = (row: PromotionRow) => ({
  ...promotionOf(row),
  rule: row.rule,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/**
 * What checkout may use, from configuration: promotions, coupons and points all lower what an order
 * charges, so they follow one switch (decision 070); points at the configured rate and cap.
 */
export function checkoutOf(
  config: AppDeps['config'],
  body: { couponCode?: string; pointsToRedeem?: number },
): Pick<PriceRequest, 'promotions' | 'couponCode' | 'pointsToRedeem' | 'points' | 'membership'> {
  const on = config.PRICING_PROMOTIONS === 'on';
  if (!on && (body.couponCode || body.pointsToRedeem))
    throw problems.unprocessable('orders are priced at list price here', [
      {
        field: body.couponCode ? 'couponCode' : 'pointsToRedeem',
        message: 'coupons and points are not accepted while PRICING_PROMOTIONS is off',
      },
    ]);
  return {
    promotions: on,
    couponCode: body.couponCode,
    pointsToRedeem: body.pointsToRedeem,
    points: { rate: config.POINTS_REDEEM_RATE, maxPercent: config.POINTS_REDEEM_MAX_PERCENT },
    membership: config.membership,
  };
}

export function pricingRoutes({ db, config }: AppDeps, define: Define) {
  define<z.infer<typeof quoteBody>, undefined, undefined>({
    method: 'POST',
    url: '/v1/quotes',
    operationId: 'quoteCart',
    response: { schema: quoteSchema },
    summary: 'Price a cart with the promotions in force now (the same engine as submission)',
    tags: ['pricing'],
    auth: ['platform'],
    body: quoteBody,
    idempotency: { via: 'none' }, // a quote changes nothing
    async handler({ body }) {
      const at = new Date();
      const q = await priceCart(db, {
        at,
        channel: body.channel,
        customerId: body.customerId,
        province: body.province,
        lines: body.lines,
        ...checkoutOf(config, body),
      });
      if (!q.ok)
        throw problems.unprocessable(
          'some lines cannot be ordered',
          q.errors.map((e) => ({ field: e.path, message: e.message })),
        );
      return {
        merchantId: q.merchantId,
        pricedAt: at.toISOString(),
        lines: q.lines,
        adjustments: q.adjustments,
        applied: q.applied,
        totals: q.totals,
        ...(q.couponCode ? { couponCode: q.couponCode } : {}),
        ...(q.pointsSpent ? { pointsSpent: q.pointsSpent } : {}),
        expectedTotal: q.totals.total,
      };
    },
  });

  /** Who may own a promotion: a merchant its own (naming only its SKUs), support the platform's. */
  async function checkOwnership(body: PromotionBody, caller: Caller): Promise<string | null> {
    const merchantId = caller.role === 'merchant' ? caller.merchantId! : null;
    const invalid = promotionProblems(
      body,
      config.membership.tiers.map((t) => t.name),
    );
    if (invalid.length)
      throw problems.unprocessable(
        'the promotion’s rule cannot work',
        invalid.map((p) => ({ field: p.path.join('.'), message: p.message })),
      );
    const named = skusNamed(body.rule);
    const products = await db.product.findMany({
      where: { sku: { in: named.map((n) => n.sku) } },
      select: { sku: true, merchantId: true },
    });
    const owner = new Map(products.map((p) => [p.sku, p.merchantId]));
    const errors = named.flatMap((n) => {
      const o = owner.get(n.sku);
      if (o === undefined) return [{ field: n.path.join('.'), message: `unknown sku ${n.sku}` }];
      if (merchantId && o !== merchantId)
        return [{ field: n.path.join('.'), message: `sku ${n.sku} belongs to another merchant` }];
      return [];
    });
    // A platform-wide gift or flash sale still ships from one merchant's stock: only merchants give goods away.
    if (!merchantId && (body.rule.kind === 'gift' || body.rule.kind === 'buy_get' || body.rule.kind === 'flash_sale'))
      errors.push({
        field: 'rule.kind',
        message: `${body.rule.kind} promotions are run by the merchant whose goods they give`,
      });
    if (errors.length) throw problems.unprocessable('the promotion names goods it cannot', errors);
    return merchantId;
  }

  async function own(id: string, caller: Caller): Promise<PromotionRow> {
    const row = await db.promotion.findUnique({ where: { id } });
    const mine = row && (caller.role === 'merchant' ? row.merchantId === caller.merchantId : row.merchantId === null);
    if (!row || !mine) throw problems.notFound(`promotion ${id}`);
    return row;
  }

  const data = (body: PromotionBody) => ({
    code: body.code,
    name: body.name,
    rule: body.rule as object,
    startsAt: new Date(body.startsAt),
    endsAt: new Date(body.endsAt),
    priority: body.priority,
    exclusive: body.exclusive,
    channels: body.channels ?? Prisma.DbNull,
    customerTiers: body.customerTiers ?? Prisma.DbNull,
    budgetUses: body.budgetUses ?? null,
    budgetAmount: body.budgetAmount ?? null,
    active: body.active,
  });

  /**
   * A code names one promotion. Checked before the write: a failed statement would abort the
   * idempotency record's transaction (and a unique violation would be a 500).
   */
  async function refuseTakenCode(conn: Pick<Db, 'promotion'>, code: string | undefined, exceptId?: string) {
    if (code && (await conn.promotion.findFirst({ where: { code, id: exceptId ? { not: exceptId } : undefined } })))
      throw problems.conflict('promotion-code-taken', `a promotion with code ${code} exists`);
  }

  define<PromotionBody, undefined, undefined>({
    method: 'POST',
    url: '/v1/promotions',
    operationId: 'createPromotion',
    response: { status: 201, schema: promotionSchema },
    summary: 'Create a promotion (merchant: on its own SKUs; support: platform-wide)',
    tags: ['pricing'],
    auth: ['merchant', 'support'],
    body: promotionBodySchema,
    idempotency: { via: 'transaction', required: false },
    async handler({ body, caller, reply, tx }) {
      const merchantId = await checkOwnership(body, caller);
      const conn = tx ?? db;
      await refuseTakenCode(conn, body.code);
      const row = await conn.promotion.create({
        data: { id: `promo_${randomBytes(8).toString('hex')}`, merchantId, ...data(body) },
      });
      reply.status(201);
      return view(row);
    },
  });

  define<undefined, undefined, z.infer<typeof listQuery>>({
    method: 'GET',
    url: '/v1/promotions',
    operationId: 'listPromotions',
    response: { schema: promotionListSchema },
    summary: 'List promotions (a merchant sees its own; support sees all)',
    tags: ['pricing'],
    auth: ['merchant', 'support'],
    query: listQuery,
    async handler({ query, caller }) {
      const merchantId = caller.role === 'merchant' ? caller.merchantId : query.merchantId;
      const rows = await db.promotion.findMany({
        where: { merchantId, active: query.active === undefined ? undefined : query.active === 'true' },
        orderBy: [{ startsAt: 'desc' }, { id: 'asc' }],
        take: 500,
      });
      return { items: rows.map(view) };
    },
  });

  define<undefined, z.infer<typeof idParams>, undefined>({
    method: 'GET',
    url: '/v1/promotions/:id',
    operationId: 'getPromotion',
    response: { schema: promotionSchema },
    summary: 'One promotion',
    tags: ['pricing'],
    auth: ['merchant', 'support'],
    params: idParams,
    handler: async ({ params, caller }) => view(await own(params.id, caller)),
  });

  define<PromotionBody, z.infer<typeof idParams>, undefined>({
    method: 'PUT',
    url: '/v1/promotions/:id',
    operationId: 'replacePromotion',
    response: { schema: promotionSchema },
    summary: 'Replace a promotion’s rule, window and limits',
    tags: ['pricing'],
    auth: ['merchant', 'support'],
    params: idParams,
    body: promotionBodySchema,
    idempotency: { via: 'transaction', required: false },
    async handler({ params, body, caller, tx }) {
      await own(params.id, caller);
      await checkOwnership(body, caller);
      const conn = tx ?? db;
      await refuseTakenCode(conn, body.code, params.id);
      return view(await conn.promotion.update({ where: { id: params.id }, data: data(body) }));
    },
  });

  define<undefined, z.infer<typeof idParams>, undefined>({
    method: 'POST',
    url: '/v1/promotions/:id/end',
    operationId: 'endPromotion',
    response: { schema: promotionSchema },
    summary: 'End a promotion now (kept, inactive, for the orders that used it)',
    tags: ['pricing'],
    auth: ['merchant', 'support'],
    params: idParams,
    idempotency: { via: 'transaction', required: false },
    async handler({ params, caller, tx }) {
      await own(params.id, caller);
      return view(await (tx ?? db).promotion.update({ where: { id: params.id }, data: { active: false } }));
    },
  });
}

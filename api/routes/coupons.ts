import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  couponTemplateBodySchema,
  couponTemplateProblems,
  growthWindowStart,
  pointsBalance,
  type CouponTemplateBody,
} from '../../domain';
import { standingOf } from '../../store/membership';
import type { Caller } from '../auth';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import type { Define } from '../route';
import { couponTemplateSchema, couponTemplateUsageSchema, issuedCouponsSchema, membershipSchema } from '../schemas';
import { Prisma } from '../../prisma/generated/client';

const idParams = z.object({ id: z.string().min(1).max(64) });
const issueBody = z.object({ customerIds: z.array(z.string().trim().min(1).max(64)).min(1).max(1000) });

/** One coupon per customer and template, its code derived from both: a retry issues nothing twice. */
export const couponCodeOf = (templateId: string, customerId: string) =>
  `CPN-${createHash('sha256').update(`${templateId}:${customerId}`).digest('hex').slice(0, 12).toUpperCase()}`;

type TemplateRow = Prisma.CouponTemplateGetPayload<object>;
const templateView = (t: TemplateRow) => ({
  id: t.id,
  merchantId: t.merchantId,
  name: t.name,
  kind: t.kind,
  amount: t.amount,
  percent: t.percent,
  maxOff: t.maxOff,
  minSpend: t.minSpend,
  skus: t.skus,
  currency: t.currency,
  startsAt: t.startsAt,
  endsAt: t.endsAt,
  createdAt: t.createdAt,
});

/** Coupon templates and issuance (docs/pricing.md, decision 070); the customer's membership page. */
export function couponRoutes({ db, config }: AppDeps, define: Define) {
  /** A merchant's template may name only its own SKUs; support's is platform-wide. */
  async function checkTemplate(body: CouponTemplateBody, caller: Caller): Promise<string | null> {
    const merchantId = caller.role === 'merchant' ? caller.merchantId! : null;
    const errors = couponTemplateProblems(body).map((p) => ({ field: p.path, message: p.message }));
    const skus = body.skus ?? [];
    const products = await db.product.findMany({
      where: { sku: { in: skus } },
      select: { sku: true, merchantId: true },
    });
    const owner = new Map(products.map((p) => [p.sku, p.merchantId]));
    skus.forEach((sku, i) => {
      const o = owner.get(sku);
      if (o === undefined) errors.push({ field: `skus.${i}`, message: `unknown sku ${sku}` });
      else if (merchantId && o !== merchantId)
        errors.push({ field: `skus.${i}`, message: `sku ${sku} belongs to another merchant` });
    });
    if (errors.length) throw problems.unprocessable('the coupon template cannot work', errors);
    return merchantId;
  }

  async function ownTemplate(id: string, caller: Caller): Promise<TemplateRow> {
    const t = await db.couponTemplate.findUnique({ where: { id } });
    const mine = t && (caller.role === 'merchant' ? t.merchantId === caller.merchantId : t.merchantId === null);
    if (!t || !mine) throw problems.notFound(`coupon template ${id}`);
    return t;
  }

  define<CouponTemplateBody, undefined, undefined>({
    method: 'POST',
    url: '/v1/coupon-templates',
    operationId: 'createCouponTemplate',
    summary: 'Create a coupon template (merchant: its goods; support: platform-wide)',
    tags: ['pricing'],
    auth: ['merchant', 'support'],
    body: couponTemplateBodySchema,
    idempotency: { via: 'transaction', required: false },
    response: { status: 201, schema: couponTemplateSchema },
    async handler({ body, caller, reply, tx }) {
      const merchantId = await checkTemplate(body, caller);
      const row = await (tx ?? db).couponTemplate.create({
        data: {
          id: `ctpl_${randomBytes(8).toString('hex')}`,
          merchantId,
          name: body.name,
          kind: body.kind,
          amount: body.amount ?? null,
          percent: body.percent ?? null,
          maxOff: body.maxOff ?? null,
          minSpend: body.minSpend,
          skus: body.skus ?? Prisma.DbNull,
          currency: body.currency,
          startsAt: new Date(body.startsAt),
          endsAt: new Date(body.endsAt),
        },
      });
      reply.status(201);
      return templateView(row);
    },
  });

  define<undefined, z.infer<typeof idParams>, undefined>({
    method: 'GET',
    url: '/v1/coupon-templates/:id',
    operationId: 'getCouponTemplate',
    summary: 'One coupon template and how many of its coupons are issued and redeemed',
    response: { schema: couponTemplateUsageSchema },
    tags: ['pricing'],
    auth: ['merchant', 'support'],
    params: idParams,
    async handler({ params, caller }) {
      const t = await ownTemplate(params.id, caller);
      const counts = await db.coupon.groupBy({ by: ['status'], where: { templateId: t.id }, _count: { _all: true } });
      const of = (s: string) => counts.find((c) => c.status === s)?._count._all ?? 0;
      return { ...templateView(t), issued: of('issued') + of('redeemed'), redeemed: of('redeemed') };
    },
  });

  define<z.infer<typeof issueBody>, z.infer<typeof idParams>, undefined>({
    method: 'POST',
    url: '/v1/coupon-templates/:id/issue',
    operationId: 'issueCoupons',
    summary: 'Issue the template’s coupon to customers, one each (a customer who holds one keeps it)',
    response: { schema: issuedCouponsSchema },
    tags: ['pricing'],
    auth: ['merchant', 'support'],
    params: idParams,
    body: issueBody,
    idempotency: { via: 'transaction', required: false },
    async handler({ params, body, caller, tx }) {
      const t = await ownTemplate(params.id, caller);
      if (t.endsAt.getTime() <= Date.now())
        throw problems.conflict('coupon-template-ended', `coupon template ${t.id} ended at ${t.endsAt.toISOString()}`);
      const ids = [...new Set(body.customerIds)];
      const conn = tx ?? db;
      const known = new Set(
        (await conn.customer.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((c) => c.id),
      );
      const unknown = body.customerIds.flatMap((id, i) =>
        known.has(id) ? [] : [{ field: `customerIds.${i}`, message: `unknown customer ${id}` }],
      );
      if (unknown.length) throw problems.unprocessable('coupons are issued to known customers', unknown);
      const value = t.kind === 'amount' ? (t.amount ?? 0) : (t.maxOff ?? 0);
      const coupons = ids.map((customerId) => ({
        code: couponCodeOf(t.id, customerId),
        customerId,
        templateId: t.id,
        amount: value,
        currency: t.currency,
      }));
      const { count } = await conn.coupon.createMany({ data: coupons, skipDuplicates: true });
      return {
        templateId: t.id,
        issued: count,
        coupons: coupons.map((c) => ({ customerId: c.customerId, code: c.code })),
      };
    },
  });

  define<undefined, z.infer<typeof idParams>, undefined>({
    method: 'GET',
    url: '/v1/customers/:id/membership',
    operationId: 'getMembership',
    response: { schema: membershipSchema },
    summary: 'A customer’s tier (growth, next tier, benefits), points (balance, lots by expiry, ledger) and coupons',
    tags: ['pricing'],
    auth: ['platform', 'support'],
    params: idParams,
    async handler({ params }) {
      const customer = await db.customer.findUnique({ where: { id: params.id }, select: { id: true } });
      if (!customer) throw problems.notFound(`customer ${params.id}`);
      const at = new Date();
      const { tier, growth, next } = await standingOf(db, customer.id, at, config.membership);
      const { name, minGrowth: _, ...benefits } = tier;
      const entries = await db.pointsEntry.findMany({
        where: { customerId: customer.id },
        orderBy: { createdAt: 'desc' },
      });
      const points = pointsBalance(
        entries.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
        at.toISOString(),
      );
      const coupons = await db.coupon.findMany({
        where: { customerId: customer.id },
        include: { template: true },
        orderBy: { createdAt: 'desc' },
        take: 200,
      });
      return {
        customerId: customer.id,
        tier: name,
        benefits,
        growth: { value: growth, since: growthWindowStart(at.toISOString()) },
        nextTier: next,
        points: {
          balance: points.balance,
          expired: points.expired,
          lots: points.lots,
          ledger: entries.slice(0, 200).map((e) => ({
            id: e.id,
            orderId: e.orderId,
            delta: e.delta,
            reason: e.reason,
            at: e.createdAt,
          })),
        },
        coupons: coupons.map((c) => ({
          code: c.code,
          status: c.status,
          templateId: c.templateId,
          name: c.template?.name ?? 'after-sales compensation',
          kind: c.template?.kind ?? 'amount',
          amount: c.template ? c.template.amount : c.amount,
          percent: c.template?.percent ?? null,
          minSpend: c.template?.minSpend ?? 0,
          validUntil: c.template?.endsAt ?? null,
          redeemedOrderId: c.redeemedOrderId,
        })),
      };
    },
  });
}

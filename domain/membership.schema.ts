import { z } from 'zod';
import type { Tier } from './membership';

const twoDecimals = (n: number) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-9;

/** A tier as configured (MEMBERSHIP_TIERS; meanings: Tier in membership.ts). */
export const tierSchema = z.object({
  name: z.string().min(1).max(40),
  minGrowth: z.number().int().min(0),
  memberDiscountPercent: z.number().min(0).max(100).refine(twoDecimals, 'at most two decimals'),
  pointsMultiplier: z.number().min(1).max(10).refine(twoDecimals, 'at most two decimals'),
  freeShipping: z.boolean(),
  flashSaleEarlyMinutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60),
}) satisfies z.ZodType<Tier>;

/** Tiers from the lowest (threshold 0, so every customer has one) up, thresholds strictly rising. */
export const tierLadderSchema = z
  .array(tierSchema)
  .min(1)
  .max(20)
  .refine((ts) => ts[0].minGrowth === 0, 'the first tier starts at 0')
  .refine((ts) => ts.every((t, i) => i === 0 || t.minGrowth > ts[i - 1].minGrowth), 'thresholds must rise')
  .refine((ts) => new Set(ts.map((t) => t.name)).size === ts.length, 'tier names must differ');

import type { OrderLine, Totals } from '../order';
import { quote, type CatalogEntry } from './engine';

export type PricingResult =
  | { ok: true; merchantId: string; lines: OrderLine[]; totals: Totals }
  | { ok: false; errors: Array<{ path: string; message: string }> };

/** Prices requested lines from the catalog at list price (no promotions); client prices never enter. One merchant per order. */
export function priceOrder(
  requested: ReadonlyArray<{ sku: string; quantity: number }>,
  catalog: ReadonlyMap<string, CatalogEntry>,
): PricingResult {
  const q = quote({
    at: new Date(0).toISOString(),
    channel: '',
    customer: { id: '' },
    lines: requested,
    catalog,
    promotions: [],
    province: '',
  });
  if (!q.ok) return q;
  return { ok: true, merchantId: q.merchantId, lines: q.orderLines, totals: q.totals };
}

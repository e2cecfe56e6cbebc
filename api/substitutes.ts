import type { PricedSubstitution, StockDecisionRequest } from '../domain';
import type { Db } from '../store/db';
import { problems } from './problem';

/**
 * Substitutes named in a stock decision (an order's shortage, or an exchange's replacement) are
 * priced from the catalog, like the order's own lines: active, same merchant and currency; client
 * prices are never trusted. Anything else is 422 naming `substitutions.<i>.sku`.
 */
export async function priceSubstitutes(
  db: Db,
  subs: NonNullable<StockDecisionRequest['substitutions']>,
  merchantId: string,
  currency: string,
): Promise<PricedSubstitution[]> {
  const products = await db.product.findMany({ where: { sku: { in: subs.map((s) => s.sku) } } });
  const errors: Array<{ field: string; message: string }> = [];
  const priced = subs.map((s, i) => {
    const p = products.find((x) => x.sku === s.sku);
    if (!p || p.merchantId !== merchantId)
      errors.push({ field: `substitutions.${i}.sku`, message: `unknown sku ${s.sku}` });
    else if (!p.active) errors.push({ field: `substitutions.${i}.sku`, message: `sku ${s.sku} is not on sale` });
    else if (p.currency !== currency)
      errors.push({
        field: `substitutions.${i}.sku`,
        message: `sku ${s.sku} is priced in ${p.currency}, the order in ${currency}`,
      });
    return { lineNo: s.lineNo, sku: s.sku, name: p?.name ?? '', unitPrice: p?.priceAmount ?? 0 };
  });
  if (errors.length) throw problems.unprocessable('some substitutes cannot be ordered', errors);
  return priced;
}

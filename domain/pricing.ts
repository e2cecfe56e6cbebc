import { newLedgerLine } from './ledger';
import type { OrderLine, Totals } from './order';

export interface CatalogEntry {
  sku: string;
  name: string;
  priceAmount: number;
  currency: string;
  active: boolean;
  merchantId: string;
}

export type PricingResult =
  | { ok: true; merchantId: string; lines: OrderLine[]; totals: Totals }
  | { ok: false; errors: Array<{ path: string; message: string }> };

/** Prices requested lines from the catalog; client prices never enter. One merchant per order. */
export function priceOrder(requested: ReadonlyArray<{ sku: string; quantity: number }>, catalog: ReadonlyMap<string, CatalogEntry>): PricingResult {
  const errors: Array<{ path: string; message: string }> = [];
  requested.forEach((line, i) => {
    const entry = catalog.get(line.sku);
    if (!entry) errors.push({ path: `lines.${i}.sku`, message: `unknown sku ${line.sku}` });
    else if (!entry.active) errors.push({ path: `lines.${i}.sku`, message: `sku ${line.sku} is not on sale` });
  });
  if (errors.length) return { ok: false, errors };

  const entries = requested.map((l) => catalog.get(l.sku)!);
  const merchantId = entries[0].merchantId;
  const currency = entries[0].currency;
  entries.forEach((e, i) => {
    if (e.merchantId !== merchantId) errors.push({ path: `lines.${i}.sku`, message: 'all lines of an order must belong to one merchant' });
    if (e.currency !== currency) errors.push({ path: `lines.${i}.sku`, message: 'all lines of an order must share one currency' });
  });
  if (errors.length) return { ok: false, errors };

  const lines = requested.map((l, i) => newLedgerLine(i + 1, l.sku, entries[i].name, entries[i].priceAmount, l.quantity));
  const subtotal = lines.reduce((t, l) => t + l.unitPrice * l.quantity, 0);
  return { ok: true, merchantId, lines, totals: { currency, subtotal, discount: 0, shippingFee: 0, total: subtotal } };
}

/** Stock one warehouse can give for one SKU right now. */
export interface StockLevel {
  sku: string;
  warehouseId: string;
  province: string;
  available: number;
}

export interface StockNeed {
  lineNo: number;
  sku: string;
  quantity: number;
}

export interface StockPiece {
  lineNo: number;
  sku: string;
  warehouseId: string;
  quantity: number;
}

export interface AllocationPlan {
  pieces: StockPiece[];
  short: StockNeed[];
}

/** Decides which warehouses serve which units; pluggable (docs/fulfilment.md). */
export type AllocationStrategy = (
  needs: readonly StockNeed[],
  stock: readonly StockLevel[],
  shippingProvince: string,
) => AllocationPlan;

/**
 * Default strategy: fewest shipments, then the warehouse nearest the customer (same province first).
 * Warehouses are ranked by how many whole lines they can serve; each line takes from the best-ranked
 * warehouses, splitting across warehouses only when no single one has enough.
 */
export const fewestShipmentsThenNearest: AllocationStrategy = (needs, stock, province) => {
  const left = new Map(stock.map((s) => [`${s.sku}@${s.warehouseId}`, s.available]));
  const warehouses = [...new Set(stock.map((s) => s.warehouseId))];
  const provinceOf = new Map(stock.map((s) => [s.warehouseId, s.province]));
  const wholeLines = (w: string) => needs.filter((n) => (left.get(`${n.sku}@${w}`) ?? 0) >= n.quantity).length;
  const ranked = warehouses
    .map((w) => ({ w, whole: wholeLines(w), near: provinceOf.get(w) === province ? 1 : 0 }))
    .sort((a, b) => b.whole - a.whole || b.near - a.near || a.w.localeCompare(b.w))
    .map((r) => r.w);

  const pieces: StockPiece[] = [];
  const short: StockNeed[] = [];
  for (const need of needs) {
    // A warehouse that can serve the whole line beats splitting it.
    const whole = ranked.find((w) => (left.get(`${need.sku}@${w}`) ?? 0) >= need.quantity);
    let missing = need.quantity;
    for (const w of whole ? [whole] : fewestCovering(ranked, (w) => left.get(`${need.sku}@${w}`) ?? 0, need.quantity)) {
      const key = `${need.sku}@${w}`;
      const take = Math.min(missing, left.get(key) ?? 0);
      if (take <= 0) continue;
      left.set(key, (left.get(key) ?? 0) - take);
      pieces.push({ lineNo: need.lineNo, sku: need.sku, warehouseId: w, quantity: take });
      missing -= take;
      if (missing === 0) break;
    }
    if (missing > 0) short.push({ lineNo: need.lineNo, sku: need.sku, quantity: missing });
  }
  return { pieces, short };
};

/** The fewest warehouses that together cover `quantity` (fullest first), kept in rank order. */
function fewestCovering(ranked: string[], available: (w: string) => number, quantity: number): string[] {
  const chosen = new Set<string>();
  let covered = 0;
  for (const w of [...ranked].sort((a, b) => available(b) - available(a))) {
    if (covered >= quantity || available(w) <= 0) break;
    chosen.add(w);
    covered += available(w);
  }
  return ranked.filter((w) => chosen.has(w));
}

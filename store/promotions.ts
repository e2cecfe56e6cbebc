// Promotion definitions as the engine sees them, and each process's cache of those in force
// (docs/pricing.md "Performance", decision 082). Only definitions are cached: what a promotion has
// given (its counters) is read with every quote and taken atomically at acceptance (decision 069).
import { ruleSchema, skusNamed, type Promotion } from '../domain';
import type { Prisma } from '../prisma/generated/client';
import { poolOf, type Db } from './db';

export type PromotionRow = Prisma.PromotionGetPayload<object>;

/** A stored promotion as the engine sees it; a row whose rule no longer parses is left out. */
export function promotionOf(row: PromotionRow): Promotion | null {
  const rule = ruleSchema.safeParse(row.rule);
  if (!rule.success) return null;
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    merchantId: row.merchantId,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt.toISOString(),
    priority: row.priority,
    exclusive: row.exclusive,
    channels: (row.channels as string[] | null) ?? null,
    customerTiers: (row.customerTiers as string[] | null) ?? null,
    budgetUses: row.budgetUses,
    budgetAmount: row.budgetAmount,
    active: row.active,
    rule: rule.data,
  };
}

interface Entry {
  promotion: Promotion;
  starts: number;
  ends: number;
  /** The row's xmin: unchanged means the parsed definition can be kept across reloads. */
  rowVersion: string;
  /** The SKUs its rule names (possible gifts among them), worked out once rather than per quote. */
  skus: string[];
  /** It has a cap, a budget or a limit, so a quote must read its counters (decision 088). */
  limited: boolean;
}

/** A cart's candidates, the SKUs they name and those whose counters the engine reads. */
export interface Candidates {
  promotions: Promotion[];
  skusNamed: string[];
  limitedIds: string[];
}

/** The engine reads what a promotion has given only for its budgets and a flash sale's caps (domain/pricing/engine.ts). */
const isLimited = (p: Promotion) => p.budgetUses != null || p.budgetAmount != null || p.rule.kind === 'flash_sale';

/** What a cart can be given by: the merchant's and the platform's, at `at` (or by `opensBy`, for early access). */
export interface CandidateQuery {
  merchantId: string;
  skus: readonly string[];
  at: Date;
  opensBy: Date;
}

/**
 * The active promotions of every merchant and the platform, parsed once and indexed so that a cart
 * finds its candidates without a scan: whole-catalog rules by owner, SKU-scoped rules and flash sales
 * by SKU. `version` is that of `promotions_version` in the snapshot the rows were read in.
 */
export class PromotionCache {
  private version: bigint | null = null;
  private entries = new Map<string, Entry>();
  private wholeCatalog = new Map<string, Entry[]>();
  private bySku = new Map<string, Entry[]>();
  /** SKU → its merchant, learned from the products quotes read: a SKU never changes merchant (api/routes/catalog.ts). */
  private merchants = new Map<string, string>();
  private loading: Promise<void> | null = null;

  /** Whether the definitions are those of `version` (a quote's read of promotions_version). */
  isCurrent(version: bigint): boolean {
    return this.version === version;
  }

  /** Reloads until the definitions are at least as new as `version`; concurrent callers share a load. */
  async refresh(db: Db, version: bigint): Promise<void> {
    // Ahead of the database (restored from a backup; or a quote whose snapshot predates a load just
    // made): load once what it has now, or a restored database would never be reloaded.
    let ahead = this.version !== null && this.version > version;
    while (ahead || this.version === null || this.version < version) {
      ahead = false;
      // A load already under way may have read an older snapshot; the loop then loads again.
      this.loading ??= this.load(db).finally(() => (this.loading = null));
      await this.loading;
    }
  }

  /** The promotions that could touch a cart; the engine checks the rest (channel, tier, budgets). */
  candidates(c: CandidateQuery): Promotion[] {
    return this.cartCandidates(c).promotions;
  }

  /** The candidates with what a quote reads for them: the SKUs they name and the ids with counters that matter. */
  cartCandidates(c: CandidateQuery): Candidates {
    const at = c.at.getTime();
    const opensBy = c.opensBy.getTime();
    const out: Candidates = { promotions: [], skusNamed: [], limitedIds: [] };
    const add = (e: Entry) => {
      out.promotions.push(e.promotion);
      for (const sku of e.skus) out.skusNamed.push(sku);
      if (e.limited) out.limitedIds.push(e.promotion.id);
    };
    const inForce = (e: Entry) =>
      (e.promotion.merchantId ?? c.merchantId) === c.merchantId && e.starts <= opensBy && e.ends > at;
    // An entry is under one owner or under SKUs, never both: only a rule naming two of the cart's SKUs comes twice.
    for (const owner of c.merchantId === '' ? [''] : [c.merchantId, ''])
      for (const e of this.wholeCatalog.get(owner) ?? []) if (inForce(e)) add(e);
    const seen = new Set<Entry>();
    for (const sku of c.skus)
      for (const e of this.bySku.get(sku) ?? [])
        if (!seen.has(e) && inForce(e)) {
          seen.add(e);
          add(e);
        }
    return out;
  }

  merchantOf(sku: string): string | undefined {
    return this.merchants.get(sku);
  }

  learnMerchants(products: ReadonlyArray<{ sku: string; merchantId: string }>): void {
    if (this.merchants.size > 100_000) this.merchants.clear(); // a bound, not an LRU: a miss costs one round trip
    for (const p of products) this.merchants.set(p.sku, p.merchantId);
  }

  /** One statement: the version and the rows in the same snapshot (straight from the pool: ~1,000 rows). */
  private async load(db: Db): Promise<void> {
    // Ended ones stay a day (until a later reload), so a quote priced a moment before the load still finds them.
    const { rows } = await poolOf(db).query<PromotionRow & { version: string; rowVersion: string | null }>({
      name: 'promotions-in-force',
      text: `SELECT v.version::text, p.xmin::text AS "rowVersion", p.id, p.code, p.merchant_id AS "merchantId", p.name,
          p.rule, p.starts_at AS "startsAt", p.ends_at AS "endsAt", p.priority, p.exclusive, p.channels,
          p.customer_tiers AS "customerTiers", p.budget_uses AS "budgetUses", p.budget_amount AS "budgetAmount",
          p.active, p.created_at AS "createdAt", p.updated_at AS "updatedAt"
        FROM promotions_version v
        LEFT JOIN promotions p ON p.active AND p.ends_at > now() - interval '1 day'
        ORDER BY p.id`,
    });
    const entries = new Map<string, Entry>();
    for (const row of rows) {
      if (row.rowVersion === null) continue; // no promotion: the version row alone
      const known = this.entries.get(row.id);
      const promotion = known?.rowVersion === row.rowVersion ? known.promotion : promotionOf(row);
      if (promotion)
        entries.set(row.id, {
          promotion,
          starts: row.startsAt.getTime(),
          ends: row.endsAt.getTime(),
          rowVersion: row.rowVersion,
          skus: skusNamed(promotion.rule).map((n) => n.sku),
          limited: isLimited(promotion),
        });
    }
    this.index(entries);
    this.version = BigInt(rows[0].version);
  }

  /** Where a cart looks: a flash sale under its SKU, a SKU-scoped rule under each SKU, the rest under its owner. */
  private index(entries: Map<string, Entry>): void {
    const wholeCatalog = new Map<string, Entry[]>();
    const bySku = new Map<string, Entry[]>();
    const add = (m: Map<string, Entry[]>, key: string, e: Entry) => {
      const list = m.get(key);
      if (list) list.push(e);
      else m.set(key, [e]);
    };
    for (const e of entries.values()) {
      const rule = e.promotion.rule;
      const skus = rule.kind === 'flash_sale' ? [rule.sku] : 'scope' in rule ? rule.scope.skus : undefined;
      if (skus) for (const sku of new Set(skus)) add(bySku, sku, e);
      else add(wholeCatalog, e.promotion.merchantId ?? '', e);
    }
    this.entries = entries;
    this.wholeCatalog = wholeCatalog;
    this.bySku = bySku;
  }
}

const caches = new WeakMap<Db, PromotionCache>();

/** The process's cache for a database client: one per connection pool, shared by quotes and submissions. */
export function promotionCacheOf(db: Db): PromotionCache {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new PromotionCache()));
  return cache;
}

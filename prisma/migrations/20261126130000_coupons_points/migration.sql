-- Coupons and points (SPEC §8, issue 12; docs/pricing.md, decisions 069 and 070).

-- What each promotion has given, kept by conditional updates inside the acceptance transaction, so
-- concurrent orders can never pass a budget or a flash-sale cap (supersedes decision 060's counts).
CREATE TABLE "promotion_counters" (
    "promotion_id" TEXT NOT NULL,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "amount" INTEGER NOT NULL DEFAULT 0,
    "units" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "promotion_counters_pkey" PRIMARY KEY ("promotion_id"),
    CONSTRAINT "promotion_counters_check" CHECK ("uses" >= 0 AND "amount" >= 0 AND "units" >= 0)
);

-- Flash-sale units bought by one customer (the per-customer limit), kept the same way.
CREATE TABLE "promotion_customer_units" (
    "promotion_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "units" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "promotion_customer_units_pkey" PRIMARY KEY ("promotion_id", "customer_id"),
    CONSTRAINT "promotion_customer_units_check" CHECK ("units" >= 0)
);

INSERT INTO "promotion_counters" ("promotion_id", "uses", "amount", "units")
SELECT "promotion_id", count(*), sum("amount"), sum("units") FROM "promotion_redemptions" GROUP BY "promotion_id";
INSERT INTO "promotion_customer_units" ("promotion_id", "customer_id", "units")
SELECT "promotion_id", "customer_id", sum("units") FROM "promotion_redemptions" GROUP BY "promotion_id", "customer_id";

-- Set once when a cancelled, unshipped order gives its share back to the counters.
ALTER TABLE "promotion_redemptions" ADD COLUMN "released_at" TIMESTAMPTZ(3);
CREATE INDEX "promotion_redemptions_order_id_idx" ON "promotion_redemptions"("order_id");

-- Coupon templates: a merchant's (its goods) or the platform's (merchant_id NULL).
CREATE TABLE "coupon_templates" (
    "id" TEXT NOT NULL,
    "merchant_id" TEXT,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "amount" INTEGER,
    "percent" DOUBLE PRECISION,
    "max_off" INTEGER,
    "min_spend" INTEGER NOT NULL DEFAULT 0,
    "skus" JSONB,
    "currency" TEXT NOT NULL DEFAULT 'CNY',
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "coupon_templates_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "coupon_templates_window_check" CHECK ("ends_at" > "starts_at"),
    CONSTRAINT "coupon_templates_kind_check" CHECK (("kind" = 'amount' AND "amount" > 0) OR ("kind" = 'percent' AND "percent" > 0 AND "percent" <= 100))
);
CREATE INDEX "coupon_templates_merchant_id_idx" ON "coupon_templates"("merchant_id");

-- Coupons issued from a template (one per customer), and the order that redeemed one. order_id stays
-- the order an after-sales coupon compensates.
ALTER TABLE "coupons" ADD COLUMN "template_id" TEXT;
ALTER TABLE "coupons" ADD COLUMN "redeemed_order_id" TEXT;
ALTER TABLE "coupons" ADD CONSTRAINT "coupons_status_check" CHECK ("status" IN ('issued', 'redeemed'));
ALTER TABLE "coupons" ADD CONSTRAINT "coupons_template_id_fkey" FOREIGN KEY ("template_id") REFERENCES "coupon_templates"("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE UNIQUE INDEX "coupons_template_id_customer_id_key" ON "coupons"("template_id", "customer_id");
CREATE UNIQUE INDEX "coupons_redeemed_order_id_key" ON "coupons"("redeemed_order_id");

-- Points spent at checkout (minor units' worth), beside the discounts.
ALTER TABLE "orders" ADD COLUMN "points_redeemed" INTEGER NOT NULL DEFAULT 0;

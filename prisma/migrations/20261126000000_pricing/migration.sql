-- Pricing (issue 12, docs/pricing.md): promotions run by a merchant (its own SKUs) or by the platform
-- (merchant_id NULL); the rule is JSON validated by domain/pricing/rules.ts.
CREATE TABLE "promotions" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "merchant_id" TEXT,
    "name" TEXT NOT NULL,
    "rule" JSONB NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "exclusive" BOOLEAN NOT NULL DEFAULT false,
    "channels" JSONB,
    "customer_tiers" JSONB,
    "budget_uses" INTEGER,
    "budget_amount" INTEGER,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "promotions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "promotions_window_check" CHECK ("ends_at" > "starts_at")
);
CREATE UNIQUE INDEX "promotions_code_key" ON "promotions"("code");
CREATE INDEX "promotions_ends_at_starts_at_idx" ON "promotions"("ends_at", "starts_at");

-- What each order took from a promotion: the counts the engine reads (uses, money, flash-sale units).
CREATE TABLE "promotion_redemptions" (
    "promotion_id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "units" INTEGER NOT NULL DEFAULT 0,
    "amount" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "promotion_redemptions_pkey" PRIMARY KEY ("promotion_id", "order_id")
);
CREATE INDEX "promotion_redemptions_promotion_id_customer_id_idx" ON "promotion_redemptions"("promotion_id", "customer_id");

-- A merchant's shipping fee: by destination province, else the default; free at or above free_above.
CREATE TABLE "shipping_rates" (
    "merchant_id" TEXT NOT NULL,
    "default_fee" INTEGER NOT NULL DEFAULT 0,
    "by_province" JSONB NOT NULL DEFAULT '{}',
    "free_above" INTEGER,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shipping_rates_pkey" PRIMARY KEY ("merchant_id")
);
ALTER TABLE "shipping_rates" ADD CONSTRAINT "shipping_rates_merchant_id_fkey" FOREIGN KEY ("merchant_id") REFERENCES "merchants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Lines carry their share of the discounts (paid = unit_price × quantity − discount) and gift lines.
ALTER TABLE "order_lines" ADD COLUMN "discount" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "order_lines" ADD COLUMN "gift" BOOLEAN NOT NULL DEFAULT false;

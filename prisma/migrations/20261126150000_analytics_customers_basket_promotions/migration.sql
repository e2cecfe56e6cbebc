-- Customers (repeat purchase, RFM), products bought together and promotion cost (issue 14,
-- docs/analytics.md, decision 073). Kept current by the same dirty queue as decision 065's rollups.

-- One row per merchant and customer (and per channel / payment method, '*' for any), over the
-- orders that did not end cancelled or rejected. first/second/last are not sums, so the refresher
-- recomputes the rows of each dirty order's customer instead of adding a difference.
CREATE TABLE "analytics_customers" (
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "first_order_at" TIMESTAMPTZ(3) NOT NULL,
    "second_order_at" TIMESTAMPTZ(3),
    "last_order_at" TIMESTAMPTZ(3) NOT NULL,
    "orders" BIGINT NOT NULL,
    "monetary" BIGINT NOT NULL,

    CONSTRAINT "analytics_customers_pkey" PRIMARY KEY ("merchant_id", "channel", "payment_method", "customer_id")
);
-- The refresher replaces a customer's rows; the repeat-purchase cohort is read by first order.
CREATE INDEX "analytics_customers_customer_id_idx" ON "analytics_customers"("customer_id");
CREATE INDEX "analytics_customers_merchant_id_channel_payment_method_firs_idx" ON "analytics_customers"("merchant_id", "channel", "payment_method", "first_order_at");
CREATE INDEX "analytics_customers_channel_payment_method_first_order_at_idx" ON "analytics_customers"("channel", "payment_method", "first_order_at");

-- Products bought together, over all time: per merchant, the orders containing both SKUs
-- (sku = other_sku: the orders containing it; '*','*': every counted order). Both directions are
-- kept, so "top N with X" is one index range.
CREATE TABLE "analytics_basket_facts" (
    "order_id" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "other_sku" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "n" BIGINT NOT NULL,

    CONSTRAINT "analytics_basket_facts_pkey" PRIMARY KEY ("order_id", "sku", "other_sku")
);
CREATE TABLE "analytics_bought_together" (
    "merchant_id" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "other_sku" TEXT NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "analytics_bought_together_pkey" PRIMARY KEY ("merchant_id", "sku", "other_sku")
);

-- Discounts given, per order and source (promotion, shipping, coupon, points) and code.
CREATE TABLE "analytics_promotion_facts" (
    "order_id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "n" BIGINT NOT NULL,
    "amount" BIGINT NOT NULL,
    "units" BIGINT NOT NULL,
    "gmv" BIGINT NOT NULL,

    CONSTRAINT "analytics_promotion_facts_pkey" PRIMARY KEY ("order_id", "source", "code")
);
CREATE TABLE "analytics_promotions" (
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "grain" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "source" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,
    "amount" BIGINT NOT NULL DEFAULT 0,
    "units" BIGINT NOT NULL DEFAULT 0,
    "gmv" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "analytics_promotions_pkey" PRIMARY KEY ("merchant_id", "channel", "payment_method", "grain", "bucket", "source", "code")
);
CREATE INDEX "analytics_promotions_grain_bucket_idx" ON "analytics_promotions"("grain", "bucket");

-- Orders already in the database: their new facts are computed on the next refresh.
INSERT INTO "analytics_dirty" ("order_id") SELECT "id" FROM "orders"
ON CONFLICT ("order_id") DO UPDATE SET "marked_at" = CURRENT_TIMESTAMP;

-- RFM cells: customers per merchant (and '*' for all), channel, payment method, UTC day of the last
-- purchase and F and M scores, kept from the customer rows' old and new values in the same refresh,
-- so segments read a few thousand cells instead of one row per customer (decision 073).
CREATE TABLE "analytics_customer_cells" (
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "last_day" DATE NOT NULL,
    "f" SMALLINT NOT NULL,
    "m" SMALLINT NOT NULL,
    "customers" BIGINT NOT NULL DEFAULT 0,
    "orders" BIGINT NOT NULL DEFAULT 0,
    "monetary" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "analytics_customer_cells_pkey" PRIMARY KEY ("merchant_id", "channel", "payment_method", "last_day", "f", "m")
);

-- Bounded analytics reads on a million orders (issue 14, docs/analytics.md, decisions 085, 086 and 087).

-- Monthly grain for the SKU families (grain = 'month', bucket = the UTC month): a year per SKU is 12
-- rows and the edge days, not 365. UTC days nest in UTC months, so the monthly rows are the sums of
-- the daily rows already there; the refresher keeps them from now on like the other grains.
INSERT INTO "analytics_products" ("merchant_id", "channel", "payment_method", "grain", "bucket", "sku",
    "n", "units", "revenue", "refunded_units", "returned_units")
SELECT "merchant_id", "channel", "payment_method", 'month', date_trunc('month', "bucket", 'UTC'), "sku",
    SUM("n"), SUM("units"), SUM("revenue"), SUM("refunded_units"), SUM("returned_units")
FROM "analytics_products" WHERE "grain" = 'day'
GROUP BY 1, 2, 3, 5, 6;

INSERT INTO "analytics_after_sales" ("merchant_id", "channel", "payment_method", "grain", "bucket", "sku",
    "type", "reason", "warehouse_id", "courier", "n", "units")
SELECT "merchant_id", "channel", "payment_method", 'month', date_trunc('month', "bucket", 'UTC'), "sku",
    "type", "reason", "warehouse_id", "courier", SUM("n"), SUM("units")
FROM "analytics_after_sales" WHERE "grain" = 'day'
GROUP BY 1, 2, 3, 5, 6, 7, 8, 9, 10;

-- Repeat-purchase cohort cells: customers per merchant (and '*' for all), channel, payment method
-- and UTC hour of the first purchase, and how many bought twice; kept from the customer rows' old
-- and new values in the same refresh, like the RFM cells.
CREATE TABLE "analytics_cohort_cells" (
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "first_hour" TIMESTAMPTZ(3) NOT NULL,
    "customers" BIGINT NOT NULL DEFAULT 0,
    "repeaters" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "analytics_cohort_cells_pkey" PRIMARY KEY ("merchant_id", "channel", "payment_method", "first_hour")
);
INSERT INTO "analytics_cohort_cells" ("merchant_id", "channel", "payment_method", "first_hour", "customers", "repeaters")
SELECT m."merchant_id", c."channel", c."payment_method", date_trunc('hour', c."first_order_at", 'UTC'),
    count(*), count(*) FILTER (WHERE c."orders" >= 2)
FROM "analytics_customers" c CROSS JOIN LATERAL (VALUES (c."merchant_id"), ('*')) m("merchant_id")
GROUP BY 1, 2, 3, 4;

-- A past period's cohort customers who came back only after it ended are read by second order.
CREATE INDEX "analytics_customers_merchant_id_channel_payment_method_seco_idx" ON "analytics_customers"("merchant_id", "channel", "payment_method", "second_order_at");
CREATE INDEX "analytics_customers_channel_payment_method_second_order_at_idx" ON "analytics_customers"("channel", "payment_method", "second_order_at");

-- Local days of the default zone for the sales series (grain 'day:Asia/Shanghai', bucket = the
-- local midnight, decision 087): a year by day there is 365 rows, not 8,760 hourly ones. The hourly
-- rows of sales hold every filter combination, so their sums are these rows exactly.
INSERT INTO "analytics_sales" ("merchant_id", "channel", "payment_method", "grain", "bucket",
    "n", "units", "gmv", "refunded", "net_sales", "paid", "shipped", "delivered", "completed", "cancelled", "rejected")
SELECT "merchant_id", "channel", "payment_method", 'day:Asia/Shanghai', date_trunc('day', "bucket", 'Asia/Shanghai'),
    SUM("n"), SUM("units"), SUM("gmv"), SUM("refunded"), SUM("net_sales"), SUM("paid"), SUM("shipped"),
    SUM("delivered"), SUM("completed"), SUM("cancelled"), SUM("rejected")
FROM "analytics_sales" WHERE "grain" = 'hour'
GROUP BY 1, 2, 3, 5;

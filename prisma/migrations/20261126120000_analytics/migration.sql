-- Analytics rollups (issue 14, docs/analytics.md, decision 065). Facts are derived per order from the
-- read model; rollups sum them per UTC hour and per UTC day, for every combination of merchant,
-- channel and payment method including '*' (all), so a query reads a few thousand rows at most.
-- Triggers mark an order "dirty" whenever a row the facts read changes; the refresher
-- (store/analytics/refresh.ts) recomputes the facts of dirty orders and adds the difference to the
-- rollups, so nothing in the order workflow's projection had to change.

CREATE TABLE "analytics_dirty" (
    "order_id" TEXT NOT NULL,
    "marked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "analytics_dirty_pkey" PRIMARY KEY ("order_id")
);

CREATE TABLE "analytics_order_facts" (
    "order_id" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "n" BIGINT NOT NULL,
    "units" BIGINT NOT NULL,
    "gmv" BIGINT NOT NULL,
    "refunded" BIGINT NOT NULL,
    "net_sales" BIGINT NOT NULL,
    "paid" BIGINT NOT NULL,
    "shipped" BIGINT NOT NULL,
    "delivered" BIGINT NOT NULL,
    "completed" BIGINT NOT NULL,
    "cancelled" BIGINT NOT NULL,
    "rejected" BIGINT NOT NULL,

    CONSTRAINT "analytics_order_facts_pkey" PRIMARY KEY ("order_id")
);
CREATE TABLE "analytics_sales" (
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "grain" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,
    "units" BIGINT NOT NULL DEFAULT 0,
    "gmv" BIGINT NOT NULL DEFAULT 0,
    "refunded" BIGINT NOT NULL DEFAULT 0,
    "net_sales" BIGINT NOT NULL DEFAULT 0,
    "paid" BIGINT NOT NULL DEFAULT 0,
    "shipped" BIGINT NOT NULL DEFAULT 0,
    "delivered" BIGINT NOT NULL DEFAULT 0,
    "completed" BIGINT NOT NULL DEFAULT 0,
    "cancelled" BIGINT NOT NULL DEFAULT 0,
    "rejected" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "analytics_sales_pkey" PRIMARY KEY ("merchant_id", "channel", "payment_method", "grain", "bucket")
);

CREATE TABLE "analytics_outcome_facts" (
    "order_id" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "n" BIGINT NOT NULL,
    "gmv" BIGINT NOT NULL,

    CONSTRAINT "analytics_outcome_facts_pkey" PRIMARY KEY ("order_id")
);
CREATE TABLE "analytics_outcomes" (
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "grain" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "outcome" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,
    "gmv" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "analytics_outcomes_pkey" PRIMARY KEY ("merchant_id", "channel", "payment_method", "grain", "bucket", "outcome", "reason")
);

CREATE TABLE "analytics_line_facts" (
    "order_id" TEXT NOT NULL,
    "line_no" INTEGER NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "n" BIGINT NOT NULL,
    "units" BIGINT NOT NULL,
    "revenue" BIGINT NOT NULL,
    "refunded_units" BIGINT NOT NULL,
    "returned_units" BIGINT NOT NULL,

    CONSTRAINT "analytics_line_facts_pkey" PRIMARY KEY ("order_id", "line_no")
);
CREATE TABLE "analytics_products" (
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "grain" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "sku" TEXT NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,
    "units" BIGINT NOT NULL DEFAULT 0,
    "revenue" BIGINT NOT NULL DEFAULT 0,
    "refunded_units" BIGINT NOT NULL DEFAULT 0,
    "returned_units" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "analytics_products_pkey" PRIMARY KEY ("merchant_id", "channel", "payment_method", "grain", "bucket", "sku")
);

CREATE TABLE "analytics_after_sales_facts" (
    "order_id" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "item" INTEGER NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "courier" TEXT NOT NULL,
    "n" BIGINT NOT NULL,
    "units" BIGINT NOT NULL,

    CONSTRAINT "analytics_after_sales_facts_pkey" PRIMARY KEY ("order_id", "request_id", "item")
);
CREATE TABLE "analytics_after_sales" (
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "grain" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "sku" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "courier" TEXT NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,
    "units" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "analytics_after_sales_pkey" PRIMARY KEY ("merchant_id", "channel", "payment_method", "grain", "bucket", "sku", "type", "reason", "warehouse_id", "courier")
);

CREATE TABLE "analytics_shipment_facts" (
    "order_id" TEXT NOT NULL,
    "shipment_id" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "courier" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "n" BIGINT NOT NULL,
    "picked_up" BIGINT NOT NULL,
    "pickup_seconds" BIGINT NOT NULL,
    "delivered" BIGINT NOT NULL,
    "delivery_seconds" BIGINT NOT NULL,
    "failed_attempts" BIGINT NOT NULL,
    "returned" BIGINT NOT NULL,

    CONSTRAINT "analytics_shipment_facts_pkey" PRIMARY KEY ("order_id", "shipment_id")
);
CREATE TABLE "analytics_couriers" (
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "grain" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "courier" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,
    "picked_up" BIGINT NOT NULL DEFAULT 0,
    "pickup_seconds" BIGINT NOT NULL DEFAULT 0,
    "delivered" BIGINT NOT NULL DEFAULT 0,
    "delivery_seconds" BIGINT NOT NULL DEFAULT 0,
    "failed_attempts" BIGINT NOT NULL DEFAULT 0,
    "returned" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "analytics_couriers_pkey" PRIMARY KEY ("merchant_id", "channel", "payment_method", "grain", "bucket", "courier", "warehouse_id")
);

CREATE TABLE "analytics_shipped_facts" (
    "order_id" TEXT NOT NULL,
    "shipment_id" TEXT NOT NULL,
    "item" INTEGER NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "n" BIGINT NOT NULL,
    "units" BIGINT NOT NULL,

    CONSTRAINT "analytics_shipped_facts_pkey" PRIMARY KEY ("order_id", "shipment_id", "item")
);
CREATE TABLE "analytics_shipped" (
    "merchant_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "grain" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "sku" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,
    "units" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "analytics_shipped_pkey" PRIMARY KEY ("merchant_id", "channel", "payment_method", "grain", "bucket", "sku", "warehouse_id")
);

-- Rollup rows by time alone: a period's edge hours are read across every merchant and SKU.
CREATE INDEX "analytics_sales_grain_bucket_idx" ON "analytics_sales"("grain", "bucket");
CREATE INDEX "analytics_outcomes_grain_bucket_idx" ON "analytics_outcomes"("grain", "bucket");
CREATE INDEX "analytics_products_grain_bucket_idx" ON "analytics_products"("grain", "bucket");
CREATE INDEX "analytics_after_sales_grain_bucket_idx" ON "analytics_after_sales"("grain", "bucket");
CREATE INDEX "analytics_couriers_grain_bucket_idx" ON "analytics_couriers"("grain", "bucket");
CREATE INDEX "analytics_shipped_grain_bucket_idx" ON "analytics_shipped"("grain", "bucket");
-- SKU rollups keep no '*' merchant rows: "all merchants" is read by channel and method.
CREATE INDEX "analytics_products_channel_payment_method_grain_bucket_idx" ON "analytics_products"("channel", "payment_method", "grain", "bucket");
CREATE INDEX "analytics_after_sales_channel_payment_method_grain_bucket_idx" ON "analytics_after_sales"("channel", "payment_method", "grain", "bucket");
CREATE INDEX "analytics_shipped_channel_payment_method_grain_bucket_idx" ON "analytics_shipped"("channel", "payment_method", "grain", "bucket");

-- Dirty marks: one row per touched order. A repeated mark UPDATEs the row (never DO NOTHING): the
-- refresher deletes marks under REPEATABLE READ, so a mark touched by a write committed after its
-- snapshot makes that DELETE fail and the batch is retried; a write committed after the DELETE
-- inserts a new mark. No change is lost between two refreshes (store/analytics/refresh.ts).
CREATE FUNCTION analytics_mark(TEXT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO analytics_dirty (order_id) VALUES ($1)
    ON CONFLICT (order_id) DO UPDATE SET marked_at = CURRENT_TIMESTAMP;
$$;

CREATE FUNCTION analytics_mark_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics_mark(CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END $$;

CREATE FUNCTION analytics_mark_order_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics_mark(CASE WHEN TG_OP = 'DELETE' THEN OLD.order_id ELSE NEW.order_id END);
    RETURN NULL;
END $$;

CREATE FUNCTION analytics_mark_tracking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics_mark(s.order_id) FROM shipments s WHERE s.id = NEW.shipment_id;
    RETURN NULL;
END $$;

CREATE TRIGGER analytics_orders AFTER INSERT OR UPDATE OR DELETE ON "orders"
    FOR EACH ROW EXECUTE FUNCTION analytics_mark_order();
CREATE TRIGGER analytics_order_lines AFTER INSERT OR UPDATE OR DELETE ON "order_lines"
    FOR EACH ROW EXECUTE FUNCTION analytics_mark_order_child();
CREATE TRIGGER analytics_payments AFTER INSERT OR UPDATE OR DELETE ON "payments"
    FOR EACH ROW EXECUTE FUNCTION analytics_mark_order_child();
CREATE TRIGGER analytics_refunds AFTER INSERT OR UPDATE OR DELETE ON "refunds"
    FOR EACH ROW EXECUTE FUNCTION analytics_mark_order_child();
CREATE TRIGGER analytics_shipments AFTER INSERT OR UPDATE OR DELETE ON "shipments"
    FOR EACH ROW EXECUTE FUNCTION analytics_mark_order_child();
CREATE TRIGGER analytics_after_sales AFTER INSERT OR UPDATE OR DELETE ON "after_sales_requests"
    FOR EACH ROW EXECUTE FUNCTION analytics_mark_order_child();
CREATE TRIGGER analytics_tracking AFTER INSERT ON "tracking_events"
    FOR EACH ROW EXECUTE FUNCTION analytics_mark_tracking();

-- Orders already in the database are facts to compute on the first refresh.
INSERT INTO "analytics_dirty" ("order_id") SELECT "id" FROM "orders";

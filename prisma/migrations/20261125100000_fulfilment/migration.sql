-- Orders waiting for a restock (SPEC §3 step 4): served first come, first served per SKU.
CREATE TABLE "backorders" (
    "order_id" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "line_no" INTEGER NOT NULL,
    "quantity" INTEGER NOT NULL,
    "province" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'waiting',
    "queued_at" TIMESTAMPTZ(3) NOT NULL,
    "allocated_at" TIMESTAMPTZ(3),

    CONSTRAINT "backorders_pkey" PRIMARY KEY ("order_id","sku"),
    CONSTRAINT "backorders_quantity_positive" CHECK ("quantity" > 0)
);
CREATE INDEX "backorders_sku_state_queued_at_idx" ON "backorders"("sku", "state", "queued_at");
ALTER TABLE "backorders" ADD CONSTRAINT "backorders_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Notification outbox (SPEC §8): written by the workflow, delivered once by the dispatcher.
CREATE TABLE "notifications" (
    "id" TEXT NOT NULL,
    "order_id" TEXT,
    "recipient_type" TEXT NOT NULL,
    "recipient_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "notifications_status_next_attempt_at_idx" ON "notifications"("status", "next_attempt_at");
CREATE INDEX "notifications_order_id_idx" ON "notifications"("order_id");

-- Conditions support must look at (merchant SLA expired, COD mismatch, ...), projected by the workflow.
ALTER TABLE "orders" ADD COLUMN "flags" JSONB NOT NULL DEFAULT '[]';

-- Failed delivery attempts so far, shown with the shipment.
ALTER TABLE "shipments" ADD COLUMN "delivery_attempts" INTEGER NOT NULL DEFAULT 0;

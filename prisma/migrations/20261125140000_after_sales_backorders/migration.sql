-- Backorders of after-sales replacements (issue 5): a waiter is no longer only an order. An
-- exchange whose replacement is short may wait for a restock in the same FIFO queue as orders.
--   holder_id:   whose stock holds a restock pass creates (stock_holds.order_id): the order's id, or
--                the after-sales request's id for a replacement;
--   workflow_id: the workflow a restock signals (`order-<id>` or `after-sales-<requestId>`).
-- order_id stays the order the waiter belongs to (cascades with it). Existing rows are orders'.
ALTER TABLE "backorders" ADD COLUMN "holder_id" TEXT, ADD COLUMN "workflow_id" TEXT;
UPDATE "backorders" SET "holder_id" = "order_id", "workflow_id" = 'order-' || "order_id";
ALTER TABLE "backorders" ALTER COLUMN "holder_id" SET NOT NULL, ALTER COLUMN "workflow_id" SET NOT NULL;

ALTER TABLE "backorders" DROP CONSTRAINT "backorders_pkey";
ALTER TABLE "backorders" ADD CONSTRAINT "backorders_pkey" PRIMARY KEY ("holder_id", "sku");
CREATE INDEX "backorders_order_id_idx" ON "backorders"("order_id");

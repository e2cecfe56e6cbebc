-- After-sales (SPEC §7): each request's read model, written by its child workflow.
-- CreateTable
CREATE TABLE "after_sales_requests" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "snapshot" JSONB NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "after_sales_requests_pkey" PRIMARY KEY ("id")
);

-- Units of a request put back on hand after inspection, one row per line: restocking is idempotent.
-- CreateTable
CREATE TABLE "after_sales_restocks" (
    "request_id" TEXT NOT NULL,
    "line_no" INTEGER NOT NULL,
    "sku" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "after_sales_restocks_pkey" PRIMARY KEY ("request_id","line_no")
);

-- Membership points: an append-only ledger per customer; the id makes each credit or reversal happen once.
-- CreateTable
CREATE TABLE "points_entries" (
    "id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "order_id" TEXT,
    "delta" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "points_entries_pkey" PRIMARY KEY ("id")
);

-- Single-use coupons issued to a customer (compensation).
-- CreateTable
CREATE TABLE "coupons" (
    "code" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "order_id" TEXT,
    "after_sales_id" TEXT,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'issued',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "redeemed_at" TIMESTAMPTZ(3),

    CONSTRAINT "coupons_pkey" PRIMARY KEY ("code")
);

-- CreateIndex
CREATE INDEX "after_sales_requests_order_id_idx" ON "after_sales_requests"("order_id");

-- CreateIndex
CREATE INDEX "after_sales_requests_merchant_id_created_at_idx" ON "after_sales_requests"("merchant_id", "created_at");

-- CreateIndex
CREATE INDEX "points_entries_customer_id_created_at_idx" ON "points_entries"("customer_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "coupons_after_sales_id_key" ON "coupons"("after_sales_id");

-- CreateIndex
CREATE INDEX "coupons_customer_id_idx" ON "coupons"("customer_id");

-- AddForeignKey
ALTER TABLE "after_sales_requests" ADD CONSTRAINT "after_sales_requests_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "points_entries" ADD CONSTRAINT "points_entries_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "coupons" ADD CONSTRAINT "coupons_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Hand-written: CHECK constraints Prisma's schema language cannot express.
ALTER TABLE "after_sales_restocks" ADD CONSTRAINT "after_sales_restocks_quantity_positive_check" CHECK ("quantity" > 0);
ALTER TABLE "points_entries" ADD CONSTRAINT "points_entries_delta_nonzero_check" CHECK ("delta" <> 0);
ALTER TABLE "coupons" ADD CONSTRAINT "coupons_amount_positive_check" CHECK ("amount" > 0);
-- A line can never come back more often than it was delivered.
ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_returned_within_delivered_check" CHECK ("returned" <= "delivered");

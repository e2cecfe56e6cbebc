-- Support flags raised at the edge (issue 11): a provider's notification that disagrees with the
-- engine's books (amount, currency) flags the order with both values. The workflow's own flags stay
-- in orders.flags (the projection rewrites that column); these are appended, never rewritten.
CREATE TABLE "order_flags" (
    "id" BIGSERIAL NOT NULL,
    "order_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "detail" JSONB NOT NULL DEFAULT '{}',
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "order_flags_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "order_flags_order_id_idx" ON "order_flags"("order_id");
ALTER TABLE "order_flags" ADD CONSTRAINT "order_flags_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

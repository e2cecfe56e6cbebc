-- Membership tiers and points earned at completion (issue 12; docs/pricing.md "Membership", decision 072).

-- One row per completed order, written in the order's projection transaction: what the customer paid
-- for it less refunds (its growth value, kept current by every later projection, newest version
-- wins), and the tier bonus its completion earned. The tier is the sum over the last 12 months.
CREATE TABLE "membership_orders" (
    "order_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "completed_at" TIMESTAMPTZ(3) NOT NULL,
    "paid" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "tier" TEXT NOT NULL,
    "points_multiplier" DOUBLE PRECISION NOT NULL,
    "base_points" INTEGER NOT NULL,
    "bonus_points" INTEGER NOT NULL,
    "bonus_reversed" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "membership_orders_pkey" PRIMARY KEY ("order_id"),
    CONSTRAINT "membership_orders_check" CHECK ("paid" >= 0 AND "bonus_points" >= 0 AND "bonus_reversed" BETWEEN 0 AND "bonus_points")
);

CREATE INDEX "membership_orders_customer_id_completed_at_idx" ON "membership_orders"("customer_id", "completed_at");

ALTER TABLE "membership_orders" ADD CONSTRAINT "membership_orders_customer_id_fkey"
    FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Orders completed before this migration count towards growth from their read model (they earned no
-- tier bonus: tier '-', multiplier 1). A later projection of the same order keeps its row current.
INSERT INTO "membership_orders" ("order_id", "customer_id", "completed_at", "paid", "version", "tier", "points_multiplier", "base_points", "bonus_points")
SELECT o."id", o."customer_id", (o."snapshot"->>'completedAt')::timestamptz,
       GREATEST(0, COALESCE((SELECT sum((p->>'captured')::int - (p->>'refunded')::int)
                             FROM jsonb_array_elements(o."snapshot"->'payments') p), 0)),
       o."version", '-', 1, COALESCE((o."snapshot"->'points'->>'credited')::int, 0), 0
FROM "orders" o
WHERE o."snapshot" ? 'completedAt';

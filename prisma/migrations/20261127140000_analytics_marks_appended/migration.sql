-- Dirty marks are appended, never updated (docs/decisions/116): a write marks its order with a new
-- row, so it never waits for a refresher that is deleting that order's earlier marks in its open
-- transaction (the upsert on order_id did, 200-300 ms under load). The refresher deletes the marks
-- its snapshot sees; one written after that snapshot is a row it cannot see, left for its next batch.
ALTER TABLE "analytics_dirty" DROP CONSTRAINT "analytics_dirty_pkey";
ALTER TABLE "analytics_dirty" ADD COLUMN "id" BIGSERIAL NOT NULL;
ALTER TABLE "analytics_dirty" ADD CONSTRAINT "analytics_dirty_pkey" PRIMARY KEY ("id");
CREATE INDEX "analytics_dirty_order_id_idx" ON "analytics_dirty"("order_id");

CREATE OR REPLACE FUNCTION analytics_mark(TEXT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO analytics_dirty (order_id) VALUES ($1);
$$;

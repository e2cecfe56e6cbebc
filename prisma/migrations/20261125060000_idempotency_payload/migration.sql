-- The accepted order input, kept with its Idempotency-Key so a replay can start the very same
-- order (same prices, same time) if the first attempt died before starting its workflow.
ALTER TABLE "idempotency_records" ADD COLUMN "payload" JSONB;

-- Support's audit log (issue 6): every operation a support key attempts on an order, with who,
-- why, when and how it ended (succeeded / refused / failed). Rows are only ever inserted.
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "actor_name" TEXT NOT NULL,
    "actor_role" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "order_id" TEXT,
    "reason" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "status_code" INTEGER NOT NULL,
    "details" JSONB NOT NULL DEFAULT '{}',
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_log_outcome_check" CHECK ("outcome" IN ('succeeded', 'refused', 'failed'))
);

CREATE INDEX "audit_log_order_id_id_idx" ON "audit_log"("order_id", "id");
CREATE INDEX "audit_log_operation_id_idx" ON "audit_log"("operation", "id");

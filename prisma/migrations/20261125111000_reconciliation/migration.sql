-- Reconciliation (issue 4): each scheduled run compares the providers' books (simulator_records) with
-- ours (payments, refunds) and keeps the differences for support (GET /v1/ops/reconciliation).
CREATE TABLE "reconciliation_runs" (
    "id" TEXT NOT NULL,
    "window_from" TIMESTAMPTZ(3) NOT NULL,
    "window_to" TIMESTAMPTZ(3) NOT NULL,
    "captures_checked" INTEGER NOT NULL,
    "refunds_checked" INTEGER NOT NULL,
    "differences" INTEGER NOT NULL,
    "finished_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reconciliation_runs_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "reconciliation_runs_finished_at_id_idx" ON "reconciliation_runs"("finished_at", "id");

CREATE TABLE "reconciliation_differences" (
    "id" BIGSERIAL NOT NULL,
    "run_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "provider" TEXT,
    "order_id" TEXT,
    "payment_id" TEXT,
    "refund_id" TEXT,
    "reference" TEXT,
    "ours" INTEGER,
    "theirs" INTEGER,

    CONSTRAINT "reconciliation_differences_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "reconciliation_differences_kind_check" CHECK ("kind" IN ('missing_capture', 'unknown_capture', 'amount_mismatch', 'unknown_refund', 'missing_refund', 'unconfirmed_refund'))
);

CREATE INDEX "reconciliation_differences_run_id_idx" ON "reconciliation_differences"("run_id");

ALTER TABLE "reconciliation_differences" ADD CONSTRAINT "reconciliation_differences_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "reconciliation_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

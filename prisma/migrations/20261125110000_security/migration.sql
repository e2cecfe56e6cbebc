-- Risk control (issue 4): frozen accounts, velocity signals and the blocklist. Phones and addresses
-- are kept only as SHA-256 fingerprints of their normalized form (domain/risk.ts riskIdentity).
ALTER TABLE "customers" ADD COLUMN "frozen_at" TIMESTAMPTZ(3),
ADD COLUMN "frozen_reason" TEXT,
ADD COLUMN "frozen_by" TEXT;

-- One row per order and identity kind, written by the risk activity (idempotent per order).
CREATE TABLE "risk_signals" (
    "order_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "risk_signals_pkey" PRIMARY KEY ("order_id", "kind"),
    CONSTRAINT "risk_signals_kind_check" CHECK ("kind" IN ('phone', 'address'))
);

CREATE INDEX "risk_signals_kind_fingerprint_created_at_idx" ON "risk_signals"("kind", "fingerprint", "created_at");

CREATE TABLE "risk_blocklist" (
    "kind" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "added_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "risk_blocklist_pkey" PRIMARY KEY ("kind", "fingerprint"),
    CONSTRAINT "risk_blocklist_kind_check" CHECK ("kind" IN ('customer', 'phone', 'address'))
);

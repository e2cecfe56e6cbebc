-- Card payments are authorized at payment and captured at hand-over (issue 4). What is given back
-- before the capture is released from the authorization instead of refunded: voided_amount on the
-- payment, and a refund decision of kind 'release'.
ALTER TABLE "payments" ADD COLUMN "voided_amount" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "refunds" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'refund';
-- Released and captured together never exceed what was authorized.
ALTER TABLE "payments" ADD CONSTRAINT "payments_voided_within_amount_check" CHECK ("voided_amount" >= 0 AND "voided_amount" + "captured_amount" <= "amount");
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_kind_check" CHECK ("kind" IN ('refund', 'release'));

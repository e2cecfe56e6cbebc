-- Reconciliation compares money that moved (issue 11): releases (refunds of kind 'release', lowering
-- an uncaptured card authorization) are no longer compared with the provider's refunds but with its
-- authorizations; a disagreement is a `release_mismatch`.
ALTER TABLE "reconciliation_differences" DROP CONSTRAINT "reconciliation_differences_kind_check";
ALTER TABLE "reconciliation_differences" ADD CONSTRAINT "reconciliation_differences_kind_check" CHECK ("kind" IN ('missing_capture', 'unknown_capture', 'amount_mismatch', 'unknown_refund', 'missing_refund', 'unconfirmed_refund', 'release_mismatch'));

-- Refunds confirmed asynchronously (issue 4): a wallet refund stays `pending` until the provider's
-- signed refund.succeeded / refund.failed notification; `confirmed_at` records when it came. Card and
-- cash-on-delivery refunds are confirmed by the provider's answer itself.
ALTER TABLE "refunds" ADD COLUMN "confirmed_at" TIMESTAMPTZ(3);

-- Refunds recorded before were confirmed when they were made.
UPDATE "refunds" SET "confirmed_at" = "created_at" WHERE "status" <> 'pending';

ALTER TABLE "refunds" ADD CONSTRAINT "refunds_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed'));

-- Secret rotation without a gap (docs/notifications.md "Rotating the secret", decision 074): after a
-- rotation the previous secret signs beside the new one until it expires, so receivers can switch
-- to the new secret at their own pace.
ALTER TABLE "webhook_subscriptions" ADD COLUMN "previous_secret" TEXT,
    ADD COLUMN "previous_secret_expires_at" TIMESTAMPTZ(3),
    ADD CONSTRAINT "webhook_subscriptions_previous_secret_check"
        CHECK (("previous_secret" IS NULL) = ("previous_secret_expires_at" IS NULL));

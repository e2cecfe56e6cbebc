-- Deliveries of a disabled subscription wait as 'parked' (docs/notifications.md, decision 091): park the
-- ones disabled subscriptions left pending, which every claim of the dispatcher scanned past.
UPDATE "webhook_deliveries" d SET "status" = 'parked', "updated_at" = now()
FROM "webhook_subscriptions" s
WHERE s."id" = d."subscription_id" AND NOT s."enabled" AND d."status" = 'pending';

-- Outbound events expire (docs/notifications.md "Retention"): deleting one cascades to its deliveries,
-- found by event id.
CREATE INDEX "webhook_deliveries_event_id_idx" ON "webhook_deliveries"("event_id");

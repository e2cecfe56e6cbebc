-- Notification preferences (SPEC §11, docs/notifications.md).
CREATE TABLE "notification_preferences" (
    "customer_id" TEXT NOT NULL,
    "channels" JSONB NOT NULL,
    "locale" TEXT NOT NULL,
    "quiet_hours" JSONB,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_preferences_pkey" PRIMARY KEY ("customer_id"),
    CONSTRAINT "notification_preferences_locale_check" CHECK ("locale" IN ('zh-CN', 'en'))
);

-- Low stock: one row per SKU and warehouse while its available stock stays under the threshold.
CREATE TABLE "low_stock_alerts" (
    "sku" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "available" INTEGER NOT NULL,
    "since" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "low_stock_alerts_pkey" PRIMARY KEY ("sku", "warehouse_id")
);


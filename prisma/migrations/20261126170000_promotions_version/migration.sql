-- The version of the promotion definitions (docs/pricing.md "Performance", decision 082): every
-- statement that writes `promotions`, by any path (the API, a seed, a hand-written UPDATE), moves it
-- on. Each process keeps the definitions in memory and each quote reads this one row in the same
-- statement (the same snapshot) as its other reads, so a cache that is behind is noticed at once.
-- The row lock a writer takes is held until it commits, so versions commit in order.
CREATE TABLE "promotions_version" (
    "id" SMALLINT NOT NULL DEFAULT 1,
    "version" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "promotions_version_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "promotions_version_one_row" CHECK ("id" = 1)
);
INSERT INTO "promotions_version" ("id", "version") VALUES (1, 0);

CREATE FUNCTION promotions_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE promotions_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER promotions_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "promotions"
    FOR EACH STATEMENT EXECUTE FUNCTION promotions_version_bump();

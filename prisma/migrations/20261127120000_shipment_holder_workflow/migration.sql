-- A parcel an order of lifecycle version 3 follows itself has no workflow of its own
-- (docs/decisions/100): the logistics webhook signals the workflow named here. Null for the
-- shipments that are their own workflows (id = workflow id: version 1 and 2 orders, after-sales parcels).
ALTER TABLE "shipments" ADD COLUMN "holder_workflow_id" TEXT;

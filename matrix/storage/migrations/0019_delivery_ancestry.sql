-- Delivery by ancestry: a commit's parents (so a deployment ships exactly the commits its own
-- commit reaches), and the deployments made to remediate an incident (the 2024 DORA report's
-- deployment rework rate).

-- migrate:up
ALTER TABLE commits ADD COLUMN parents TEXT;

ALTER TABLE deployments ADD COLUMN hotfix BOOLEAN DEFAULT FALSE;

ALTER TABLE deployments ADD COLUMN remediates TEXT;

-- migrate:down
ALTER TABLE deployments DROP COLUMN remediates;

ALTER TABLE deployments DROP COLUMN hotfix;

ALTER TABLE commits DROP COLUMN parents;

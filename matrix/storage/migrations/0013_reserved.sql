-- Intentionally empty: this number was reserved while the schema changes around it were
-- developed, and none needed it. Migration numbers stay contiguous, so it stays as a no-op.

-- migrate:up
SELECT 1;

-- migrate:down
SELECT 1;

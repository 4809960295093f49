-- On DuckDB, telemetry is rewritten month by month in tenant order so that a tenant's query
-- skips the other tenants' row groups (matrix/storage/layout.py); this records how far it is
-- sorted. PostgreSQL deployments read telemetry from the analytics store instead.

-- migrate:up
-- only: duckdb
CREATE TABLE telemetry_layout (
    table_name   TEXT PRIMARY KEY,
    sorted_until TIMESTAMPTZ NOT NULL,
    rows         BIGINT NOT NULL,
    sorted_at    TIMESTAMPTZ NOT NULL
);

-- migrate:down
-- only: duckdb
DROP TABLE telemetry_layout;

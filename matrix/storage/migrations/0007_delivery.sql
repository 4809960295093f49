-- Delivery and cost sources: the origin's worklog and costlog, test results, commits,
-- deployments and incidents. Rows are tenant-scoped like everything else.

-- migrate:up
CREATE TABLE worklog (
    entry_id       TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    work_date      DATE NOT NULL,
    start_at       TIMESTAMPTZ,
    end_at         TIMESTAMPTZ,
    duration_hours DOUBLE PRECISION NOT NULL,
    phase          TEXT NOT NULL,
    feature        TEXT NOT NULL,
    task_ref       TEXT,
    actor          TEXT NOT NULL,
    status         TEXT NOT NULL,
    notes          TEXT,
    source         TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE costlog (
    entry_id    TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    cost_date   DATE NOT NULL,
    provider    TEXT NOT NULL,
    service     TEXT NOT NULL,
    environment TEXT NOT NULL,
    amount_brl  DECIMAL(14, 2) NOT NULL,
    amount_usd  DECIMAL(14, 2) NOT NULL,
    category    TEXT NOT NULL,
    reference   TEXT,
    source      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE test_results (
    result_id   TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    suite       TEXT NOT NULL,
    classname   TEXT,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL,
    duration_s  DOUBLE PRECISION,
    recorded_at TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

-- migrate:down
DROP TABLE test_results;
DROP TABLE costlog;
DROP TABLE worklog;

-- Gate history: every gate of every run, so delivery metrics and dashboards can use it.

-- migrate:up
CREATE TABLE gate_runs (
    tenant_id        TEXT NOT NULL,
    run_id           TEXT NOT NULL,
    gate_id          TEXT NOT NULL,
    title            TEXT NOT NULL,
    verdict          TEXT NOT NULL,
    duration_seconds DOUBLE PRECISION NOT NULL,
    commit_sha       TEXT,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ NOT NULL,
    report_dir       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, run_id, gate_id)
);

-- migrate:down
DROP TABLE gate_runs;

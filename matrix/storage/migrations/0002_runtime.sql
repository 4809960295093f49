-- The concierge runtime: tenant runtime config and its secrets, the approval queue, the task
-- queue, and the ledger of side effects that makes retried tasks safe.

-- migrate:up
CREATE TABLE tenant_config (
    tenant_id  TEXT PRIMARY KEY,
    config     TEXT NOT NULL,
    version    BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Secrets live apart from the config so that no export or summary of the config can carry them.
CREATE TABLE tenant_secrets (
    tenant_id  TEXT NOT NULL,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE approvals (
    confirmation_id   TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL,
    status            TEXT NOT NULL,
    reason_code       TEXT,
    task_type         TEXT NOT NULL,
    target_module     TEXT NOT NULL,
    priority          TEXT NOT NULL,
    route_rule_id     TEXT NOT NULL,
    policy_rule_id    TEXT NOT NULL,
    correlation_id    TEXT NOT NULL,
    trace_id          TEXT NOT NULL,
    owner_command_id  TEXT NOT NULL,
    request_snapshot  TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    resolved_at       TIMESTAMPTZ,
    resolved_by       TEXT,
    resolution_reason TEXT,
    task_id           TEXT
);

-- only: postgres
CREATE INDEX approvals_tenant_status ON approvals (tenant_id, status, created_at);

CREATE TABLE task_queue (
    task_id          TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    task_type        TEXT NOT NULL,
    target_module    TEXT NOT NULL,
    priority         TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    max_attempts     INTEGER NOT NULL,
    available_at     TIMESTAMPTZ NOT NULL,
    claimed_by       TEXT,
    claimed_at       TIMESTAMPTZ,
    lease_expires_at TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    error_code       TEXT,
    error_message    TEXT,
    result_summary   TEXT,
    correlation_id   TEXT NOT NULL,
    trace_id         TEXT NOT NULL,
    command_id       TEXT NOT NULL,
    command          TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

-- only: postgres
CREATE INDEX task_queue_due ON task_queue (status, available_at);

CREATE TABLE side_effects (
    idempotency_key TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    task_id         TEXT,
    kind            TEXT NOT NULL,
    result          TEXT,
    created_at      TIMESTAMPTZ NOT NULL
);

-- migrate:down
DROP TABLE side_effects;
DROP TABLE task_queue;
DROP TABLE approvals;
DROP TABLE tenant_secrets;
DROP TABLE tenant_config;

-- Delivery history for the DORA metrics: commits, deployments (code and config) and incidents.

-- migrate:up
CREATE TABLE commits (
    commit_id    TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    repo         TEXT NOT NULL,
    sha          TEXT NOT NULL,
    author       TEXT,
    authored_at  TIMESTAMPTZ NOT NULL,
    committed_at TIMESTAMPTZ NOT NULL,
    is_merge     BOOLEAN NOT NULL,
    subject      TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE deployments (
    deployment_id TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    service       TEXT NOT NULL,
    version       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    commit_sha    TEXT,
    deployed_at   TIMESTAMPTZ NOT NULL,
    status        TEXT NOT NULL,
    simulated     BOOLEAN NOT NULL,
    source        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE incidents (
    incident_id   TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    title         TEXT NOT NULL,
    severity      TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    resolved_at   TIMESTAMPTZ,
    deployment_id TEXT,
    simulated     BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- migrate:down
DROP TABLE incidents;
DROP TABLE deployments;
DROP TABLE commits;

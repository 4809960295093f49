-- Core tables: tenants, the append-only command/event log, and telemetry.
-- Portable SQL: the same statements run on DuckDB and PostgreSQL. A statement that follows a
-- line "-- only: <dialect>" runs on that dialect alone.

-- migrate:up
CREATE TABLE tenants (
    tenant_id    TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'active',
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE SEQUENCE event_log_seq START 1;

CREATE TABLE event_log (
    seq            BIGINT NOT NULL DEFAULT nextval('event_log_seq'),
    envelope_id    TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    tenant_id      TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    causation_id   TEXT,
    trace_id       TEXT NOT NULL,
    source_module  TEXT NOT NULL,
    target_module  TEXT NOT NULL,
    status         TEXT,
    occurred_at    TIMESTAMPTZ NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL,
    envelope       TEXT NOT NULL
);

-- only: postgres
CREATE INDEX event_log_trace ON event_log (tenant_id, correlation_id, seq);

-- only: postgres
CREATE INDEX event_log_tenant_time ON event_log (tenant_id, occurred_at);

CREATE TABLE telemetry (
    tenant_id        TEXT NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL,
    kind             TEXT NOT NULL,
    name             TEXT NOT NULL,
    module           TEXT,
    status           TEXT NOT NULL,
    latency_ms       DOUBLE PRECISION,
    provider         TEXT,
    model            TEXT,
    feature          TEXT,
    correlation_id   TEXT,
    input_tokens     BIGINT,
    cached_tokens    BIGINT,
    output_tokens    BIGINT,
    reasoning_tokens BIGINT,
    audio_seconds    DOUBLE PRECISION,
    error_code       TEXT
);

-- only: postgres
CREATE INDEX telemetry_tenant_time ON telemetry (tenant_id, recorded_at);

-- migrate:down
DROP TABLE telemetry;
DROP TABLE event_log;
DROP SEQUENCE event_log_seq;
DROP TABLE tenants;

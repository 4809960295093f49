-- Natural keys. The inbox upserts by them, so concurrent webhooks neither fail nor store twice;
-- the messages matrix sent carry the delivery state the provider reports for them; and an
-- envelope is identified within its tenant, so two tenants may use the same envelope id.

-- migrate:up
-- PostgreSQL already has this one (0003, partial); DuckDB treats NULLs as distinct, so no WHERE.
-- only: duckdb
CREATE UNIQUE INDEX crm_leads_external_key ON crm_leads (tenant_id, external_key);

CREATE UNIQUE INDEX crm_messages_provider ON crm_messages (tenant_id, provider_message_id);

ALTER TABLE outbound_messages ADD COLUMN delivery_state TEXT;

ALTER TABLE outbound_messages ADD COLUMN delivery_updated_at TIMESTAMPTZ;

-- only: postgres
CREATE INDEX outbound_provider_message ON outbound_messages (tenant_id, provider_message_id);

-- An envelope is identified by (tenant_id, envelope_id). DuckDB cannot change a primary key in
-- place, so the table is rebuilt; PostgreSQL swaps the constraint.
-- only: postgres
ALTER TABLE event_log DROP CONSTRAINT event_log_pkey;

-- only: postgres
ALTER TABLE event_log ADD CONSTRAINT event_log_pkey PRIMARY KEY (tenant_id, envelope_id);

-- only: duckdb
CREATE TABLE event_log_rekeyed (
    seq            BIGINT NOT NULL DEFAULT nextval('event_log_seq'),
    envelope_id    TEXT NOT NULL,
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
    envelope       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, envelope_id)
);

-- only: duckdb
INSERT INTO event_log_rekeyed SELECT * FROM event_log;

-- only: duckdb
DROP TABLE event_log;

-- only: duckdb
ALTER TABLE event_log_rekeyed RENAME TO event_log;

-- migrate:down
-- Refused while two tenants share an envelope id: the old key cannot hold both.
-- only: postgres
ALTER TABLE event_log DROP CONSTRAINT event_log_pkey;

-- only: postgres
ALTER TABLE event_log ADD CONSTRAINT event_log_pkey PRIMARY KEY (envelope_id);

-- only: duckdb
CREATE TABLE event_log_rekeyed (
    seq            BIGINT NOT NULL DEFAULT nextval('event_log_seq'),
    envelope_id    TEXT NOT NULL,
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
    envelope       TEXT NOT NULL,
    PRIMARY KEY (envelope_id)
);

-- only: duckdb
INSERT INTO event_log_rekeyed SELECT * FROM event_log;

-- only: duckdb
DROP TABLE event_log;

-- only: duckdb
ALTER TABLE event_log_rekeyed RENAME TO event_log;

-- only: postgres
DROP INDEX outbound_provider_message;

-- DuckDB cannot drop a column of a table that has an index; drop and restore the index around it.
-- only: duckdb
DROP INDEX outbound_idempotency;

ALTER TABLE outbound_messages DROP COLUMN delivery_updated_at;

ALTER TABLE outbound_messages DROP COLUMN delivery_state;

-- only: duckdb
CREATE UNIQUE INDEX outbound_idempotency ON outbound_messages (tenant_id, idempotency_key);

DROP INDEX crm_messages_provider;

-- only: duckdb
DROP INDEX crm_leads_external_key;

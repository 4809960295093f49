-- Inbound webhooks race-free: natural keys the inbox upserts by, and the delivery state of the
-- messages matrix sent, so a provider's receipt lands on the outbound row it reports on.

-- migrate:up
-- PostgreSQL already has this one (0003, partial); DuckDB treats NULLs as distinct, so no WHERE.
-- only: duckdb
CREATE UNIQUE INDEX crm_leads_external_key ON crm_leads (tenant_id, external_key);

CREATE UNIQUE INDEX crm_messages_provider ON crm_messages (tenant_id, provider_message_id);

ALTER TABLE outbound_messages ADD COLUMN delivery_state TEXT;

ALTER TABLE outbound_messages ADD COLUMN delivery_updated_at TIMESTAMPTZ;

-- only: postgres
CREATE INDEX outbound_provider_message ON outbound_messages (tenant_id, provider_message_id);

-- migrate:down
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

-- Persona 2, the WhatsApp agent: who handles each conversation (the agent, a human's queue, or a
-- named person), the audit of everything the agent suggested, did or was stopped from doing (one
-- row per attempt; an executed request keeps its result under its client request id, so a
-- repeated request returns it, across restarts), and the inbound messages waiting for the
-- agent's automatic handling (filed in the webhook's transaction, handled by the scheduler).

-- migrate:up
ALTER TABLE crm_conversations ADD COLUMN handler TEXT DEFAULT 'agent';

ALTER TABLE crm_conversations ADD COLUMN handler_user TEXT;

ALTER TABLE crm_conversations ADD COLUMN handoff_reason TEXT;

CREATE TABLE crm_ai_actions (
    action_id         TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL,
    conversation_id   TEXT NOT NULL,
    lead_id           TEXT,
    action            TEXT NOT NULL,
    status            TEXT NOT NULL,
    request_key       TEXT,
    client_request_id TEXT,
    reason_code       TEXT,
    confidence        DOUBLE PRECISION,
    suggested_stage   TEXT,
    draft             TEXT,
    provider          TEXT,
    model             TEXT,
    details           TEXT NOT NULL,
    actor             TEXT NOT NULL,
    correlation_id    TEXT NOT NULL,
    trace_id          TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL
);

CREATE INDEX crm_ai_actions_conversation ON crm_ai_actions (tenant_id, conversation_id, created_at);

-- only: postgres
CREATE UNIQUE INDEX crm_ai_actions_request ON crm_ai_actions (tenant_id, request_key) WHERE request_key IS NOT NULL;

CREATE TABLE crm_ai_inbox (
    item_id         TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_row_id  TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    available_at    TIMESTAMPTZ NOT NULL,
    outcome         TEXT,
    correlation_id  TEXT NOT NULL,
    trace_id        TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE INDEX crm_ai_inbox_due ON crm_ai_inbox (status, available_at);

-- only: postgres
CREATE UNIQUE INDEX crm_ai_inbox_message ON crm_ai_inbox (tenant_id, message_row_id);

-- migrate:down
-- only: postgres
DROP INDEX crm_ai_inbox_message;

DROP INDEX crm_ai_inbox_due;

DROP TABLE crm_ai_inbox;

-- only: postgres
DROP INDEX crm_ai_actions_request;

DROP INDEX crm_ai_actions_conversation;

DROP TABLE crm_ai_actions;

-- DuckDB alters no column of a table that an index depends on: the contact index goes first.
-- only: duckdb
DROP INDEX crm_conversations_contact;

ALTER TABLE crm_conversations DROP COLUMN handoff_reason;

ALTER TABLE crm_conversations DROP COLUMN handler_user;

ALTER TABLE crm_conversations DROP COLUMN handler;

-- only: duckdb
CREATE UNIQUE INDEX crm_conversations_contact ON crm_conversations (tenant_id, contact_e164);

-- Persona 2's inbox: conversations, their messages, and the receipts that drop replayed webhooks.

-- migrate:up
CREATE TABLE crm_conversations (
    conversation_id      TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL,
    contact_e164         TEXT NOT NULL,
    display_name         TEXT,
    lead_id              TEXT,
    last_message_preview TEXT,
    last_message_at      TIMESTAMPTZ,
    unread_count         INTEGER NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX crm_conversations_contact ON crm_conversations (tenant_id, contact_e164);

CREATE TABLE crm_messages (
    message_row_id      TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL,
    conversation_id     TEXT NOT NULL,
    provider_message_id TEXT,
    direction           TEXT NOT NULL,
    message_type        TEXT NOT NULL,
    text                TEXT,
    delivery_state      TEXT NOT NULL,
    occurred_at         TIMESTAMPTZ NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_receipts (
    receipt_id  TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX webhook_receipts_event ON webhook_receipts (tenant_id, event_id);

-- migrate:down
DROP INDEX webhook_receipts_event;
DROP TABLE webhook_receipts;
DROP TABLE crm_messages;
DROP INDEX crm_conversations_contact;
DROP TABLE crm_conversations;

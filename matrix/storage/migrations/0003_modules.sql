-- Business modules: customers, CRM leads and their stage history, agenda, billing, and the
-- outbound WhatsApp queue that Persona 2 works through.

-- migrate:up
CREATE TABLE customers (
    customer_id   TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    external_key  TEXT,
    display_name  TEXT NOT NULL,
    primary_phone TEXT,
    primary_email TEXT,
    origin        TEXT NOT NULL,
    status        TEXT NOT NULL,
    lead_id       TEXT,
    merged_into   TEXT,
    metadata      TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- only: postgres
CREATE UNIQUE INDEX customers_external_key ON customers (tenant_id, external_key) WHERE external_key IS NOT NULL;

CREATE TABLE customer_merges (
    merge_id           TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL,
    kept_customer_id   TEXT NOT NULL,
    merged_customer_id TEXT NOT NULL,
    actor              TEXT NOT NULL,
    reason             TEXT,
    snapshot           TEXT NOT NULL,
    merged_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE crm_leads (
    lead_id        TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    external_key   TEXT,
    display_name   TEXT NOT NULL,
    phone_e164     TEXT NOT NULL,
    source_channel TEXT NOT NULL,
    stage          TEXT NOT NULL,
    customer_id    TEXT,
    metadata       TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

-- only: postgres
CREATE UNIQUE INDEX crm_leads_external_key ON crm_leads (tenant_id, external_key) WHERE external_key IS NOT NULL;

CREATE TABLE crm_lead_stage_history (
    history_id  TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    lead_id     TEXT NOT NULL,
    from_stage  TEXT NOT NULL,
    to_stage    TEXT NOT NULL,
    trigger     TEXT NOT NULL,
    reason_code TEXT,
    actor       TEXT NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE agenda_appointments (
    appointment_id TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    external_key   TEXT,
    customer_id    TEXT,
    title          TEXT NOT NULL,
    start_at       TIMESTAMPTZ NOT NULL,
    end_at         TIMESTAMPTZ NOT NULL,
    timezone       TEXT NOT NULL,
    status         TEXT NOT NULL,
    correlation_id TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE agenda_reminders (
    reminder_id    TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    schedule_at    TIMESTAMPTZ NOT NULL,
    channel        TEXT NOT NULL,
    message        TEXT NOT NULL,
    phone_e164     TEXT,
    status         TEXT NOT NULL,
    dispatch_id    TEXT,
    error_code     TEXT,
    correlation_id TEXT NOT NULL,
    trace_id       TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE billing_charges (
    charge_id        TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    external_key     TEXT,
    customer_id      TEXT NOT NULL,
    amount           DECIMAL(14, 2) NOT NULL,
    currency         TEXT NOT NULL,
    due_date         DATE NOT NULL,
    status           TEXT NOT NULL,
    collection_state TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE billing_payments (
    payment_id   TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    charge_id    TEXT NOT NULL,
    external_key TEXT,
    amount       DECIMAL(14, 2) NOT NULL,
    currency     TEXT NOT NULL,
    paid_at      TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE outbound_messages (
    message_id          TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL,
    idempotency_key     TEXT NOT NULL,
    context_type        TEXT NOT NULL,
    context_id          TEXT NOT NULL,
    phone_e164          TEXT NOT NULL,
    text                TEXT NOT NULL,
    status              TEXT NOT NULL,
    attempts            INTEGER NOT NULL,
    max_attempts        INTEGER NOT NULL,
    available_at        TIMESTAMPTZ NOT NULL,
    provider_message_id TEXT,
    error_code          TEXT,
    error_message       TEXT,
    correlation_id      TEXT NOT NULL,
    trace_id            TEXT NOT NULL,
    causation_id        TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX outbound_idempotency ON outbound_messages (tenant_id, idempotency_key);

-- migrate:down
DROP INDEX outbound_idempotency;
DROP TABLE outbound_messages;
DROP TABLE billing_payments;
DROP TABLE billing_charges;
DROP TABLE agenda_reminders;
DROP TABLE agenda_appointments;
DROP TABLE crm_lead_stage_history;
DROP TABLE crm_leads;
DROP TABLE customer_merges;
DROP TABLE customers;

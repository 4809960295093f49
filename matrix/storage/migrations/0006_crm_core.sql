-- CRM core: accounts, contacts, deals, activities, CRM to-dos, and campaigns.

-- migrate:up
CREATE TABLE crm_accounts (
    account_id      TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    external_key    TEXT,
    name            TEXT NOT NULL,
    document_number TEXT,
    status          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE crm_contacts (
    contact_id   TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    account_id   TEXT,
    external_key TEXT,
    display_name TEXT NOT NULL,
    phone_e164   TEXT,
    email        TEXT,
    status       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE crm_deals (
    deal_id      TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    lead_id      TEXT,
    account_id   TEXT,
    contact_id   TEXT,
    external_key TEXT,
    title        TEXT NOT NULL,
    stage        TEXT NOT NULL,
    amount       DECIMAL(14, 2),
    currency     TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE crm_activities (
    activity_id TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    deal_id     TEXT,
    contact_id  TEXT,
    kind        TEXT NOT NULL,
    title       TEXT,
    body        TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE crm_todos (
    todo_id    TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    deal_id    TEXT,
    title      TEXT NOT NULL,
    due_at     TIMESTAMPTZ,
    status     TEXT NOT NULL,
    priority   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE crm_campaigns (
    campaign_id  TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    external_key TEXT,
    name         TEXT NOT NULL,
    audience     TEXT NOT NULL,
    message      TEXT NOT NULL,
    state        TEXT NOT NULL,
    scheduled_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- migrate:down
DROP TABLE crm_campaigns;
DROP TABLE crm_todos;
DROP TABLE crm_activities;
DROP TABLE crm_deals;
DROP TABLE crm_contacts;
DROP TABLE crm_accounts;

-- CRM records get the fields the origin's CRM had and ours lacked: who owns an account or a deal,
-- an account's legal name, industry and website, a contact's job title, a deal's expected close
-- date, an activity's author, a to-do's contact, description and assignee, and metadata on each;
-- a campaign's audience is named audience_segment, as the origin named it. Saved views and
-- scheduled follow-ups get their own tables. On PostgreSQL, creates by external key store one row
-- under concurrency (insert_once needs a unique key to skip on).

-- migrate:up
ALTER TABLE crm_accounts ADD COLUMN legal_name TEXT;

ALTER TABLE crm_accounts ADD COLUMN industry TEXT;

ALTER TABLE crm_accounts ADD COLUMN website TEXT;

ALTER TABLE crm_accounts ADD COLUMN owner_user_id TEXT;

ALTER TABLE crm_accounts ADD COLUMN metadata TEXT DEFAULT '{}';

ALTER TABLE crm_contacts ADD COLUMN job_title TEXT;

ALTER TABLE crm_contacts ADD COLUMN metadata TEXT DEFAULT '{}';

ALTER TABLE crm_deals ADD COLUMN expected_close_date DATE;

ALTER TABLE crm_deals ADD COLUMN owner_user_id TEXT;

ALTER TABLE crm_deals ADD COLUMN metadata TEXT DEFAULT '{}';

ALTER TABLE crm_activities ADD COLUMN author_user_id TEXT;

ALTER TABLE crm_todos ADD COLUMN contact_id TEXT;

ALTER TABLE crm_todos ADD COLUMN description TEXT;

ALTER TABLE crm_todos ADD COLUMN assignee_user_id TEXT;

ALTER TABLE crm_campaigns RENAME COLUMN audience TO audience_segment;

ALTER TABLE crm_campaigns ADD COLUMN metadata TEXT DEFAULT '{}';

CREATE TABLE crm_views (
    view_id       TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    owner_user_id TEXT,
    name          TEXT NOT NULL,
    scope         TEXT NOT NULL,
    module        TEXT NOT NULL,
    is_default    BOOLEAN NOT NULL,
    filters       TEXT NOT NULL,
    columns       TEXT NOT NULL,
    sort          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE crm_followups (
    followup_id         TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL,
    external_key        TEXT,
    campaign_id         TEXT,
    lead_id             TEXT,
    customer_id         TEXT,
    phone_e164          TEXT NOT NULL,
    message             TEXT NOT NULL,
    channel             TEXT NOT NULL,
    schedule_at         TIMESTAMPTZ NOT NULL,
    status              TEXT NOT NULL,
    provider_message_id TEXT,
    last_error_code     TEXT,
    last_error_message  TEXT,
    metadata            TEXT NOT NULL,
    correlation_id      TEXT NOT NULL,
    trace_id            TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);

-- only: postgres
CREATE UNIQUE INDEX crm_followups_external_key ON crm_followups (tenant_id, external_key) WHERE external_key IS NOT NULL;

-- only: postgres
CREATE UNIQUE INDEX crm_accounts_external_key ON crm_accounts (tenant_id, external_key) WHERE external_key IS NOT NULL;

-- only: postgres
CREATE UNIQUE INDEX crm_contacts_external_key ON crm_contacts (tenant_id, external_key) WHERE external_key IS NOT NULL;

-- only: postgres
CREATE UNIQUE INDEX crm_deals_external_key ON crm_deals (tenant_id, external_key) WHERE external_key IS NOT NULL;

-- only: postgres
CREATE UNIQUE INDEX crm_campaigns_external_key ON crm_campaigns (tenant_id, external_key) WHERE external_key IS NOT NULL;

-- migrate:down
-- only: postgres
DROP INDEX crm_campaigns_external_key;

-- only: postgres
DROP INDEX crm_deals_external_key;

-- only: postgres
DROP INDEX crm_contacts_external_key;

-- only: postgres
DROP INDEX crm_accounts_external_key;

DROP TABLE crm_followups;

DROP TABLE crm_views;

ALTER TABLE crm_campaigns DROP COLUMN metadata;

ALTER TABLE crm_campaigns RENAME COLUMN audience_segment TO audience;

ALTER TABLE crm_todos DROP COLUMN assignee_user_id;

ALTER TABLE crm_todos DROP COLUMN description;

ALTER TABLE crm_todos DROP COLUMN contact_id;

ALTER TABLE crm_activities DROP COLUMN author_user_id;

ALTER TABLE crm_deals DROP COLUMN metadata;

ALTER TABLE crm_deals DROP COLUMN owner_user_id;

ALTER TABLE crm_deals DROP COLUMN expected_close_date;

ALTER TABLE crm_contacts DROP COLUMN metadata;

ALTER TABLE crm_contacts DROP COLUMN job_title;

ALTER TABLE crm_accounts DROP COLUMN metadata;

ALTER TABLE crm_accounts DROP COLUMN owner_user_id;

ALTER TABLE crm_accounts DROP COLUMN website;

ALTER TABLE crm_accounts DROP COLUMN industry;

ALTER TABLE crm_accounts DROP COLUMN legal_name;

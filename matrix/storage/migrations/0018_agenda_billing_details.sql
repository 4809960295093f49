-- What the agenda and billing records carry for the owner's console: an appointment's description
-- and metadata; a reminder's external key, the contact it is for and its metadata; a charge's
-- metadata; a payment's status (a failed payment is kept but settles nothing) and metadata. And
-- one record per external key under concurrent creates, as the other modules have.

-- migrate:up
ALTER TABLE agenda_appointments ADD COLUMN description TEXT;

ALTER TABLE agenda_appointments ADD COLUMN metadata TEXT;

ALTER TABLE agenda_reminders ADD COLUMN external_key TEXT;

ALTER TABLE agenda_reminders ADD COLUMN contact_id TEXT;

ALTER TABLE agenda_reminders ADD COLUMN metadata TEXT;

ALTER TABLE billing_charges ADD COLUMN metadata TEXT;

-- Every payment recorded before this version was a confirmed one.
ALTER TABLE billing_payments ADD COLUMN status TEXT DEFAULT 'confirmed';

ALTER TABLE billing_payments ADD COLUMN metadata TEXT;

-- DuckDB has one writer at a time, so creates read the key first there (see Table.insert_once).
-- only: postgres
CREATE UNIQUE INDEX agenda_appointments_external_key ON agenda_appointments (tenant_id, external_key) WHERE external_key IS NOT NULL;

-- only: postgres
CREATE UNIQUE INDEX agenda_reminders_external_key ON agenda_reminders (tenant_id, external_key) WHERE external_key IS NOT NULL;

-- only: postgres
CREATE UNIQUE INDEX billing_charges_external_key ON billing_charges (tenant_id, external_key) WHERE external_key IS NOT NULL;

-- only: postgres
CREATE UNIQUE INDEX billing_payments_external_key ON billing_payments (tenant_id, external_key) WHERE external_key IS NOT NULL;

-- migrate:down
-- only: postgres
DROP INDEX billing_payments_external_key;

-- only: postgres
DROP INDEX billing_charges_external_key;

-- only: postgres
DROP INDEX agenda_reminders_external_key;

-- only: postgres
DROP INDEX agenda_appointments_external_key;

ALTER TABLE billing_payments DROP COLUMN metadata;

ALTER TABLE billing_payments DROP COLUMN status;

ALTER TABLE billing_charges DROP COLUMN metadata;

ALTER TABLE agenda_reminders DROP COLUMN metadata;

ALTER TABLE agenda_reminders DROP COLUMN contact_id;

ALTER TABLE agenda_reminders DROP COLUMN external_key;

ALTER TABLE agenda_appointments DROP COLUMN metadata;

ALTER TABLE agenda_appointments DROP COLUMN description;

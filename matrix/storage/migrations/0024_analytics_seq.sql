-- Telemetry rows get a monotonic sequence number, as the event log has, so the analytics sync
-- copies each row once by its number instead of re-reading the table.

-- migrate:up
CREATE SEQUENCE telemetry_seq START 1;

ALTER TABLE telemetry ADD COLUMN seq BIGINT DEFAULT nextval('telemetry_seq');

-- only: postgres
CREATE INDEX telemetry_seq_order ON telemetry (seq);

-- only: postgres
CREATE INDEX event_log_seq_order ON event_log (seq);

-- migrate:down
-- only: postgres
DROP INDEX event_log_seq_order;

-- only: postgres
DROP INDEX telemetry_seq_order;

ALTER TABLE telemetry DROP COLUMN seq;

DROP SEQUENCE telemetry_seq;

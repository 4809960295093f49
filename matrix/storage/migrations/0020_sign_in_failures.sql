-- Failed sign-ins per username and per client address, kept in the store so that every process
-- of the web server counts them together (guesses spread over workers still lock the account).
-- The server keys (the generated session secret) are sealed like the platform's secrets from
-- this version on; rolling this migration back leaves them sealed, which this version still reads.

-- migrate:up
CREATE TABLE sign_in_failures (
    subject      TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    last_at      TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ
);

-- only: postgres
CREATE INDEX sign_in_failures_last_at ON sign_in_failures (last_at);

-- migrate:down
DROP TABLE sign_in_failures;

-- API bearer tokens, stored only as a keyed hash (HMAC-SHA256 under the token pepper), each bound
-- to one tenant or, for admin tokens, to the platform; and the platform's own secrets (the token
-- pepper), encrypted like the tenants' secrets.
--
-- Tenant secrets are encrypted in place from this version on (the value column holds ciphertext);
-- rolling this migration back leaves them encrypted, which this version of matrix still reads.

-- migrate:up
CREATE TABLE api_tokens (
    token_id   TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    tenant_id  TEXT,
    admin      BOOLEAN NOT NULL,
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    last_four  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

-- only: postgres
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id, created_at);

-- The key that encrypts these values never lives in the store: it comes from MATRIX_SECRET_KEY
-- or, for an embedded DuckDB file, from a key file beside it.
CREATE TABLE platform_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- migrate:down
DROP TABLE platform_secrets;
DROP TABLE api_tokens;

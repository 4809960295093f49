-- Sign-in sessions of the web server (stored so that signing out or expiry ends them for every
-- copy of the cookie) and the keys the server generates for itself when none is configured.

-- migrate:up
CREATE TABLE web_sessions (
    session_hash TEXT PRIMARY KEY,
    username     TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_by_user ON web_sessions (username);
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- migrate:down
DROP TABLE server_keys;
DROP INDEX web_sessions_by_user;
DROP TABLE web_sessions;

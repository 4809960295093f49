-- Dashboard users: admins see every tenant, managers only the tenants listed for them.

-- migrate:up
CREATE TABLE dashboard_users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    tenants       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- migrate:down
DROP TABLE dashboard_users;

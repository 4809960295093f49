-- Memory: a session's turns (short memory, the last N kept) and its counters, episodes (medium
-- memory, one per threshold of turns), long-memory entries with their search terms, vectors
-- (one per entry and embedding model, never compared across models) and an append-only audit of
-- every change; and the re-embedding schedules with their runs.

-- migrate:up
CREATE TABLE memory_sessions (
    tenant_id    TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    turn_count   BIGINT NOT NULL,
    last_ts      TIMESTAMPTZ NOT NULL,
    last_role    TEXT NOT NULL,
    last_preview TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, session_id)
);

CREATE TABLE memory_turns (
    tenant_id  TEXT NOT NULL,
    session_id TEXT NOT NULL,
    turn_no    BIGINT NOT NULL,
    role       TEXT NOT NULL,
    content    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, session_id, turn_no)
);

CREATE TABLE memory_episodes (
    episode_id     TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    session_id     TEXT NOT NULL,
    turn_count     BIGINT NOT NULL,
    first_turn     BIGINT NOT NULL,
    last_turn      BIGINT NOT NULL,
    summary        TEXT NOT NULL,
    summary_source TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    -- summaries asked of the tenant provider: failed attempts, and when to try again
    summary_attempts INTEGER NOT NULL DEFAULT 0,
    summary_retry_at TIMESTAMPTZ,
    UNIQUE (tenant_id, session_id, turn_count)
);

CREATE INDEX memory_episodes_summary ON memory_episodes (summary_source, created_at);

-- An entry is identified within its tenant (a client may choose its memory_id, as it may an
-- envelope id): another tenant's entry with the same id is its own.
CREATE TABLE memory_entries (
    memory_id     TEXT NOT NULL,
    tenant_id     TEXT NOT NULL,
    session_id    TEXT NOT NULL,
    external_key  TEXT,
    source        TEXT NOT NULL,
    content       TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    subject_key   TEXT,
    tags          TEXT NOT NULL,
    salience      DOUBLE PRECISION NOT NULL,
    status        TEXT NOT NULL,
    valid_at      TIMESTAMPTZ NOT NULL,
    invalid_at    TIMESTAMPTZ,
    superseded_by TEXT,
    source_turns  TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    doc_len       INTEGER NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, memory_id)
);

CREATE INDEX memory_entries_tenant ON memory_entries (tenant_id, status, created_at);

CREATE INDEX memory_entries_hash ON memory_entries (tenant_id, content_hash);

-- only: postgres
CREATE UNIQUE INDEX memory_entries_external_key ON memory_entries (tenant_id, external_key) WHERE external_key IS NOT NULL;

CREATE TABLE memory_terms (
    tenant_id TEXT NOT NULL,
    memory_id TEXT NOT NULL,
    term      TEXT NOT NULL,
    tf        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, term, memory_id)
);

-- only: duckdb
CREATE TABLE memory_vectors (
    tenant_id  TEXT NOT NULL,
    memory_id  TEXT NOT NULL,
    model      TEXT NOT NULL,
    dimension  INTEGER NOT NULL,
    vector     FLOAT[] NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, memory_id, model)
);

-- only: postgres
CREATE TABLE memory_vectors (
    tenant_id  TEXT NOT NULL,
    memory_id  TEXT NOT NULL,
    model      TEXT NOT NULL,
    dimension  INTEGER NOT NULL,
    vector     REAL[] NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, memory_id, model)
);

CREATE TABLE memory_audit (
    audit_id       TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    memory_id      TEXT NOT NULL,
    action         TEXT NOT NULL,
    old_status     TEXT,
    new_status     TEXT,
    old_value      TEXT,
    new_value      TEXT,
    reason_code    TEXT NOT NULL,
    actor          TEXT NOT NULL,
    details        TEXT NOT NULL,
    correlation_id TEXT,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE INDEX memory_audit_entry ON memory_audit (tenant_id, memory_id, created_at);

CREATE TABLE memory_reembed_schedules (
    tenant_id        TEXT PRIMARY KEY,
    enabled          BOOLEAN NOT NULL,
    interval_minutes INTEGER NOT NULL,
    limit_items      INTEGER NOT NULL,
    mode             TEXT NOT NULL,
    last_run_at      TIMESTAMPTZ,
    next_run_at      TIMESTAMPTZ,
    last_result      TEXT,
    lock_owner       TEXT,
    lock_until       TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE memory_reembed_runs (
    run_id      TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    trigger     TEXT NOT NULL,
    status      TEXT NOT NULL,
    dry_run     BOOLEAN NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    details     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX memory_reembed_runs_tenant ON memory_reembed_runs (tenant_id, created_at);

-- migrate:down
DROP INDEX memory_reembed_runs_tenant;

DROP TABLE memory_reembed_runs;

DROP TABLE memory_reembed_schedules;

DROP INDEX memory_audit_entry;

DROP TABLE memory_audit;

DROP TABLE memory_vectors;

DROP TABLE memory_terms;

-- only: postgres
DROP INDEX memory_entries_external_key;

DROP INDEX memory_entries_hash;

DROP INDEX memory_entries_tenant;

DROP TABLE memory_entries;

DROP INDEX memory_episodes_summary;

DROP TABLE memory_episodes;

DROP TABLE memory_turns;

DROP TABLE memory_sessions;

-- AI prices with effective dates (platform-wide), and the audit of every price change.

-- migrate:up
CREATE TABLE model_prices (
    price_id              TEXT PRIMARY KEY,
    provider              TEXT NOT NULL,
    model                 TEXT NOT NULL,
    effective_from        TIMESTAMPTZ NOT NULL,
    input_per_mtok        DOUBLE PRECISION NOT NULL,
    cached_input_per_mtok DOUBLE PRECISION NOT NULL,
    output_per_mtok       DOUBLE PRECISION NOT NULL,
    audio_per_minute      DOUBLE PRECISION NOT NULL,
    note                  TEXT,
    created_by            TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL
);

CREATE TABLE price_audit (
    audit_id       TEXT PRIMARY KEY,
    provider       TEXT NOT NULL,
    model          TEXT NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    rows_repriced  BIGINT NOT NULL,
    old_total_usd  DOUBLE PRECISION,
    new_total_usd  DOUBLE PRECISION NOT NULL,
    actor          TEXT NOT NULL,
    changed_at     TIMESTAMPTZ NOT NULL
);

-- migrate:down
DROP TABLE price_audit;
DROP TABLE model_prices;

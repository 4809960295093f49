-- Subscription plans: what each tenant pays per month, from a date (the revenue side of margin).

-- migrate:up
CREATE TABLE tenant_plans (
    tenant_id       TEXT NOT NULL,
    effective_from  TIMESTAMPTZ NOT NULL,
    plan            TEXT NOT NULL,
    monthly_fee_usd DOUBLE PRECISION NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, effective_from)
);

-- migrate:down
DROP TABLE tenant_plans;

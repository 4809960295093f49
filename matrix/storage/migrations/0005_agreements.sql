-- Agreements (legal contracts): versioned templates per tenant and the documents rendered from them.

-- migrate:up
CREATE TABLE agreement_templates (
    template_id  TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    template_key TEXT NOT NULL,
    version      INTEGER NOT NULL,
    title        TEXT NOT NULL,
    fields       TEXT NOT NULL,
    clauses      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX agreement_templates_version ON agreement_templates (tenant_id, template_key, version);

CREATE TABLE agreement_documents (
    document_id      TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    template_id      TEXT NOT NULL,
    template_key     TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    customer_id      TEXT NOT NULL,
    field_values     TEXT NOT NULL,
    markdown         TEXT NOT NULL,
    docx_base64      TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL
);

-- migrate:down
DROP TABLE agreement_documents;
DROP INDEX agreement_templates_version;
DROP TABLE agreement_templates;

"""The agreements module's spec: what it brings to the runtime, the scheduler, the CLI and storage."""

from __future__ import annotations

from matrix.modules.registry import ModuleSpec, TableSpec

# fmt: off
SPEC = ModuleSpec(
    name="agreements",
    commands="matrix.modules.agreements.commands:agreements",
    tables=(
        TableSpec(attr="agreement_templates", name="agreement_templates", key="template_id", columns=(
            "template_id", "tenant_id", "template_key", "version", "title", "fields", "clauses",
            "created_at",
        )),
        TableSpec(attr="agreement_documents", name="agreement_documents", key="document_id", columns=(
            "document_id", "tenant_id", "template_id", "template_key", "template_version",
            "customer_id", "field_values", "markdown", "docx_base64", "created_at",
        )),
    ),
)
# fmt: on

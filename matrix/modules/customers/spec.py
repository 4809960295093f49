"""The customers module's spec: what it brings to the runtime, the scheduler, the CLI and storage."""

from __future__ import annotations

from matrix.modules.customers.handlers import HANDLERS
from matrix.modules.registry import ModuleSpec, TableSpec

# fmt: off
SPEC = ModuleSpec(
    name="customers",
    handlers=HANDLERS,
    commands="matrix.modules.customers.commands:customers",
    tables=(
        TableSpec(attr="customers", name="customers", key="customer_id", columns=(
            "customer_id", "tenant_id", "external_key", "display_name", "primary_phone",
            "primary_email", "origin", "status", "lead_id", "merged_into", "metadata", "created_at",
            "updated_at",
        )),
        TableSpec(attr="customer_merges", name="customer_merges", key="merge_id", columns=(
            "merge_id", "tenant_id", "kept_customer_id", "merged_customer_id", "actor", "reason",
            "snapshot", "merged_at",
        )),
    ),
)
# fmt: on

"""The billing module's spec: what it brings to the runtime, the scheduler, the CLI and storage."""

from __future__ import annotations

from matrix.modules.billing import service
from matrix.modules.billing.handlers import HANDLERS
from matrix.modules.registry import ModuleSpec, TableSpec

# fmt: off
SPEC = ModuleSpec(
    name="billing",
    handlers=HANDLERS,
    outcomes={"collection": service.on_outcome},
    commands="matrix.modules.billing.commands:billing",
    tables=(
        TableSpec(attr="charges", name="billing_charges", key="charge_id", columns=(
            "charge_id", "tenant_id", "external_key", "customer_id", "amount", "currency", "due_date",
            "status", "collection_state", "created_at", "updated_at", "metadata",
        )),
        TableSpec(attr="payments", name="billing_payments", key="payment_id", columns=(
            "payment_id", "tenant_id", "charge_id", "external_key", "amount", "currency", "paid_at",
            "created_at", "status", "metadata",
        )),
    ),
)
# fmt: on

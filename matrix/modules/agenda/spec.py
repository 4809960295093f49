"""The agenda module's spec: what it brings to the runtime, the scheduler, the CLI and storage."""

from __future__ import annotations

from matrix.modules.agenda import service
from matrix.modules.agenda.handlers import HANDLERS
from matrix.modules.registry import JobContext, JobSpec, ModuleSpec, TableSpec


def _reminders(ctx: JobContext) -> int:
    return service.dispatch_due(ctx.store, ctx.clock)


# fmt: off
SPEC = ModuleSpec(
    name="agenda",
    handlers=HANDLERS,
    jobs=(JobSpec(name="reminders", every_seconds=5.0, run=_reminders),),
    outcomes={"reminder": service.on_outcome},
    commands="matrix.modules.agenda.commands:agenda",
    tables=(
        TableSpec(attr="appointments", name="agenda_appointments", key="appointment_id", columns=(
            "appointment_id", "tenant_id", "external_key", "customer_id", "title", "start_at", "end_at",
            "timezone", "status", "correlation_id", "created_at", "updated_at", "description", "metadata",
        )),
        TableSpec(attr="reminders", name="agenda_reminders", key="reminder_id", columns=(
            "reminder_id", "tenant_id", "appointment_id", "schedule_at", "channel", "message",
            "phone_e164", "status", "dispatch_id", "error_code", "correlation_id", "trace_id",
            "created_at", "updated_at", "external_key", "contact_id", "metadata",
        )),
    ),
)
# fmt: on

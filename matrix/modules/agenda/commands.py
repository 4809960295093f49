"""``matrix agenda``: a tenant's appointments with their reminders."""

from __future__ import annotations

import click

from matrix.cli import (
    CONTEXT,
    emit,
    json_option,
    open_existing,
    storage_option,
    table,
    tenant_option,
)


@click.group(context_settings=CONTEXT)
def agenda() -> None:
    """Agenda (module 04): appointments and their reminders."""


@agenda.command("list")
@tenant_option
@storage_option
@json_option
def agenda_list(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """Appointments with their reminder status."""
    with open_existing(storage_url) as store:
        reminders = {
            r["appointment_id"]: r for r in store.modules.reminders.find(tenant_id, limit=10_000)
        }
        rows = [{**a, "reminder": reminders.get(a["appointment_id"], {}).get("status")}
                for a in store.modules.appointments.find(tenant_id, order="start_at", limit=10_000)]  # fmt: skip
    emit(
        rows,
        as_json,
        lambda r: table(r, ("appointment_id", "title", "start_at", "status", "reminder")),
    )

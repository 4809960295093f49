"""``matrix agenda``: a tenant's appointments with their reminders."""

from __future__ import annotations

import click

from matrix.cli.options import CONTEXT, open_existing
from matrix.cli.output import emit, table
from matrix.modules.agenda import service
from matrix.modules.commands import tenant_command


@click.group(context_settings=CONTEXT)
def agenda() -> None:
    """Agenda (module 04): appointments and their reminders."""


@agenda.command("list")
@tenant_command
def agenda_list(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """Appointments with their reminder status."""
    with open_existing(storage_url) as store:
        rows = service.appointments(store, tenant_id)
    emit(
        rows,
        as_json,
        lambda r: table(r, ("appointment_id", "title", "start_at", "status", "reminder")),
    )

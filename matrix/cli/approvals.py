"""``matrix approvals``: the confirmations the owner gives before a task runs."""

from __future__ import annotations

from typing import Any

import click

from matrix.cli.options import (
    CONTEXT,
    F,
    actor_option,
    json_option,
    open_app,
    storage_option,
    tenant_option,
)
from matrix.cli.output import emit, table


@click.group(context_settings=CONTEXT)
def approvals() -> None:
    """The approval queue: confirmations the owner must give before a task runs."""


@approvals.command("list")
@tenant_option
@click.option(
    "--status",
    type=click.Choice(["all", "pending", "approved", "rejected", "expired"]),
    default="pending",
    show_default=True,
)
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@storage_option
@json_option
def approvals_list(
    tenant_id: str, status: str, limit: int, storage_url: str | None, as_json: bool
) -> None:
    """Confirmations, newest first."""
    with open_app(storage_url) as app:
        result = app.concierge.list_confirmations(tenant_id, status, limit).as_dict()
    columns = ("confirmation_id", "status", "task_type", "reason_code", "created_at", "expires_at")
    emit(result, as_json, lambda r: table(r["items"], columns))


def _resolution(decision: str) -> Any:
    """The approve or reject command: both take the same arguments and print the same way."""

    def resolve(confirmation_id: str, tenant_id: str, actor: str, reason: str | None,
                storage_url: str | None, as_json: bool) -> None:  # fmt: skip
        with open_app(storage_url) as app:
            result = app.concierge.resolve_confirmation(
                tenant_id, confirmation_id, decision, actor=actor, reason=reason
            )
        emit(result.as_dict(), as_json, _resolution_text)

    return resolve


def _resolution_text(r: dict[str, Any]) -> str:
    text = f"confirmation {r['confirmation']['confirmation_id']}: {r['confirmation']['status']}"
    if "downstream_task" in r:
        text += f"; task {r['downstream_task']['task_id']} queued"
    return text


def _resolution_options(f: F) -> F:
    f = json_option(f)
    f = storage_option(f)
    f = click.option("--reason", help="Why (recorded with the resolution).")(f)
    f = actor_option("Who resolves it (recorded).")(f)
    f = tenant_option(f)
    return click.argument("confirmation_id")(f)


approvals.command(
    "approve",
    help="Approve a pending confirmation: its task is queued (once, however often this is run).",
)(_resolution_options(_resolution("approve")))
approvals.command("reject", help="Reject a pending confirmation: nothing runs.")(
    _resolution_options(_resolution("reject"))
)

COMMANDS = (approvals,)

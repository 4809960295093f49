"""Approvals: the queue with a status filter; approve or reject with the same rules and audit as
the CLI (``Concierge.resolve_confirmation``, the signed-in user recorded as the actor)."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, html

from dashboards.components import table
from dashboards.context import (
    application,
    current_user,
    filter_inputs,
    filters,
    guarded,
    message,
    store,
)
from matrix.access import User
from matrix.approvals import Resolution, Status
from matrix.errors import UsageError

PATH, NAME = "/approvals", "Approvals"
COLUMNS = (
    "confirmation_id",
    "status",
    "task_type",
    "reason_code",
    "created_at",
    "expires_at",
    "resolved_by",
)
STATUSES = ("pending", "approved", "rejected", "expired", "all")


def layout(**_: Any) -> html.Div:
    return html.Div([
        html.H2("Approvals"),
        html.Div([
            html.Label(["Status ", dcc.Dropdown(id="approvals-status", options=list(STATUSES), value="pending",
                                                clearable=False, style={"width": "10rem"})]),
            dcc.Input(id="approvals-reason", placeholder="reason (recorded)", debounce=True, style={"width": "18rem"}),
            html.Button("Approve", id="approvals-approve-button", n_clicks=0),
            html.Button("Reject", id="approvals-reject-button", n_clicks=0),
        ], className="toolbar"),
        html.Div(id="approvals-message"),
        table("approvals-queue-table", [], list(COLUMNS), select=True),
    ])  # fmt: skip


def queue(user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None,
          status: str | None = "pending") -> list[dict[str, Any]]:  # fmt: skip
    """The tenant's approvals with ``status`` (newest first), as table rows."""
    f = filters(user, tenant, since, until, grain)
    if status not in STATUSES:
        raise UsageError(f"Status must be one of {', '.join(STATUSES)}.")
    rows = store().approvals.list(
        f.tenant, status=None if status == "all" else Status(status), limit=500
    )
    return [{c: a.summary()[c] for c in COLUMNS} for a in rows]


def resolve(user: User | None, tenant: str | None, confirmation_id: str | None, decision: str,
            reason: str | None = None) -> Resolution:  # fmt: skip
    """Approve or reject one confirmation of ``tenant`` as ``user`` (a tenant the user may not see
    is refused exactly like an unknown one; an id of another tenant is not found)."""
    if user is None:
        raise UsageError("Sign in again: your session has ended.")
    tenant_id = user.require(store(), tenant)
    if not confirmation_id:
        raise UsageError("Select a confirmation in the table first.")
    return application().concierge.resolve_confirmation(tenant_id, confirmation_id, decision,
                                          actor=user.username, reason=reason or None)  # fmt: skip


def render(user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None,
           status: str | None, approve_clicks: int | None = 0, reject_clicks: int | None = 0,
           selected: list[dict[str, Any]] | None = None, reason: str | None = None, *,
           trigger: str | None = None) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    """The main callback: act on the selected row when a button was pressed, then show the queue again."""
    shown: Any = None
    if trigger in ("approvals-approve-button", "approvals-reject-button"):
        picked = (selected or [{}])[0].get("confirmation_id")
        decision = "approve" if trigger == "approvals-approve-button" else "reject"
        done = resolve(user, tenant, picked, decision, reason).confirmation
        shown = message(
            f"{done.confirmation_id}: {done.status.value} by {user.username if user else ''}", "ok"
        )
    return shown, queue(user, tenant, since, until, grain, status), []


def register(app: Dash) -> None:
    @app.callback(
        Output("approvals-message", "children"), Output("approvals-queue-table", "rowData"),
        Output("approvals-queue-table", "selectedRows"),
        *filter_inputs(), Input("approvals-status", "value"), Input("approvals-approve-button", "n_clicks"),
        Input("approvals-reject-button", "n_clicks"), State("approvals-queue-table", "selectedRows"),
        State("approvals-reason", "value"),
    )  # fmt: skip
    @guarded([], [])
    def update(*values: Any) -> Any:
        return render(current_user(), *values, trigger=ctx.triggered_id)

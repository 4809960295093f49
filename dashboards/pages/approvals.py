"""Approvals: the queue with what each confirmation is about (the owner's words, the task's
amount, customer or campaign and its audience, the policy rule and its reason, who asked, the
time left), refreshed every few seconds; approve or reject with a reason, with the same rules and
audit as the CLI (``Concierge.resolve_confirmation``, the signed-in user recorded as the actor).

A second click, or a click on a page that has not refreshed yet, changes nothing: the approval
state machine refuses, and the page says so in words.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboards.components import table
from dashboards.context import (
    application,
    clock,
    current_user,
    filter_inputs,
    filters,
    guarded,
    message,
    shown_error,
    store,
    viewer_zone,
)
from matrix.access import User
from matrix.approvals import Resolution, Status
from matrix.approvals.context import describe
from matrix.errors import ApprovalStateError, UsageError

PATH, NAME = "/approvals", "Approvals"
COLUMNS = ("request", "details", "time_left", "asked_by", "rule", "status", "confirmation_id")
WIDTHS = {"request": 260, "details": 300, "time_left": 120, "asked_by": 170, "rule": 190,
          "status": 90, "confirmation_id": 120}  # fmt: skip
STATUSES = ("pending", "approved", "rejected", "expired", "all")
REFRESH_MS = 10_000
ACTIONS = ("approvals-approve-button", "approvals-reject-button")


def layout(**_: Any) -> html.Div:
    return html.Div([
        html.H2("Approvals"),
        html.Div([
            html.Label(["Status ", dcc.Dropdown(id="approvals-status", options=list(STATUSES), value="pending",
                                                clearable=False, style={"width": "10rem"})]),
            dcc.Input(id="approvals-reason", placeholder="reason (recorded with the decision)", value="",
                      style={"width": "22rem"}),
            html.Button("Approve", id="approvals-approve-button", n_clicks=0),
            html.Button("Reject", id="approvals-reject-button", n_clicks=0),
        ], className="toolbar"),
        html.Div(id="approvals-message"),
        dcc.Interval(id="approvals-refresh", interval=REFRESH_MS),
        html.Div(id="approvals-detail", className="card approvals-detail",
                 children=html.Div("Select a confirmation to see what it is about.", className="bubble-meta")),
        table("approvals-queue-table", [], list(COLUMNS), select=True, row_id="confirmation_id", widths=WIDTHS),
    ])  # fmt: skip


def queue(user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None,
          status: str | None = "pending") -> list[dict[str, Any]]:  # fmt: skip
    """The tenant's approvals with ``status`` (newest first), each with its context, as table
    rows (the row's ``reason`` is the policy's reason in words, shown beside the selection)."""
    f = filters(user, tenant, since, until, grain)
    if status not in STATUSES:
        raise UsageError(f"Status must be one of {', '.join(STATUSES)}.")
    db = store()
    rows = db.approvals.list(
        f.tenant, status=None if status == "all" else Status(status), limit=500
    )
    return [
        {**c.as_row(), "reason": c.reason, "fields": c.fields}
        for c in describe(db, f.tenant, rows, clock().now(), viewer_zone())
    ]


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
           selected: list[dict[str, Any]] | None = None, reason: str | None = None, _ticks: int | None = None, *,
           trigger: str | None = None) -> tuple[Any, list[dict[str, Any]], Any]:  # fmt: skip
    """The main callback: act on the selected row when a button was pressed, then show the queue
    again. A refused action (already resolved, expired) is a message and the queue refreshes; a
    refresh alone keeps the message and the selection."""
    shown: Any = no_update if trigger == "approvals-refresh" else None
    picked: Any = no_update if trigger == "approvals-refresh" else []
    if trigger in ACTIONS:
        chosen = (selected or [{}])[0].get("confirmation_id")
        decision = "approve" if trigger == "approvals-approve-button" else "reject"
        try:
            done = resolve(user, tenant, chosen, decision, reason).confirmation
        except ApprovalStateError as exc:
            shown = message(f"Nothing changed: {shown_error(exc)}", "warning")
        else:
            shown = message(f"{done.confirmation_id}: {done.status.value} by {user.username if user else ''}"
                            + (f" — “{done.resolution_reason}”" if done.resolution_reason else ""), "ok")  # fmt: skip
    return shown, queue(user, tenant, since, until, grain, status), picked


def detail(selected: list[dict[str, Any]] | None) -> Any:
    """What the selected confirmation is about, in full."""
    if not selected:
        return html.Div("Select a confirmation to see what it is about.", className="bubble-meta")
    row = selected[0]
    fields = row.get("fields") or {}
    return [
        html.Div(f"{row.get('task', '')} · {row.get('status', '')} · {row.get('time_left', '')}",
                 className="card-title"),
        html.Blockquote(f"“{row.get('request', '')}”", id="approvals-detail-request"),
        html.Table([html.Tr([html.Th(k, style={"textAlign": "left", "paddingRight": "12px"}), html.Td(v)])
                    for k, v in fields.items()], id="approvals-detail-fields"),
        html.Div([html.Strong("Rule: "), row.get("rule", ""), html.Span(f" — {row.get('reason', '')}")]),
        html.Div([html.Strong("Asked by: "), row.get("asked_by", "")], className="bubble-meta"),
    ]  # fmt: skip


def cleared(_shown: Any) -> str:
    """The reason box after an action (or a new queue) is shown: empty for the next decision."""
    return ""


def register(app: Dash) -> None:
    @app.callback(
        Output("approvals-message", "children"), Output("approvals-queue-table", "rowData"),
        Output("approvals-queue-table", "selectedRows"),
        *filter_inputs(), Input("approvals-status", "value"), Input("approvals-approve-button", "n_clicks"),
        Input("approvals-reject-button", "n_clicks"), State("approvals-queue-table", "selectedRows"),
        State("approvals-reason", "value"), Input("approvals-refresh", "n_intervals"),
    )  # fmt: skip
    @guarded([], [])
    def update(*values: Any) -> Any:
        return render(current_user(), *values, trigger=ctx.triggered_id)

    app.callback(
        Output("approvals-detail", "children"), Input("approvals-queue-table", "selectedRows")
    )(detail)
    app.callback(Output("approvals-reason", "value"), Input("approvals-message", "children"),
                 prevent_initial_call=True)(cleared)  # fmt: skip

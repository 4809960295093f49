"""Gates: the history of gate runs (platform-wide, for admins) with links to each report."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, html

from dashboards.components import table
from dashboards.context import current_user, guarded, store, viewer_zone
from matrix import formats
from matrix.access import User
from matrix.errors import NotFoundError
from matrix.gates.history import history

PATH, NAME = "/gates", "Gates"
ADMIN_ONLY = True  # platform-wide: not in a manager's navigation
FILTERS: tuple[str, ...] = ()  # no tenant, dates or grain apply
COLUMNS = ("finished", "run_id", "gate_id", "verdict", "took", "commit", "report")
# A verdict's colour (classes of assets/matrix.css), as AG Grid cell class rules.
VERDICT_TONES = {"tone-good": "params.value == 'pass'", "tone-bad": "params.value == 'fail'",
                 "tone-warn": "params.value != 'pass' && params.value != 'fail'"}  # fmt: skip


def layout(**_: Any) -> html.Div:
    return html.Div([html.H2("Quality gates"), html.Div(id="gates-content")])


def render(user: User | None, _trigger: Any = None) -> Any:
    if user is None or user.role != "admin":
        raise NotFoundError("Gate history is platform-wide; only admins see it.")
    rows = history(store(), limit=200)
    if not rows:
        return html.P(
            "No gate runs recorded yet. Run the quality gates (matrix gate run --all) and their"
            " results show here.",
            id="gates-empty",
            className="empty",
        )
    data = [{"finished": formats.when(r["finished_at"], viewer_zone()), "run_id": str(r["run_id"]), "gate_id": str(r["gate_id"]),
             "verdict": str(r["verdict"]), "took": formats.duration(r["duration_seconds"]),
             "commit": str(r["commit_sha"] or "")[:10],
             "report": f"[summary](/reports/gates/{r['run_id']}/summary.md) · [{r['gate_id']}](/reports/gates/{r['run_id']}/{r['gate_id']}.html)"}
            for r in rows]  # fmt: skip
    return table(
        "gates-history-table",
        data,
        list(COLUMNS),
        page_size=25,
        links=("report",),
        styles={"verdict": VERDICT_TONES},
        widths={
            "finished": 210,
            "run_id": 120,
            "gate_id": 200,
            "verdict": 90,
            "took": 90,
            "commit": 110,
            "report": 300,
        },
    )


def register(app: Dash) -> None:
    app.callback(Output("gates-content", "children"), Input("filter-tenant", "value"))(
        guarded()(lambda value: render(current_user(), value))
    )

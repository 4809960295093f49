"""Gates: the history of gate runs (platform-wide, for admins) with links to each report."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, html

from dashboards.components import table
from dashboards.context import current_user, guarded, store
from matrix.access import User
from matrix.errors import NotFoundError
from matrix.gates.history import history

PATH, NAME = "/gates", "Gates"
COLUMNS = (
    "finished_at",
    "run_id",
    "gate_id",
    "verdict",
    "duration_seconds",
    "commit_sha",
    "report",
)


def layout(**_: Any) -> html.Div:
    return html.Div([html.H2("Quality gates"), html.Div(id="gates-content")])


def render(user: User | None, _trigger: Any = None) -> Any:
    if user is None or user.role != "admin":
        raise NotFoundError("Gate history is platform-wide; only admins see it.")
    rows = history(store(), limit=200)
    if not rows:
        return html.P(
            "No gate runs recorded yet: run `matrix gate run --all` against this store.",
            id="gates-empty",
        )
    data = [{**{c: str(r[c]) for c in COLUMNS[:-1]},
             "report": f"[summary](/reports/gates/{r['run_id']}/summary.md) · [{r['gate_id']}](/reports/gates/{r['run_id']}/{r['gate_id']}.html)"}
            for r in rows]  # fmt: skip
    return table("gates-history-table", data, list(COLUMNS), page_size=25, links=("report",))


def register(app: Dash) -> None:
    app.callback(Output("gates-content", "children"), Input("filter-tenant", "value"))(
        guarded()(lambda value: render(current_user(), value))
    )

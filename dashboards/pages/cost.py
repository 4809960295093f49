"""AI cost: by provider, model, feature or module; the budget with its burn-rate alerts; margin."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, dcc, html

from dashboards.components import card, graph, row
from dashboards.context import current_user, filter_inputs, filters, guarded, palette, store
from dashboards.theme import plot_template
from matrix import viz
from matrix.access import User
from matrix.metrics.budgets import budget_status
from matrix.metrics.costs import DIMENSIONS, ai_cost, gross_margin

PATH, NAME = "/cost", "AI cost"


def layout(**_: Any) -> html.Div:
    return html.Div([
        html.H2("AI cost"),
        html.Label(["By ", dcc.Dropdown(id="cost-by", options=list(DIMENSIONS), value="model", clearable=False,
                                        style={"width": "10rem"})]),
        html.Div(id="cost-content"),
    ])  # fmt: skip


def render(user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None,
           by: str | None = "model") -> Any:  # fmt: skip
    f = filters(user, tenant, since, until, grain)
    report = ai_cost(store(), f.tenant, since=f.since, until=f.until, by=by or "model")
    budget = budget_status(store(), f.tenant, at=min(f.until, store().clock.now()))
    margin = gross_margin(store(), f.tenant, since=f.since, until=f.until, cost=report)
    alerts = ", ".join(
        f"{a['severity']} {a['factor']}× ({a['long']}/{a['short']})" for a in budget["alerts"]
    )
    cards = row(
        card("cost-total", "AI cost in the window", report.total_usd if report.rows else None, "USD",
             note=f"{report.unpriced_calls} unpriced calls ({', '.join(report.unpriced_models)})" if report.unpriced_calls
             else None),
        card("cost-budget-left", "Monthly AI budget left (last 30 days)", budget["remaining_usd"], "USD",
             status="breach" if budget["alerts"] else "ok", note=alerts or budget.get("empty_reason")),
        card("cost-margin", "Gross margin", margin["gross_margin_usd"],
             "USD", note=margin["reason"]),
    )  # fmt: skip
    return [cards, graph("cost-by-graph", viz.cost_bars(report), plot_template(palette(f.tenant)))]


def register(app: Dash) -> None:
    app.callback(Output("cost-content", "children"), *filter_inputs(), Input("cost-by", "value"))(
        guarded()(lambda *values: render(current_user(), *values))
    )

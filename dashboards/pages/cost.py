"""AI cost: by provider, model, feature or module; the budget with its burn-rate alerts; margin."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, dcc, html

from dashboards.components import card, graph, row
from dashboards.context import brand_of, current_user, filter_inputs, filters, guarded, store
from matrix import formats, viz
from matrix.access import User
from matrix.metrics.budgets import budget_status
from matrix.metrics.costs import DIMENSIONS, ai_cost, gross_margin

PATH, NAME = "/cost", "AI cost"
FILTERS = ("tenant", "since", "until")  # no grain: the page sums the window


def layout(**_: Any) -> html.Div:
    return html.Div([
        html.Div([html.H2("AI cost"),
                  html.Label(["By ", dcc.Dropdown(id="cost-by", options=list(DIMENSIONS), value="model", clearable=False,
                                                  style={"width": "10rem"})], className="filter")],
                 className="page-title"),
        html.Div(id="cost-content"),
    ])  # fmt: skip


def render(user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None,
           by: str | None = "model") -> Any:  # fmt: skip
    f = filters(user, tenant, since, until, grain)
    report = ai_cost(store(), f.tenant, since=f.since, until=f.until, by=by or "model")
    budget = budget_status(store(), f.tenant, at=min(f.until, store().clock.now()))
    margin = gross_margin(store(), f.tenant, since=f.since, until=f.until, cost=report)
    alerts = ", ".join(
        f"{a['severity']}: {a['factor']}× the monthly pace ({a['long']}/{a['short']})"
        for a in budget["alerts"]
    )
    no_budget = "No monthly AI budget set: an admin sets one in the tenant's config (ai_budget.monthly_usd)."
    cards = row(
        card("cost-total", "AI cost in these dates", report.total_usd if report.rows else None, "usd",
             note=f"{formats.count(report.unpriced_calls)} calls without a price ({', '.join(report.unpriced_models)})"
             if report.unpriced_calls else (None if report.rows else "No AI calls in these dates.")),
        card("cost-budget-left", "Monthly AI budget left (last 30 days)", budget["remaining_usd"], "usd",
             status=("breach" if budget["alerts"] else "ok") if budget["budget_usd"] else None,
             target=f"of {formats.money(budget['budget_usd'])}" if budget["budget_usd"] else None,
             note=alerts or (no_budget if not budget["budget_usd"] else None)),
        card("cost-margin", "Gross margin", margin["gross_margin_usd"], "usd",
             note=None if margin["gross_margin_usd"] is not None else "No revenue recorded: set the tenant's plan."),
    )  # fmt: skip
    return [cards, graph("cost-by-graph", viz.cost_bars(report), brand_of(f.tenant))]


def register(app: Dash) -> None:
    app.callback(Output("cost-content", "children"), *filter_inputs(), Input("cost-by", "value"))(
        guarded()(lambda *values: render(current_user(), *values))
    )

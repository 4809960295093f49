"""Overview: the numbers a manager checks each morning, each with its target and status."""

from __future__ import annotations

from typing import Any

from dash import Dash, Output, html

from dashboards.components import card, row
from dashboards.context import (
    current_user,
    filter_inputs,
    filters,
    guarded,
    outbound_notice,
    store,
)
from matrix.access import User
from matrix.metrics import compute, load_catalog
from matrix.metrics.costs import ai_cost, gross_margin

PATH, NAME = "/", "Overview"
METRICS = ("owner_interaction_success_ratio", "owner_interaction_latency_p95_ms", "task_success_ratio",
           "dispatch_success_ratio")  # fmt: skip


def layout(**_: Any) -> html.Div:
    return html.Div([html.H2("Overview"), html.Div(id="overview-content")])


def render(
    user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None
) -> Any:
    f = filters(user, tenant, since, until, grain)
    db, catalog = store(), load_catalog()
    cards = []
    for name in METRICS:
        result = compute(
            db, name, tenant_id=f.tenant, since=f.since, until=f.until, grain="all", catalog=catalog
        )
        metric, value, target = result.metric, result.total, result.metric.target
        cards.append(card(f"overview-{name.replace('_', '-')}", name.replace("_", " "), value, metric.unit,
                          target=f"{target.op} {target.value}" if target else None, status=result.status,
                          note=None if value is not None else result.empty_reason))  # fmt: skip
    cost = ai_cost(db, f.tenant, since=f.since, until=f.until)
    cards.append(card("overview-ai-cost", "AI cost in the window", cost.total_usd if cost.rows else None, "USD",
                      note=f"{cost.unpriced_calls} unpriced calls not counted" if cost.unpriced_calls else None))  # fmt: skip
    margin = gross_margin(db, f.tenant, since=f.since, until=f.until, cost=cost)
    ratio = margin["gross_margin_ratio"]
    cards.append(card("overview-gross-margin", "Gross margin (revenue − AI cost)", None if ratio is None else 100 * ratio,
                      "%", note=margin["reason"] or ("upper bound" if margin["upper_bound"] else None)))  # fmt: skip
    cards.append(card("overview-approvals-pending", "Approvals waiting", db.approvals.count_pending(f.tenant),
                      "pending", note="now"))  # fmt: skip
    notice = outbound_notice("overview", f.tenant)
    return html.Div([*notice, row(*cards)]) if notice else row(*cards)


def register(app: Dash) -> None:
    app.callback(Output("overview-content", "children"), *filter_inputs())(
        guarded()(lambda *values: render(current_user(), *values))
    )

"""Overview: the morning page. First what needs someone (breaching SLOs, firing burn-rate alerts,
approvals about to expire, an AI budget burning too fast); then each number a manager checks,
with its trend over the window, the change against the previous window of the same length, its
target and its status in colour."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dash import Dash, Output, html

from dashboards.components import attention, card, row
from dashboards.context import (
    brand_of,
    current_user,
    filter_inputs,
    filters,
    guarded,
    outbound_notice,
    store,
)
from dashboards.theme import plot_template
from matrix import formats, viz
from matrix.access import User
from matrix.approvals import Status
from matrix.metrics import load_catalog
from matrix.metrics.budgets import budget_status, monthly_budget
from matrix.metrics.compare import compare
from matrix.metrics.costs import daily_cost, gross_margin
from matrix.metrics.slo import status as slo_status

PATH, NAME = "/", "Overview"
METRICS = (("owner_interaction_success_ratio", "Owner requests answered"),
           ("owner_interaction_latency_p95_ms", "Owner request time (p95)"),
           ("task_success_ratio", "Tasks completed"),
           ("dispatch_success_ratio", "WhatsApp messages delivered"))  # fmt: skip
EXPIRING = timedelta(hours=24)  # a pending approval expiring sooner needs attention


def layout(**_: Any) -> html.Div:
    return html.Div([html.Div(html.H2("Overview"), className="page-title"),
                     html.Div(id="overview-content")])  # fmt: skip


def render(
    user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None
) -> Any:
    f = filters(user, tenant, since, until, grain)
    db, catalog = store(), load_catalog()
    now = db.clock.now()
    at = min(f.until, now)
    template = plot_template(brand_of(f.tenant))
    bucket = f.grain if f.grain != "hour" or f.until - f.since <= timedelta(days=7) else "day"
    cards = []
    for name, title in METRICS:  # one scan each (several metrics in one scan measured slower)
        seen = compare(
            db,
            name,
            tenant_id=f.tenant,
            since=f.since,
            until=f.until,
            grain=bucket,
            catalog=catalog,
        )
        result, metric = seen.current, seen.current.metric
        value = result.total
        target = (
            formats.target(metric.target.op, metric.target.value, metric.unit)
            if metric.target
            else None
        )
        cards.append(card(f"overview-{name.replace('_', '-')}", title, value, metric.unit, target=target,
                          status=result.status, change=_change(value, seen.previous.total, metric.unit),
                          trend=viz.sparkline(seen.trend) if value is not None else None, template=template,
                          note=result.empty_words))  # fmt: skip
    costs = daily_cost(db, f.tenant, since=f.since, until=f.until)
    cost = costs.current
    spent = cost.total_usd if cost.rows else None
    cards.append(card("overview-ai-cost", "AI cost", spent, "usd",
                      change=_change(spent, costs.previous.total_usd if costs.previous.rows else None, "usd"),
                      trend=viz.cost_sparkline(cost.rows) if cost.rows else None, template=template,
                      note=f"{formats.count(cost.unpriced_calls)} calls without a price are not counted"
                      if cost.unpriced_calls else (None if cost.rows else "No AI calls in these dates.")))  # fmt: skip
    margin = gross_margin(db, f.tenant, since=f.since, until=f.until, cost=cost)
    ratio = margin["gross_margin_ratio"]
    cards.append(card("overview-gross-margin", "Gross margin (revenue − AI cost)", ratio, "ratio",
                      note=_margin_note(margin)))  # fmt: skip
    pending = db.approvals.list(f.tenant, status=Status.PENDING, limit=500)
    waiting = db.approvals.count_pending(f.tenant)
    cards.append(card("overview-approvals-pending", "Approvals waiting now", waiting, "count"))
    needs = attention(_attention(db, f.tenant, at, now, pending), list_id="overview-attention",
                      empty="Nothing needs attention: every SLO is on target, no alert is firing, "
                            "no approval is about to expire and the AI budget is on pace.")  # fmt: skip
    return html.Div([*outbound_notice("overview", f.tenant), needs, row(*cards)])


def _change(current: float | None, previous: float | None, unit: str) -> str | None:
    if current is None:
        return None
    said = formats.change(current, previous, unit)
    if said == "new":
        return (
            "new: nothing in the previous period"
            if previous is None
            else "new: zero in the previous period"
        )
    return f"{said} vs the previous period"


def _margin_note(margin: dict[str, Any]) -> str | None:
    if margin["gross_margin_ratio"] is None:
        return "No revenue recorded for this tenant: set its plan to see the margin."
    return "an upper bound: some AI calls have no price" if margin["upper_bound"] else None


def _attention(
    db: Any, tenant: str, at: datetime, now: datetime, pending: list[Any]
) -> list[tuple[str, str, str]]:
    """What needs someone today, worst first: (tone, headline, detail)."""
    items: list[tuple[str, str, str]] = []
    for s in slo_status(db, tenant, at=at):
        name = s.slo.replace("_", " ")
        if s.success_ratio is not None and s.success_ratio < s.target:
            left = formats.percent(max(s.budget_remaining or 0.0, 0.0))
            items.append(("bad", f"SLO breaching: {name}",
                          f"{formats.percent(s.success_ratio)} against {formats.target('>=', s.target, 'ratio')}"
                          f" over {s.period_days} days; {left} of the error budget left"))  # fmt: skip
        for a in s.alerts:
            items.append(("bad" if a["severity"] == "page" else "warn", f"Burn-rate alert: {name}",
                          f"{a['severity']}: the error budget burns {a['factor']}× too fast"
                          f" over {a['long']} and {a['short']}"))  # fmt: skip
    budget = budget_status(db, tenant, at=at) if monthly_budget(db, tenant) else {"alerts": []}
    for a in budget["alerts"]:
        items.append(("bad" if a["severity"] == "page" else "warn", "AI budget burning",
                      f"{a['severity']}: spending {a['factor']}× the monthly pace over {a['long']} and {a['short']};"
                      f" {formats.money(budget['remaining_usd'])} left of {formats.money(budget['budget_usd'])}"))  # fmt: skip
    soon = sorted((a for a in pending if a.expires_at is not None and a.expires_at - now <= EXPIRING),
                  key=lambda a: a.expires_at)  # fmt: skip
    for a in soon:
        what = a.task_type.replace(".", " ").replace("_", " ")
        items.append(("warn", f"Approval expires {formats.ago(a.expires_at, now)}: {what}",
                      f"asked {formats.ago(a.created_at, now)}; approve or reject it on the Approvals page"))  # fmt: skip
    return items


def register(app: Dash) -> None:
    app.callback(Output("overview-content", "children"), *filter_inputs())(
        guarded()(lambda *values: render(current_user(), *values))
    )

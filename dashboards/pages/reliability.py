"""Reliability: SLOs with the error budget left and burn-rate alerts, latency percentiles, the queue,
and the tasks business rules refused (with their reasons), which spend no error budget."""

from __future__ import annotations

from typing import Any

from dash import Dash, Output, html

from dashboards.components import graph, table
from dashboards.context import (
    brand_of,
    current_user,
    filter_inputs,
    filters,
    guarded,
    outbound_notice,
    store,
)
from matrix import viz
from matrix.access import User
from matrix.metrics.slo import latency_percentiles, queue_depth, refusals, status

PATH, NAME = "/reliability", "Reliability"


def layout(**_: Any) -> html.Div:
    return html.Div([html.H2("Reliability"), html.Div(id="reliability-content")])


def render(
    user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None
) -> Any:
    f = filters(user, tenant, since, until, grain)
    template = brand_of(f.tenant)
    slos = [s.as_dict() for s in status(store(), f.tenant, at=min(f.until, store().clock.now()))]
    firing = [f"{s['slo'].replace('_', ' ')}: {a['severity']}, burning {a['factor']}× too fast"
              for s in slos for a in s["alerts"]]  # fmt: skip
    return [
        *outbound_notice("reliability", f.tenant),
        html.P("Burn-rate alerts firing: " + ("; ".join(firing) or "none"), id="reliability-alerts",
               className="alert alert-warning" if firing else "card-note"),
        graph("reliability-slo-table", viz.slo_table(slos, template), template, height=None),
        graph("reliability-latency-graph",
              viz.latency_lines(latency_percentiles(store(), f.tenant, since=f.since, until=f.until, grain=f.grain),
                                f.grain), template),
        graph("reliability-queue-graph", viz.queue_bars(queue_depth(store(), f.tenant)), template, height=None),
        html.H3("Refused by a business rule"),
        html.P("Requests the system handled correctly but could not do (no overdue charge, no date,"
               " unknown customer). They are business numbers and spend no error budget.",
               id="reliability-refusals-note"),
        _refusals(refusals(store(), f.tenant, since=f.since, until=f.until)),
    ]  # fmt: skip


def _refusals(rows: list[dict[str, Any]]) -> Any:
    if not rows:
        return html.P("No request was refused by a business rule in these dates.", className="empty",
                      id="reliability-refusals-empty")  # fmt: skip
    return table(
        "reliability-refusals-table",
        rows,
        ["module", "task_type", "reason_code", "refused"],
        page_size=10,
    )


def register(app: Dash) -> None:
    app.callback(Output("reliability-content", "children"), *filter_inputs())(
        guarded()(lambda *values: render(current_user(), *values))
    )

"""Delivery: DORA's four keys placed in the chosen report's clusters, and their trend."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, dcc, html

from dashboards.components import card, graph, row
from dashboards.context import brand_of, current_user, filter_inputs, filters, guarded, store
from matrix import formats, viz
from matrix.access import User
from matrix.metrics.dora import BENCHMARK_YEARS, dora, dora_trend

PATH, NAME = "/delivery", "Delivery"


def layout(**_: Any) -> html.Div:
    return html.Div([
        html.Div([html.H2("Delivery (DORA)"),
                  html.Label(["Benchmark year ", dcc.Dropdown(id="delivery-year", options=[str(y) for y in BENCHMARK_YEARS],
                                                              value="2024", clearable=False, style={"width": "8rem"})],
                             className="filter")], className="page-title"),
        html.Div(id="delivery-content"),
    ])  # fmt: skip


def render(user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None,
           year: str | None = "2024") -> Any:  # fmt: skip
    f = filters(user, tenant, since, until, grain)
    year_value = int(year or 2024)
    report = dora(store(), f.tenant, since=f.since, until=f.until, benchmark_year=year_value)
    trend_grain = f.grain if f.grain in ("day", "week", "month") else "day"
    trend = dora_trend(
        store(),
        f.tenant,
        since=f.since,
        until=f.until,
        grain=trend_grain,
        benchmark_year=year_value,
    )
    template = brand_of(f.tenant)
    levels = report.levels
    cards = row(
        card("delivery-frequency", "Deployment frequency", report.deployments_per_day if report.deployments else None,
             "per day", status=levels.get("deployments_per_day"),
             note=report.empty_reasons.get("deployments")
             or f"{formats.count(report.code_deployments)} code (of which {formats.count(report.platform_deployments)}"
                f" platform releases), {formats.count(report.config_deployments)} config changes"),
        card("delivery-lead-time", f"Lead time ({report.statistic})", report.lead_time_hours, "hours",
             status=levels.get("lead_time_hours"), note=report.empty_reasons.get("lead_time")),
        card("delivery-failure-rate", "Change failure rate", report.change_failure_ratio, "ratio",
             status=levels.get("change_failure_ratio"), note=report.empty_reasons.get("deployments")),
        card("delivery-restore", f"Time to restore ({report.statistic})", report.time_to_restore_hours, "hours",
             status=levels.get("time_to_restore_hours"), note=report.empty_reasons.get("time_to_restore")),
        card("delivery-rework", "Deployment rework rate", report.rework_ratio, "ratio",
             note=report.empty_reasons.get("deployments")
             or f"{formats.count(report.rework_deployments)} unplanned, for incidents (no cluster level in the 2024 report)"),
    )  # fmt: skip
    summary = html.P(f"{year_value} clusters, overall: {report.level or 'no data'} (the worst of the four keys)."
                     " Throughput: frequency, lead time, restore time; instability: change failure and"
                     " rework rates.", id="delivery-level")  # fmt: skip
    return [
        cards,
        summary,
        graph("delivery-dora-graph", viz.dora_summary(report), template),
        graph("delivery-trend-graph", viz.dora_trend(trend), template),
    ]


def register(app: Dash) -> None:
    app.callback(
        Output("delivery-content", "children"), *filter_inputs(), Input("delivery-year", "value")
    )(guarded()(lambda *values: render(current_user(), *values)))

"""``matrix metrics dora|slo|budget|cost|margin``: the reports built on metrics, added to the
``metrics`` group of :mod:`matrix.cli.metrics`."""

from __future__ import annotations

from typing import Any

import click

from matrix.cli.metrics import metrics
from matrix.cli.options import (
    F,
    Number,
    json_option,
    open_app,
    storage_option,
    tenant_option,
    when,
    window,
)
from matrix.cli.output import emit, percent, plural, table, usd

# DORA, cost and margin look back further than the default window: a month of deployments or
# spend says more than two weeks.
REPORT_DAYS = 30


def _window_options(f: F) -> F:
    f = click.option("--until", help="End (exclusive) (default: midnight after today, UTC).")(f)
    return click.option(
        "--since",
        help=f"Start (inclusive), e.g. 2026-01-01 (default: {REPORT_DAYS} days before --until).",
    )(f)


def _at_option(f: F) -> F:
    return click.option("--at", help="Evaluate at this time (default: now).")(f)


def _alerts(alerts: list[dict[str, Any]]) -> str:
    return (
        ", ".join(f"{a['severity']} {a['factor']}x ({a['long']}/{a['short']})" for a in alerts)
        or "none"
    )


@metrics.command("dora")
@click.option("--tenant", "tenant_id", default="platform", show_default=True)
@_window_options
@click.option(
    "--statistic", type=click.Choice(["median", "p90", "mean"]), default="median", show_default=True
)
@click.option(
    "--attribution",
    type=click.Choice(["window", "named"]),
    default="window",
    show_default=True,
    help="How incidents are tied to deployments: the one they name, or also the latest before them.",
)
@click.option("--attribution-hours", type=Number(minimum=0), default=24.0, show_default=True)
@click.option(
    "--benchmark-year",
    type=click.Choice(["2021", "2023", "2024"]),
    default="2024",
    show_default=True,
    help="State of DevOps report whose performance clusters place each value.",
)
@storage_option
@json_option
def metrics_dora(tenant_id: str, since: str | None, until: str | None, statistic: str, attribution: str,
                 attribution_hours: float, benchmark_year: str, storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Deployment frequency, lead time, change failure rate, time to restore and rework rate,
    as the 2024 report frames them: throughput against instability."""
    from matrix.metrics.dora import dora

    with open_app(storage_url) as app:
        span = window(app, since, until, days=REPORT_DAYS)
        report = dora(app.store, tenant_id, since=span.since, until=span.until, statistic=statistic,  # type: ignore[arg-type]
                      attribution=attribution, attribution_hours=attribution_hours,  # type: ignore[arg-type]
                      benchmark_year=int(benchmark_year))  # fmt: skip
    emit(report.as_dict(), as_json, _dora_text)


def _dora_text(r: dict[str, Any]) -> str:
    def fmt(value: float | None, unit: str) -> str:
        return "no data" if value is None else f"{value:.3g} {unit}"

    def share(metric: str) -> str:
        return percent(r[metric])

    def level(metric: str) -> str:
        return (
            f"  [{r['levels'][metric]}: {r['benchmark'][metric]}]" if metric in r["levels"] else ""
        )

    lines = [f"DORA for {r['tenant_id']} ({r['statistic']}), {r['since'][:10]} → {r['until'][:10]},"
             f" {r['benchmark_year']} clusters: {r['level'] or 'no data'}",
             "  throughput",
             f"  deployment frequency   {r['deployments_per_day']:.3g} per day ({plural(r['deployments'], 'deployment')}:"
             f" {r['code_deployments']} code, of which {plural(r['platform_deployments'], 'platform release')};"
             f" {plural(r['config_deployments'], 'config change')})" + level("deployments_per_day"),
             f"  lead time for changes  {fmt(r['lead_time_hours'], 'h')} ({plural(r['lead_times_used'], 'commit')},"
             f" {r['lead_times_dropped']} dropped at ≤ 0)" + level("lead_time_hours"),
             f"  time to restore        {fmt(r['time_to_restore_hours'], 'h')}" + level("time_to_restore_hours"),
             "  instability",
             f"  change failure rate    {share('change_failure_ratio')} ({r['failed_deployments']} failed)"
             + level("change_failure_ratio"),
             f"  rework rate            {share('rework_ratio')} ({r['rework_deployments']} unplanned, for"
             " incidents; the 2024 clusters give it no level)"]  # fmt: skip
    lines += [f"  ({k}: {v})" for k, v in r["empty_reasons"].items()]
    return "\n".join(lines)


@metrics.command("slo")
@tenant_option
@_at_option
@click.option("--period-days", type=click.IntRange(1, 90), default=30, show_default=True)
@storage_option
@json_option
def metrics_slo(
    tenant_id: str, at: str | None, period_days: int, storage_url: str | None, as_json: bool
) -> None:
    """Each SLO's success ratio, error budget left, burn rates, and the alerts firing."""
    from matrix.metrics.slo import status

    with open_app(storage_url) as app:
        moment = when(at, "--at") or app.clock.now()
        results = [r.as_dict() for r in status(app.store, tenant_id, at=moment, period_days=period_days)]  # fmt: skip
    emit(results, as_json, _slo_text)


def _slo_text(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        if r["empty_reason"]:
            lines.append(f"{r['slo']:28} no data — {r['empty_reason']}")
            continue
        lines.append(f"{r['slo']:28} {r['success_ratio']:.2%} vs {r['target']:.2%} · budget left"
                     f" {percent(r['budget_remaining'])} · alerts: {_alerts(r['alerts'])}")  # fmt: skip
    return "\n".join(lines)


@metrics.command("budget")
@tenant_option
@_at_option
@storage_option
@json_option
def metrics_budget(tenant_id: str, at: str | None, storage_url: str | None, as_json: bool) -> None:
    """AI spend against the tenant's monthly budget, money burn rates, and the alerts firing."""
    from matrix.metrics.budgets import budget_status

    with open_app(storage_url) as app:
        result = budget_status(app.store, tenant_id, at=when(at, "--at") or app.clock.now())
    emit(result, as_json, _budget_text)


def _budget_text(r: dict[str, Any]) -> str:
    if r.get("empty_reason"):
        return f"{r['tenant_id']}: spent {usd(r['spent_usd'])} in 30 days; {r['empty_reason']}"
    return (f"{r['tenant_id']}: spent {usd(r['spent_usd'])} of {usd(r['budget_usd'])} in 30 days"
            f" ({usd(r['remaining_usd'])} left, {plural(r['unpriced_calls'], 'unpriced call')}) · alerts:"
            f" {_alerts(r['alerts'])}")  # fmt: skip


@metrics.command("cost")
@tenant_option
@_window_options
@click.option(
    "--by",
    type=click.Choice(["provider", "model", "feature", "module"]),
    default="model",
    show_default=True,
)
@storage_option
@json_option
def metrics_cost(
    tenant_id: str,
    since: str | None,
    until: str | None,
    by: str,
    storage_url: str | None,
    as_json: bool,
) -> None:
    """AI cost at the prices in force when the usage happened; unpriced models are listed, not zeroed."""
    from matrix.metrics.costs import ai_cost

    with open_app(storage_url) as app:
        span = window(app, since, until, days=REPORT_DAYS)
        app.store.tenants.require(tenant_id)
        report = ai_cost(app.store, tenant_id, since=span.since, until=span.until, by=by)
    emit(report.as_dict(), as_json, _cost_text)


def _cost_text(r: dict[str, Any]) -> str:
    lines = [
        table(
            [{**row, "cost_usd": usd(row["cost_usd"])} for row in r["rows"]],
            (r["by"], "calls", "unpriced_calls", "cost_usd"),
        ),
        f"total {usd(r['total_usd'])}",
    ]
    if r["unpriced_models"]:
        lines.append(
            f"unpriced (cost unknown, set with `matrix prices set`): {', '.join(r['unpriced_models'])}"
        )
    return "\n".join(lines)


@metrics.command("margin")
@tenant_option
@_window_options
@storage_option
@json_option
def metrics_margin(tenant_id: str, since: str | None, until: str | None, storage_url: str | None,
                   as_json: bool) -> None:  # fmt: skip
    """Gross-margin proxy: subscription revenue minus AI cost, over revenue."""
    from matrix.metrics.costs import gross_margin

    with open_app(storage_url) as app:
        span = window(app, since, until, days=REPORT_DAYS)
        result = gross_margin(app.store, tenant_id, since=span.since, until=span.until)
    emit(result, as_json, _margin_text)


def _margin_text(r: dict[str, Any]) -> str:
    if r["reason"]:
        return f"{r['tenant_id']}: no margin — {r['reason']}"
    bound = (
        f" (upper bound: {plural(r['unpriced_calls'], 'unpriced call')})"
        if r["upper_bound"]
        else ""
    )
    return (f"{r['tenant_id']}: revenue {usd(r['revenue_usd'])}, AI cost {usd(r['ai_cost_usd'])},"
            f" gross margin {usd(r['gross_margin_usd'])} ({percent(r['gross_margin_ratio'])}){bound}")  # fmt: skip

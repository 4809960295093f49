"""The numbers the dashboards show, as JSON: catalog metrics, DORA, SLOs, AI cost, budget, margin
and the gate history, so BI tools and the consoles read the same numbers as the managers.

Each route calls the function its dashboard page calls, over the same window, so the API and the
dashboards cannot disagree. A window is whole UTC days given as ISO dates, ``since`` inclusive
and ``until`` exclusive, by default :func:`matrix.windows.default_window` (the last 14 days
through today, where the dashboards' filters start). The reports taken at one moment (SLOs,
budget) are taken at ``until`` or now, whichever is earlier, as on the reliability and cost pages.

A tenant token reads its own tenant's numbers. The platform's numbers (DORA and the gate history
are about delivery, not a tenant; the all-tenant cost aggregate) need an admin token. Every value
is a JSON number or null, and a null comes with its reason.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import Path, Query

from matrix.api.errors import ApiError, Detail
from matrix.api.routing import Api, Call, TenantQuery, listing
from matrix.gates.history import history
from matrix.metrics import compute, load_catalog
from matrix.metrics.budgets import PERIOD, budget_status
from matrix.metrics.costs import ai_cost, cost_per_active_tenant, gross_margin
from matrix.metrics.dora import PLATFORM, dora
from matrix.metrics.slo import status
from matrix.windows import Window, default_window

# A date from 1970-01-01 on: far enough from datetime's first day that a window, a budget period
# or an SLO period ending on it still starts on a datetime.
DATE_PATTERN = r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_DATE = re.compile(DATE_PATTERN)
# Checked here rather than by FastAPI, so that every bad date answers one code.
_DATE_SCHEMA = {"format": "date", "pattern": DATE_PATTERN}
TAGS = ["metrics"]

Since = Annotated[str | None, Query(
    description="First day of the window, inclusive (ISO date, UTC; default: 14 days before until).",
    examples=["2026-11-01"], json_schema_extra=_DATE_SCHEMA,
)]  # fmt: skip
Until = Annotated[str | None, Query(
    description="The day after the window, exclusive (ISO date, UTC; default: tomorrow, so today counts).",
    examples=["2026-11-15"], json_schema_extra=_DATE_SCHEMA,
)]  # fmt: skip
MetricName = Annotated[
    str, Path(min_length=1, max_length=200, description="A catalog metric (GET /v1/metrics).")
]
PlatformQuery = Annotated[str | None, Query(
    min_length=1, max_length=120, description=f"Whose delivery (default: {PLATFORM!r}, the platform's own).",
)]  # fmt: skip


def register(api: Api) -> None:
    @api.get("/v1/metrics", response="numbers.catalog_response", tags=TAGS)
    def list_metrics(
        call: Call,
        family: Annotated[Literal["delivery", "ai_cost", "reliability", "business"] | None,
                          Query(description="Only this family.")] = None,
    ) -> dict[str, Any]:  # fmt: skip
        """The metric catalog: each definition's unit, formula, source, owner, target and version."""
        catalog = load_catalog()
        items = [m.as_dict() for m in catalog.metrics.values() if family in (None, m.family)]
        return numbers({"version": catalog.version, "count": len(items), "items": items})

    @api.get("/v1/metrics/dora", response="numbers.dora_response", errors=(403,), tags=TAGS)
    def delivery_dora(
        call: Call, tenant_id: PlatformQuery = None, since: Since = None, until: Until = None,
        statistic: Literal["median", "p90", "mean"] = "median",
        attribution: Annotated[Literal["window", "named"], Query(
            description="An incident counts against the deployment it names, or also (window) the"
                        " latest one in attribution_hours before it.")] = "window",
        attribution_hours: Annotated[float, Query(ge=0, le=720)] = 24.0,
        benchmark_year: Annotated[Literal["2021", "2023", "2024"], Query(
            description="The State of DevOps report whose clusters place each value.")] = "2024",
        include_simulated: bool = True,
    ) -> dict[str, Any]:  # fmt: skip
        """DORA's four keys (admin): deployment frequency, lead time, change failure rate, time to
        restore, each placed in the report's cluster, as on the delivery page."""
        call.caller.require_admin()
        tenant, span = call.for_tenant(tenant_id or PLATFORM), window(call, since, until)
        report = dora(call.store, tenant, since=span.since, until=span.until, statistic=statistic,
                      attribution=attribution, attribution_hours=attribution_hours,
                      include_simulated=include_simulated, benchmark_year=int(benchmark_year))  # fmt: skip
        return numbers(report.as_dict())

    @api.get("/v1/metrics/slo", response="numbers.slo_response", tags=TAGS)
    def reliability_slo(
        call: Call, tenant_id: TenantQuery = None, until: Until = None,
        period_days: Annotated[int, Query(ge=1, le=90, description="The SLO period ending at until.")] = 30,
    ) -> dict[str, Any]:  # fmt: skip
        """Each SLO's success ratio, error budget left, burn rates and the alerts firing."""
        tenant, at = call.for_tenant(tenant_id), moment(call, until)
        items = [s.as_dict() for s in status(call.store, tenant, at=at, period_days=period_days)]
        return numbers({"tenant_id": tenant, "at": at, "period_days": period_days,
                        "count": len(items), "items": items})  # fmt: skip

    @api.get("/v1/metrics/cost", response="numbers.cost_response", tags=TAGS)
    def ai_cost_report(
        call: Call, tenant_id: TenantQuery = None, since: Since = None, until: Until = None,
        by: Literal["provider", "model", "feature", "module"] = "model",
    ) -> dict[str, Any]:  # fmt: skip
        """AI cost at the prices in force when the usage happened; unpriced calls are counted
        apart (their cost is unknown, never $0)."""
        tenant, span = call.for_tenant(tenant_id), window(call, since, until)
        report = ai_cost(call.store, tenant, since=span.since, until=span.until, by=by)
        total = None if report.empty_reason else report.total_usd
        return numbers({"tenant_id": tenant, **spanned(span), **report.as_dict(),
                        "total_usd": total})  # fmt: skip

    @api.get("/v1/metrics/cost/per-active-tenant", response="numbers.cost_per_tenant_response",
             errors=(403,), tags=TAGS)  # fmt: skip
    def ai_cost_per_active_tenant(
        call: Call, since: Since = None, until: Until = None
    ) -> dict[str, Any]:
        """Every tenant's AI cost over the tenants active in the window (admin)."""
        call.caller.require_admin()
        span = window(call, since, until)
        result = cost_per_active_tenant(call.store, since=span.since, until=span.until)
        return numbers({**spanned(span), **result})

    @api.get("/v1/metrics/budget", response="numbers.budget_response", tags=TAGS)
    def ai_budget(call: Call, tenant_id: TenantQuery = None, until: Until = None) -> dict[str, Any]:
        """AI spend over the 30 days ending at until (or now) against the monthly budget, its
        money burn rates and the alerts firing."""
        tenant, at = call.for_tenant(tenant_id), moment(call, until)
        result = budget_status(call.store, tenant, at=at)
        return numbers({"at": at, "period_days": PERIOD.days, "empty_reason": None, **result})

    @api.get("/v1/metrics/margin", response="numbers.margin_response", tags=TAGS)
    def gross_margin_report(
        call: Call, tenant_id: TenantQuery = None, since: Since = None, until: Until = None
    ) -> dict[str, Any]:
        """The gross-margin proxy: (subscription revenue - AI cost) / revenue in the window."""
        tenant, span = call.for_tenant(tenant_id), window(call, since, until)
        result = gross_margin(call.store, tenant, since=span.since, until=span.until)
        return numbers({**spanned(span), **result})

    @api.get("/v1/metrics/{name}", response="numbers.metric_response", tags=TAGS)
    def compute_metric(
        call: Call, name: MetricName, tenant_id: TenantQuery = None, since: Since = None,
        until: Until = None,
        grain: Annotated[Literal["hour", "day", "week", "month", "all"], Query(
            description="Buckets of the window; all (default) is one value for the whole window.")] = "all",
    ) -> dict[str, Any]:  # fmt: skip
        """One catalog metric for the tenant: its value over the window (or by bucket), its
        status against the target, and where it came from."""
        tenant, span = call.for_tenant(tenant_id), window(call, since, until)
        result = compute(call.store, name, tenant_id=tenant, since=span.since, until=span.until,
                         grain=grain)  # fmt: skip
        shown, metric = result.as_dict(), result.metric
        return numbers({
            "tenant_id": tenant, **spanned(span), "grain": grain, "metric": metric.name, "unit": metric.unit,
            "family": metric.family, "target": shown_target(metric.target),
            "value": result.total if grain == "all" else None, "status": result.status if grain == "all" else None,
            "empty_reason": result.empty_reason, "rows": shown["rows"], "provenance": shown["provenance"],
        })  # fmt: skip

    @api.get("/v1/gates/runs", response="numbers.gate_runs_response", errors=(403,), tags=["gates"])
    def gate_runs(
        call: Call, limit: Annotated[int, Query(ge=1, le=200)] = 50,
        gate_id: Annotated[str | None, Query(pattern=r"^g[0-9]{2}_[a-z0-9_]+$", max_length=100)] = None,
    ) -> dict[str, Any]:  # fmt: skip
        """The latest gate results of every run (admin), newest first, with their report pages."""
        call.caller.require_admin()
        items = [gate_result(r) for r in history(call.store, limit=limit, gate_id=gate_id)]
        return numbers(listing(PLATFORM, items))


def window(call: Call, since: str | None, until: str | None) -> Window:
    """The window of ``since``/``until`` (ISO dates), each defaulting as on the dashboards.

    Raises:
        ApiError: 400 ``invalid_date`` naming the parameter; 400 ``invalid_window`` when the
            window does not end after it starts.
    """
    start, end = day(since, "since"), day(until, "until")
    span = default_window(call.app.clock.now(), since=start, until=end)
    if span.until <= span.since:
        raise ApiError(
            status=400, code="invalid_window",
            message=f"The window starts ({span.since.date()}) on or after it ends ({span.until.date()});"
                    " give a since before the until.",
            details=[Detail(path="/query/since", problem="not before until")],
        )  # fmt: skip
    return span


def moment(call: Call, until: str | None) -> datetime:
    """When a point-in-time report is taken: ``until``, or now when that is later or not given."""
    now = call.app.clock.now()
    end = day(until, "until")
    return now if end is None else min(end, now)


def day(value: str | None, name: str) -> datetime | None:
    """Midnight UTC of the ISO date ``value`` of parameter ``name`` (None stays None)."""
    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value) if _DATE.fullmatch(value) else None
    except ValueError:
        parsed = None
    if parsed is None:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ApiError(
            status=400, code="invalid_date",
            message=f"{name} {shown!r} is not a date; use the form 2026-11-01 (from 1970-01-01 on).",
            details=[Detail(path=f"/query/{name}", problem="not an ISO date (YYYY-MM-DD)")],
        )  # fmt: skip
    return datetime.combine(parsed, time(), UTC)


def spanned(span: Window) -> dict[str, datetime]:
    return {"since": span.since, "until": span.until}


def shown_target(target: Any) -> dict[str, Any] | None:
    return None if target is None else {"op": target.op, "value": target.value}


def gate_result(row: dict[str, Any]) -> dict[str, Any]:
    """One gate of a run as the gates page lists it, with the pages of its reports (the
    dashboards serve them to admins); the report folder's path on the server is not shown."""
    shown = {k: row[k] for k in ("run_id", "gate_id", "title", "verdict", "duration_seconds", "commit_sha",
                                 "started_at", "finished_at")}  # fmt: skip
    base = f"/reports/gates/{row['run_id']}"
    return {**shown, "summary_url": f"{base}/summary.md", "report_url": f"{base}/{row['gate_id']}.html"}  # fmt: skip


def numbers(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` as JSON carries it (see :func:`json_value`)."""
    shown: dict[str, Any] = json_value(body)
    return shown


def json_value(value: Any) -> Any:
    """``value`` as JSON carries it: times as ISO text, and every number finite or null (JSON
    has no NaN or Infinity)."""
    match value:
        case bool() | int() | str() | None:
            return value
        case float():
            return value if math.isfinite(value) else None
        case datetime() | date():
            return value.isoformat()
        case dict():
            return {str(k): json_value(v) for k, v in value.items()}
        case list() | tuple():
            return [json_value(v) for v in value]
    item = getattr(value, "item", None)  # a numpy scalar from a frame
    return json_value(item()) if callable(item) else value

"""AI cost from usage at query time, against prices with effective dates.

Usage rows (telemetry ``provider_call``) are joined to the price in force when they were recorded
(``ASOF`` join on provider and model), so setting a new price from a date re-prices only the usage
after that date, and every change is audited with the old and new totals. A model with no price
is reported as unpriced — its cost is unknown, never $0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from matrix import envelopes as env
from matrix import values
from matrix.errors import UsageError
from matrix.metrics.engine import check_window, dialect_of, query, run_sql

DIMENSIONS = ("provider", "model", "feature", "module")


@dataclass(kw_only=True)
class CostReport:
    by: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    total_usd: float = 0.0
    unpriced_calls: int = 0
    unpriced_models: list[str] = field(default_factory=list)
    empty_reason: str | None = None
    """Why there is no cost to show (no AI usage in the window); None when there is usage."""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def ai_cost(
    store: Any, tenant_id: str, *, since: datetime, until: datetime, by: str = "model"
) -> CostReport:
    """The tenant's AI cost in the window, grouped by provider, model, feature or module."""
    if by not in DIMENSIONS:
        raise UsageError(f"by must be one of {list(DIMENSIONS)}, got {by!r}.")
    check_window(since, until)
    where = "tenant_id = ? AND recorded_at >= ? AND recorded_at < ?"
    rows = run_sql(store, ("telemetry",), tenant_id, query("costs.by_group", dialect_of(store), group=f"t.{by}", where=where),
                   [tenant_id, since, until], window=("recorded_at", since, until), shared=("model_prices",))  # fmt: skip
    report = CostReport(by=by)
    unpriced_models: set[str] = set()
    for group, calls, unpriced, cost, models in rows:
        priced = int(calls) - int(unpriced)
        report.rows.append({by: group, "calls": int(calls), "unpriced_calls": int(unpriced),
                            "cost_usd": float(cost) if cost is not None and priced else (0.0 if not unpriced else None)})  # fmt: skip
        report.total_usd += float(cost or 0)
        report.unpriced_calls += int(unpriced)
        unpriced_models.update(models or ())
    report.unpriced_models = sorted(unpriced_models)
    if not report.rows:
        report.empty_reason = f"no AI provider calls for tenant {tenant_id!r} in the window"
    return report


@dataclass(kw_only=True)
class DailyCost:
    """AI cost over a window, day by day, and over the window of the same length before it."""

    current: CostReport
    """The window's cost, one row per day (``day``, ``calls``, ``unpriced_calls``, ``cost_usd``)."""
    previous: CostReport
    """The window before, as one row (``day`` None) when it had AI calls."""


def daily_cost(store: Any, tenant_id: str, *, since: datetime, until: datetime) -> DailyCost:
    """The tenant's AI cost in ``[since, until)`` per day and in the window of the same length
    before ``since``, from one scan: the previous window is one group, each day of the window
    another."""
    check_window(since, until)
    before = since - (until - since)
    where = "tenant_id = ? AND recorded_at >= ? AND recorded_at < ?"
    group = "CASE WHEN t.recorded_at >= ? THEN date_trunc('day', t.recorded_at) END"
    rows = run_sql(store, ("telemetry",), tenant_id, query("costs.by_group_model", dialect_of(store), group=group, where=where),
                   [since, tenant_id, before, until], window=("recorded_at", before, until), shared=("model_prices",))  # fmt: skip
    current, previous = CostReport(by="day"), CostReport(by="day")
    groups: dict[Any, dict[str, Any]] = {}
    for day, model, calls, unpriced, cost in rows:
        row = groups.setdefault(
            day, {"day": day, "calls": 0, "unpriced_calls": 0, "costs": [], "models": set()}
        )
        row["calls"] += int(calls)
        row["unpriced_calls"] += int(unpriced)
        row["costs"] += [float(cost)] if cost is not None and int(calls) > int(unpriced) else []
        row["models"] |= {model} if int(unpriced) else set()
    for day, row in groups.items():
        report = current if day is not None else previous
        priced = row["calls"] > row["unpriced_calls"]
        report.rows.append({"day": day, "calls": row["calls"], "unpriced_calls": row["unpriced_calls"],
                            "cost_usd": math.fsum(row["costs"]) if priced else None})  # fmt: skip
        report.unpriced_calls += row["unpriced_calls"]
        report.unpriced_models = sorted({*report.unpriced_models, *row["models"]})
    for report, when in ((current, "in the window"), (previous, "before the window")):
        report.total_usd = math.fsum(r["cost_usd"] or 0.0 for r in report.rows)
        if not report.rows:
            report.empty_reason = f"no AI provider calls for tenant {tenant_id!r} {when}"
    return DailyCost(current=current, previous=previous)


def provider_failures(store: Any, tenant_id: str, correlation_id: str) -> list[dict[str, Any]]:
    """The failed AI provider calls of one request (its correlation), oldest first: the warning
    shown beside the request's outcome, which stands without them."""
    rows = run_sql(
        store,
        ("telemetry",),
        tenant_id,
        query("costs.provider_failures"),
        [tenant_id, correlation_id],
    )
    return [
        {"at": at, "provider": provider, "model": model, "error_code": code}
        for at, provider, model, code in rows
    ]


TRACE_CALL_FIELDS = ("at", "name", "provider", "model", "feature", "status", "latency_ms",
                     "input_tokens", "cached_tokens", "output_tokens", "error_code", "cost_usd", "unpriced")  # fmt: skip


def trace_calls(
    store: Any, tenant_id: str, correlation_id: str, *, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """The AI provider calls of one request (its correlation) recorded in ``[since, until)``,
    oldest first, each with its tokens, latency and cost at the price in force (``cost_usd``
    None and ``unpriced`` True for a model with no price, never $0)."""
    check_window(since, until)
    where = "tenant_id = ? AND correlation_id = ? AND recorded_at >= ? AND recorded_at < ?"
    rows = run_sql(store, ("telemetry",), tenant_id, query("costs.trace_calls", dialect_of(store), where=where),
                   [tenant_id, correlation_id, since, until], window=("recorded_at", since, until),
                   shared=("model_prices",))  # fmt: skip
    calls = [dict(zip(TRACE_CALL_FIELDS, row, strict=True)) for row in rows]
    for call in calls:
        call["unpriced"] = bool(call["unpriced"])
        call["cost_usd"] = (
            None if call["unpriced"] or call["cost_usd"] is None else float(call["cost_usd"])
        )
    return calls


def spent_in_windows(
    store: Any, tenant_id: str, *, at: datetime, windows: list[timedelta]
) -> list[float]:
    """What the tenant's priced AI usage cost in each window ending at ``at`` (one scan for all)."""
    start = at - max(windows)
    sums = ", ".join(query("costs.spent_since", dialect_of(store)) for _ in windows)
    where = "tenant_id = ? AND recorded_at >= ? AND recorded_at < ?"
    [row] = run_sql(store, ("telemetry",), tenant_id, query("costs.sums", dialect_of(store), sums=sums, where=where),
                    [at - w for w in windows] + [tenant_id, start, at], window=("recorded_at", start, at),
                    shared=("model_prices",))  # fmt: skip
    return [float(v) for v in row]


def _total_after(
    store: Any, provider: str, model: str, start: datetime
) -> tuple[int, float | None]:
    """All tenants' usage of one model from ``start``, and its cost at the prices in force (admin read)."""
    tenants = store.pricing.tenants_calling(provider, model, start)
    rows, total, unpriced = 0, 0.0, 0
    for tenant in tenants:
        found = run_sql(store, ("telemetry",), tenant, query("costs.by_group", dialect_of(store),
            group="t.model", where="tenant_id = ? AND provider = ? AND model = ? AND recorded_at >= ?"),
            [tenant, provider, model, start], shared=("model_prices",))  # fmt: skip
        for _, calls, unpriced_calls, cost, _ in found:
            rows += int(calls)
            unpriced += int(unpriced_calls)
            total += float(cost or 0)
    return rows, (None if rows and unpriced == rows else total)


def set_price(
    store: Any, *, provider: str, model: str, effective_from: datetime, input_per_mtok: float,
    output_per_mtok: float, cached_input_per_mtok: float | None = None, audio_per_minute: float = 0.0,
    actor: str, note: str | None = None, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """Add a price from ``effective_from``; returns the audit: rows re-priced, old and new totals."""
    for name, value in (("input_per_mtok", input_per_mtok), ("output_per_mtok", output_per_mtok),
                        ("audio_per_minute", audio_per_minute)):  # fmt: skip
        values.number(value, name, minimum=0, example="1.25 (US dollars)")
    if cached_input_per_mtok is not None:
        values.number(cached_input_per_mtok, "cached_input_per_mtok", minimum=0,
                      example="0.125 (US dollars)")  # fmt: skip
    if effective_from.tzinfo is None:
        raise UsageError("effective_from must carry a time zone.")
    if not provider or not model:
        raise UsageError("Name the provider and the model, e.g. openai gpt-5-mini.")
    rows, old_total = _total_after(store, provider, model, effective_from)
    store.pricing.add_price({
        "price_id": env.new_id(), "provider": provider, "model": model, "effective_from": effective_from,
        "input_per_mtok": input_per_mtok,
        "cached_input_per_mtok": input_per_mtok if cached_input_per_mtok is None else cached_input_per_mtok,
        "output_per_mtok": output_per_mtok, "audio_per_minute": audio_per_minute, "note": note,
        "created_by": actor, "created_at": now,
    })  # fmt: skip
    _, new_total = _total_after(store, provider, model, effective_from)
    audit = {"audit_id": env.new_id(), "provider": provider, "model": model, "effective_from": effective_from,
             "rows_repriced": rows, "old_total_usd": old_total, "new_total_usd": new_total or 0.0,
             "actor": actor, "changed_at": now}  # fmt: skip
    store.pricing.add_audit(audit)
    return audit


def cost_per_active_tenant(store: Any, *, since: datetime, until: datetime) -> dict[str, Any]:
    """Admin aggregate: AI cost of every tenant in the window over the tenants that were active
    (had at least one owner interaction). Unpriced usage is counted separately, not as $0."""
    active = store.pricing.active_tenants(since, until)
    total, unpriced = 0.0, 0
    for tenant in active:
        report = ai_cost(store, tenant, since=since, until=until)
        total += report.total_usd
        unpriced += report.unpriced_calls
    return {"active_tenants": len(active), "total_usd": total, "unpriced_calls": unpriced,
            "cost_per_active_tenant_usd": (total / len(active)) if active else None,
            "reason": None if active else "no tenant had an owner interaction in the window"}  # fmt: skip


def set_plan(
    store: Any, tenant_id: str, *, plan: str, monthly_fee_usd: float, effective_from: datetime,
    actor: str, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """Record what ``tenant_id`` pays per month from ``effective_from`` (setting the same date again replaces it)."""
    values.number(monthly_fee_usd, "monthly_fee_usd", minimum=0, example="49.90 (US dollars)")
    if effective_from.tzinfo is None:
        raise UsageError("effective_from must carry a time zone.")
    store.tenants.require(tenant_id)
    row = {"tenant_id": tenant_id, "effective_from": effective_from, "plan": plan,
           "monthly_fee_usd": float(monthly_fee_usd), "created_by": actor, "created_at": now}  # fmt: skip
    store.pricing.set_plan(row)
    return row


def revenue(store: Any, tenant_id: str, *, since: datetime, until: datetime) -> float | None:
    """Subscription revenue in the window: each plan's monthly fee spread evenly over the year
    (fee × 12 / 365 a day) for the part of the window it was in force. None without any plan."""
    check_window(since, until)
    plans = store.pricing.plans(tenant_id)
    if not plans:
        return None
    total = 0.0
    for i, (start, fee) in enumerate(plans):
        end = plans[i + 1][0] if i + 1 < len(plans) else until
        overlap = (min(end, until) - max(start, since)).total_seconds()
        total += max(overlap, 0.0) / 86400 * float(fee) * 12 / 365
    return total


def gross_margin(store: Any, tenant_id: str, *, since: datetime, until: datetime,
                 cost: CostReport | None = None) -> dict[str, Any]:  # fmt: skip
    """The gross-margin proxy: (subscription revenue - AI cost) / revenue in the window. Unpriced
    usage makes the margin an upper bound, and says so; no plan or no revenue gives a reason.
    ``cost`` is the window's :func:`ai_cost` when the caller has it already."""
    store.tenants.require(tenant_id)
    income = revenue(store, tenant_id, since=since, until=until)
    cost = cost or ai_cost(store, tenant_id, since=since, until=until)
    result: dict[str, Any] = {
        "tenant_id": tenant_id, "revenue_usd": income, "ai_cost_usd": cost.total_usd,
        "gross_margin_usd": None, "gross_margin_ratio": None, "unpriced_calls": cost.unpriced_calls,
        "upper_bound": cost.unpriced_calls > 0, "reason": None,
    }  # fmt: skip
    if income is None:
        result["reason"] = (
            "no subscription plan recorded (matrix tenant plan T --fee 49 --from 2026-01-01)"
        )
    elif income == 0:
        result["reason"] = "no revenue in the window (free plan or window before the first plan)"
    else:
        result["gross_margin_usd"] = income - cost.total_usd
        result["gross_margin_ratio"] = (income - cost.total_usd) / income
    return result

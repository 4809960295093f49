"""Per-tenant AI budgets with multi-window burn-rate alerts on money.

A tenant's monthly budget (runtime config ``ai_budget.monthly_usd``) is spread evenly over 30
days. The burn rate of a window is what the tenant spent in it divided by the budget's share of
that window; alerts use the same window pairs and factors as the SLO alerts, so a budget that
would be gone in two days pages, and a slow overspend opens a ticket. Usage of unpriced models
cannot be counted in money, so the result says how many calls were left out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from matrix.errors import UsageError
from matrix.metrics.costs import ai_cost, spent_in_windows
from matrix.metrics.slo import ALERTS, _label

PERIOD = timedelta(days=30)


def monthly_budget(store: Any, tenant_id: str) -> float | None:
    """The tenant's monthly AI budget in dollars (runtime config ``ai_budget.monthly_usd``), None
    without one."""
    stored = store.runtime_config.get(tenant_id)
    found = ((stored[0] if stored else {}).get("ai_budget") or {}).get("monthly_usd")
    return float(found) if found else None


def budget_status(
    store: Any, tenant_id: str, *, at: datetime, monthly_usd: float | None = None
) -> dict[str, Any]:
    """Spend over the last 30 days against the budget, burn rates, and firing alerts."""
    if at.tzinfo is None:
        raise UsageError("at must carry a time zone.")
    store.tenants.require(tenant_id)
    if monthly_usd is None:
        monthly_usd = monthly_budget(store, tenant_id)
    period = ai_cost(store, tenant_id, since=at - PERIOD, until=at)
    result: dict[str, Any] = {
        "tenant_id": tenant_id, "budget_usd": monthly_usd, "spent_usd": period.total_usd,
        "unpriced_calls": period.unpriced_calls, "remaining_usd": None, "burn_rates": {}, "alerts": [],
    }  # fmt: skip
    if not monthly_usd:
        result["empty_reason"] = (
            "no AI budget set (matrix tenant config T --set ai_budget.monthly_usd=50)"
        )
        return result
    result["remaining_usd"] = monthly_usd - period.total_usd
    windows = sorted({w for _, long, short, _ in ALERTS for w in (long, short)})
    spent_in = dict(
        zip(windows, spent_in_windows(store, tenant_id, at=at, windows=windows), strict=True)
    )
    for factor, long, short, severity in ALERTS:
        rates = []
        for window in (long, short):
            spent = spent_in[window]
            allowance = monthly_usd * (window / PERIOD)
            rate = spent / allowance if allowance else 0.0
            result["burn_rates"][_label(window)] = rate
            rates.append(rate)
        if all(rate > factor for rate in rates):
            result["alerts"].append(
                {
                    "factor": factor,
                    "long": _label(long),
                    "short": _label(short),
                    "severity": severity,
                }
            )
    return result

"""The small facade notebooks use: one call per cell.

store = connect()                      # MATRIX_STORAGE_URL, or the demo store
result = metric("owner_interaction_success_ratio", tenant="sim-01", days=14)
show(result)
show(routing_eval(part="test"))         # the routing confusion matrix; no store needed
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matrix.app import App, build
from matrix.config import Settings
from matrix.errors import UsageError
from matrix.metrics import MetricResult, compute
from matrix.routing import RoutingReport
from matrix.storage import Store
from matrix.windows import DEFAULT_DAYS, default_window

_APP: App | None = None


def connect(storage_url: str | None = None) -> Store:
    """Open (once per kernel) the store at ``storage_url`` or ``MATRIX_STORAGE_URL``."""
    global _APP
    if _APP is None or (storage_url and _APP.settings.storage_url != storage_url):
        if _APP is not None:
            _APP.close()
        _APP = build(Settings.load(storage_url=storage_url), must_exist=True)
    return _APP.store


def _window(days: int, until: datetime | None) -> tuple[datetime, datetime]:
    """The default window of every face (:func:`matrix.windows.default_window`), by the store's clock."""
    window = default_window(connect().clock.now(), days=days, until=until)
    return window.since, window.until


def metric(
    name: str,
    *,
    tenant: str,
    days: int = DEFAULT_DAYS,
    grain: str = "day",
    until: datetime | None = None,
) -> MetricResult:
    since, end = _window(days, until)
    return compute(connect(), name, tenant_id=tenant, since=since, until=end, grain=grain)


def dora(
    *,
    tenant: str = "platform",
    days: int = 30,
    statistic: str = "median",
    benchmark_year: int = 2024,
) -> Any:
    from matrix.metrics.dora import dora as compute_dora

    since, end = _window(days, None)
    return compute_dora(
        connect(),
        tenant,
        since=since,
        until=end,
        statistic=statistic,  # type: ignore[arg-type]
        benchmark_year=benchmark_year,
    )


def cost(*, tenant: str, days: int = 30, by: str = "model") -> Any:
    from matrix.metrics.costs import ai_cost

    since, end = _window(days, None)
    return ai_cost(connect(), tenant, since=since, until=end, by=by)


def margin(*, tenant: str, days: int = 30) -> dict[str, Any]:
    """The gross-margin proxy: subscription revenue minus AI cost, over revenue."""
    from matrix.metrics.costs import gross_margin

    since, end = _window(days, None)
    return gross_margin(connect(), tenant, since=since, until=end)


def slo(*, tenant: str) -> list[dict[str, Any]]:
    from matrix.metrics.slo import status

    store = connect()
    return [s.as_dict() for s in status(store, tenant, at=store.clock.now())]


def approvals(*, tenant: str, status: str = "all", limit: int = 200) -> Any:
    import pandas as pd

    from matrix.approvals import Status

    rows = connect().approvals.list(
        tenant, status=None if status == "all" else Status(status), limit=limit
    )
    return pd.DataFrame([a.summary() for a in rows])


def trace(*, tenant: str, correlation_id: str | None = None) -> Any:
    """One request end to end (the newest owner request when no id is given), as a table."""
    import pandas as pd

    store = connect()
    if correlation_id is None:
        newest = store.events.list(tenant, name="owner.command.create", limit=1)
        if not newest:
            return pd.DataFrame(columns=["at", "name", "status", "source", "target"])
        correlation_id = newest[0]["correlation_id"]
    chain = store.events.trace(tenant, correlation_id)
    return pd.DataFrame([{"at": e.get("created_at") or e.get("emitted_at"), "name": e["name"],
                          "status": e.get("status", ""), "source": e["source_module"],
                          "target": e["target_module"]} for e in chain])  # fmt: skip


def contracts_report() -> Any:
    """The contract catalog's self-check (schemas against 2020-12, examples at their pointers)."""
    from matrix.contracts import Catalog

    return Catalog(Settings.load().contracts_dir).check()


def routing_eval(*, part: str = "test") -> RoutingReport:
    """The shipped routing rules scored on a part of the labelled corpus (no store needed)."""
    from matrix.routing import rules_report

    return rules_report(part)


def routing_frame(report: RoutingReport, view: str = "intents") -> Any:
    """One view of a routing report as a table: ``summary``, ``intents`` (precision and recall),
    ``languages``, ``misses`` or ``harmful``."""
    import pandas as pd

    body = report.as_dict()
    match view:
        case "summary":
            keys = ("part", "router", "routing_version", "policy_version", "cases", "correct",
                    "accuracy", "harmful_count")  # fmt: skip
            return pd.DataFrame([{k: body[k] for k in keys}])
        case "intents" | "languages":
            return pd.DataFrame(body[view])
        case "misses" | "harmful":
            columns = ("id", "text", "language", "expected", "predicted", "harm")
            return pd.DataFrame(body[view], columns=list(columns))
        case _:
            raise UsageError(
                f"Unknown routing view {view!r}; use summary, intents, languages, misses or harmful."
            )


def record(name: str, value: Any) -> Any:
    """Record a value for the gate that runs this notebook (the runner reads it); returns the value."""
    import json

    path = Settings.load().gate_record
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"name": name, "value": value}, default=str) + "\n")
    return value


def show(item: Any) -> Any:
    """A figure for a metric, DORA, cost or SLO result; anything else is returned as is."""
    from matrix import viz
    from matrix.metrics.costs import CostReport
    from matrix.metrics.dora import DoraReport

    if isinstance(item, MetricResult):
        return viz.metric_line(item)
    if isinstance(item, DoraReport):
        return viz.dora_summary(item)
    if isinstance(item, CostReport):
        return viz.cost_bars(item)
    if isinstance(item, RoutingReport):
        return viz.routing_confusion(item)
    if isinstance(item, list) and item and isinstance(item[0], dict) and "slo" in item[0]:
        return viz.slo_table(item)
    return item

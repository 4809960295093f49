"""SLOs, error budgets and multi-window, multi-burn-rate alerts (the origin's SLOs).

Each SLO is a success ratio over good/valid events. The error budget over the period is
``1 - target``; ``remaining`` is the share of that budget not yet spent. A burn rate over a window
is the window's error ratio divided by the budget; an alert fires when both its long and its short
window burn faster than its factor (14.4× over 1 h and 5 m, 6× over 6 h and 30 m, 3× over 1 d and
2 h, 1× over 3 d and 6 h), so a brief spike alone never pages and a slow leak still does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from matrix.errors import UsageError
from matrix.metrics.engine import dialect_of, query, run_sql


@dataclass(frozen=True, kw_only=True)
class Slo:
    name: str
    target: float
    source: str
    time_column: str
    valid: str
    good: str
    module: str


SLOS = (
    Slo(name="owner_interaction_success", target=0.99, source="telemetry", time_column="recorded_at", module="mod-01",
        valid="kind = 'request' AND name = 'owner.interaction' AND status IN ('ok', 'error')", good="status = 'ok'"),
    Slo(name="dispatch_success", target=0.98, source="outbound_messages", time_column="updated_at", module="mod-02",
        valid="status IN ('sent', 'dead')", good="status = 'sent'"),
    Slo(name="customers_task_success", target=0.995, source="telemetry", time_column="recorded_at", module="mod-03",
        valid="kind = 'task' AND module = 'mod-03-clientes' AND status <> 'refused'", good="status = 'completed'"),
    Slo(name="agenda_task_success", target=0.99, source="telemetry", time_column="recorded_at", module="mod-04",
        valid="kind = 'task' AND module = 'mod-04-agenda' AND status <> 'refused'", good="status = 'completed'"),
    Slo(name="billing_task_success", target=0.99, source="telemetry", time_column="recorded_at", module="mod-05",
        valid="kind = 'task' AND module = 'mod-05-faturamento-cobranca' AND status <> 'refused'", good="status = 'completed'"),
)  # fmt: skip

# (factor, long window, short window, severity)
ALERTS = (
    (14.4, timedelta(hours=1), timedelta(minutes=5), "page"),
    (6.0, timedelta(hours=6), timedelta(minutes=30), "page"),
    (3.0, timedelta(days=1), timedelta(hours=2), "ticket"),
    (1.0, timedelta(days=3), timedelta(hours=6), "ticket"),
)


@dataclass(kw_only=True)
class SloStatus:
    slo: str
    module: str
    target: float
    period_days: int
    valid: int = 0
    bad: int = 0
    success_ratio: float | None = None
    budget_remaining: float | None = None
    burn_rates: dict[str, float | None] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    empty_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _counts(
    store: Any, slo: Slo, tenant_id: str, start: datetime, end: datetime
) -> tuple[int, int]:
    sql = query("slo.counts", good=slo.good, source=slo.source, time_column=slo.time_column,
                valid=slo.valid)  # fmt: skip
    [(valid, bad)] = run_sql(store, (slo.source,), tenant_id, sql, [tenant_id, start, end],
                             window=(slo.time_column, start, end))  # fmt: skip
    return int(valid), int(bad)


def burn_rate(
    store: Any, slo: Slo, tenant_id: str, end: datetime, window: timedelta
) -> float | None:
    valid, bad = _counts(store, slo, tenant_id, end - window, end)
    return None if not valid else (bad / valid) / (1 - slo.target)


def _window_counts(
    store: Any, slos: list[Slo], tenant_id: str, at: datetime, windows: list[timedelta]
) -> dict[tuple[str, timedelta], tuple[int, int]]:
    """(valid, bad) of every SLO in ``slos`` (all on one source table) over every window ending
    ``at``, from one scan of the longest window: rows are counted in bands between consecutive
    window starts (newest first), and a window's count is the sum of the bands it covers."""
    source, time = slos[0].source, slos[0].time_column
    ordered = sorted(windows)
    band = "CASE " + " ".join(f"WHEN {time} >= ? THEN {i}" for i in range(len(ordered) - 1)) \
        + f" ELSE {len(ordered) - 1} END"  # fmt: skip
    sums = []
    for slo in slos:
        sums.append(f"coalesce(sum(CASE WHEN {slo.valid} THEN 1 ELSE 0 END), 0)")
        sums.append(
            f"coalesce(sum(CASE WHEN ({slo.valid}) AND NOT coalesce({slo.good}, false) THEN 1 ELSE 0 END), 0)"
        )
    valid = " OR ".join(f"({slo.valid})" for slo in slos)
    start = at - ordered[-1]
    sql = (f"SELECT {band} AS band, {', '.join(sums)} FROM {source}"
           f" WHERE tenant_id = ? AND {time} >= ? AND {time} < ? AND ({valid}) GROUP BY 1")  # fmt: skip
    rows = run_sql(store, (source,), tenant_id, sql, [*(at - w for w in ordered[:-1]), tenant_id, start, at],
                   window=(time, start, at))  # fmt: skip
    bands = {int(r[0]): [int(v) for v in r[1:]] for r in rows}
    counts = {}
    for i, slo in enumerate(slos):
        for w, window in enumerate(ordered):
            covered = [bands[b] for b in range(w + 1) if b in bands]
            counts[(slo.name, window)] = (
                sum(c[2 * i] for c in covered),
                sum(c[2 * i + 1] for c in covered),
            )
    return counts


def status(store: Any, tenant_id: str, *, at: datetime, period_days: int = 30) -> list[SloStatus]:
    """Every SLO's budget over the period ending ``at``, its burn rates and firing alerts: one
    scan per source table for every SLO and window."""
    if at.tzinfo is None:
        raise UsageError("at must carry a time zone.")
    store.tenants.require(tenant_id)
    period = timedelta(days=period_days)
    windows = sorted({period, *(w for _, long, short, _ in ALERTS for w in (long, short))})
    counts: dict[tuple[str, timedelta], tuple[int, int]] = {}
    for source in dict.fromkeys(slo.source for slo in SLOS):
        counts |= _window_counts(
            store, [s for s in SLOS if s.source == source], tenant_id, at, windows
        )

    def rate(slo: Slo, window: timedelta) -> float | None:
        valid, bad = counts[(slo.name, window)]
        return None if not valid else (bad / valid) / (1 - slo.target)

    out = []
    for slo in SLOS:
        result = SloStatus(
            slo=slo.name, module=slo.module, target=slo.target, period_days=period_days
        )
        result.valid, result.bad = counts[(slo.name, period)]
        if not result.valid:
            result.empty_reason = (
                f"no {slo.source} events for this SLO in the last {period_days} days"
            )
            out.append(result)
            continue
        result.success_ratio = 1 - result.bad / result.valid
        result.budget_remaining = 1 - (result.bad / result.valid) / (1 - slo.target)
        for factor, long, short, severity in ALERTS:
            long_rate, short_rate = rate(slo, long), rate(slo, short)
            result.burn_rates[_label(long)] = long_rate
            result.burn_rates[_label(short)] = short_rate
            if (
                long_rate is not None
                and short_rate is not None
                and long_rate > factor
                and short_rate > factor
            ):
                result.alerts.append({"factor": factor, "long": _label(long), "short": _label(short), "severity": severity,
                                      "long_burn": long_rate, "short_burn": short_rate})  # fmt: skip
        out.append(result)
    return out


def _label(window: timedelta) -> str:
    minutes = int(window.total_seconds() // 60)
    return (
        f"{minutes // 1440}d"
        if minutes % 1440 == 0
        else f"{minutes // 60}h"
        if minutes % 60 == 0
        else f"{minutes}m"
    )


def latency_percentiles(store: Any, tenant_id: str, *, since: datetime, until: datetime,
                        grain: str = "day") -> list[dict[str, Any]]:  # fmt: skip
    """p50, p95 and p99 of owner-interaction latency (ms) per ``grain`` bucket, with the count."""
    from matrix.metrics.engine import GRAINS, check_window

    if grain not in GRAINS or grain == "all":
        raise UsageError(f"grain must be one of {list(GRAINS[:-1])}, got {grain!r}.")
    check_window(since, until)
    rows = run_sql(store, ("telemetry",), tenant_id, query("slo.latency_percentiles", dialect_of(store), grain=grain),
                   [tenant_id, since, until], window=("recorded_at", since, until))  # fmt: skip
    return [{"bucket": b, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "requests": int(n)}
            for b, p50, p95, p99, n in rows]  # fmt: skip


def refusals(
    store: Any, tenant_id: str, *, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Tasks a business rule refused in the window, by module and reason (most frequent first):
    a business number (what owners ask that cannot be done), never counted as a failure."""
    from matrix.metrics.engine import check_window

    check_window(since, until)
    rows = run_sql(store, ("telemetry",), tenant_id, query("slo.refusals"), [tenant_id, since, until],
                   window=("recorded_at", since, until))  # fmt: skip
    return [
        {"module": m, "task_type": t, "reason_code": r, "refused": int(n)} for m, t, r, n in rows
    ]


def queue_depth(store: Any, tenant_id: str) -> dict[str, int]:
    """The tenant's task queue now: tasks by status (queued, running, completed, refused, dead…)."""
    counts: dict[str, int] = store.tasks.counts(tenant_id)
    return counts

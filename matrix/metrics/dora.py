"""DORA delivery metrics from commits, deployments and incidents.

- deployment frequency: successful deployments (code and config) per day of the window;
- lead time for changes: each commit's time to the first successful code deployment of its
  service whose commit contains it (reachable through the commits' parents, and not from an
  earlier deployment of that service); lead time = deployed - committed. Where the history has no
  parents (rows imported before they were kept, simulated history), a deployment takes the
  commits of its service made after the previous deployment and not after it. Lead times of zero
  or less (the tagged commit itself, clock skew) are dropped and counted;
- change failure rate: deployments that failed, or that an incident is attributed to, over all
  deployments (never above 100%). An incident is attributed to the deployment it names, or
  (rule ``window``) to the latest deployment in the ``attribution_hours`` before it started;
- time to restore: resolved incidents started in the window, resolved - started;
- deployment rework rate (the 2024 report's fifth metric): deployments that were unplanned and
  made because of an incident (marked hotfix, or naming the incident they remediate), over all
  deployments. The 2024 report groups it with change failure rate as *instability*, against the
  *throughput* of deployment frequency, lead time and recovery time; its clusters are drawn on
  the four keys alone, so rework rate is shown beside them without a level.

The statistic (``median``, ``p90``, ``mean``) is an explicit parameter, and so is the benchmark
year: each value is placed in the performance cluster (elite, high, medium, low) of the 2021, 2023
or 2024 State of DevOps report, with the report's own wording (``dora_benchmarks.json``).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Literal

from matrix import paths
from matrix.errors import UsageError
from matrix.metrics.engine import check_window, query, run_sql

Statistic = Literal["median", "p90", "mean"]
BENCHMARK_YEARS = (2021, 2023, 2024)
LEVELS = ("elite", "high", "medium", "low")


@cache
def _benchmarks() -> dict[str, Any]:
    text = paths.dora_benchmarks_file().read_text(encoding="utf-8")
    years: dict[str, Any] = json.loads(text)["years"]
    return years


def classify(metric: str, value: float | None, year: int) -> tuple[str, str] | None:
    """The (level, report wording) of ``value`` for ``metric`` in the ``year`` report; None without a value."""
    if year not in BENCHMARK_YEARS:
        raise UsageError(
            f"benchmark year must be one of {', '.join(map(str, BENCHMARK_YEARS))}, got {year!r}."
        )
    if value is None:
        return None
    for tier in _benchmarks()[str(year)][metric]:
        if "every_days" in tier:
            met = tier["every_days"] is None or value * tier["every_days"] >= 1
        elif "max" in tier:
            met = value < tier["max"] if tier.get("strict") else value <= tier["max"]
        else:
            met = True
        if met:
            return tier["level"], tier["report"]
    return "low", ""


def summarize(values: list[float], statistic: Statistic) -> float | None:
    """The statistic of ``values`` (None when there are none); p90 interpolates linearly."""
    if not values:
        return None
    ordered = sorted(values)
    match statistic:
        case "median":
            return float(statistics.median(ordered))
        case "mean":
            return float(statistics.fmean(ordered))
        case "p90":
            rank = 0.9 * (len(ordered) - 1)
            low = int(rank)
            high = min(low + 1, len(ordered) - 1)
            return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    raise UsageError(f"statistic must be median, p90 or mean, got {statistic!r}.")


@dataclass(kw_only=True)
class DoraReport:
    tenant_id: str
    since: datetime
    until: datetime
    statistic: Statistic
    deployments: int = 0
    deployments_per_day: float = 0.0
    lead_time_hours: float | None = None
    lead_times_used: int = 0
    lead_times_dropped: int = 0
    change_failure_ratio: float | None = None
    failed_deployments: int = 0
    time_to_restore_hours: float | None = None
    incidents_resolved: int = 0
    rework_deployments: int = 0
    rework_ratio: float | None = None
    code_deployments: int = 0
    config_deployments: int = 0
    platform_deployments: int = 0
    """Of the code deployments, the platform's releases (which reach every tenant)."""
    benchmark_year: int = 2024
    levels: dict[str, str] = field(default_factory=dict)
    benchmark: dict[str, str] = field(default_factory=dict)
    empty_reasons: dict[str, str] = field(default_factory=dict)

    @property
    def level(self) -> str | None:
        """The overall level: the worst of the four keys that have data (None when none has)."""
        found = [LEVELS.index(level) for level in self.levels.values()]
        return LEVELS[max(found)] if found else None

    def _place(self) -> None:
        for metric in (
            "deployments_per_day",
            "lead_time_hours",
            "change_failure_ratio",
            "time_to_restore_hours",
        ):
            value = (
                None
                if metric == "deployments_per_day" and not self.deployments
                else getattr(self, metric)
            )
            placed = classify(metric, value, self.benchmark_year)
            if placed:
                self.levels[metric], self.benchmark[metric] = placed

    @property
    def factors(self) -> dict[str, dict[str, float | None]]:
        """The 2024 report's framing: throughput against instability."""
        return {
            "throughput": {"deployments_per_day": self.deployments_per_day if self.deployments else None,
                           "lead_time_hours": self.lead_time_hours,
                           "time_to_restore_hours": self.time_to_restore_hours},
            "instability": {"change_failure_ratio": self.change_failure_ratio,
                            "rework_ratio": self.rework_ratio},
        }  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["factors"] = self.factors
        out["level"] = self.level
        out["since"], out["until"] = self.since.isoformat(), self.until.isoformat()
        return out


@dataclass(kw_only=True)
class _Rows:
    """What DORA reads for a range: deployments, lead times by deployment time, incidents."""

    deployments: list[tuple[Any, ...]]
    lead: list[tuple[datetime, float]]
    incidents: list[tuple[Any, ...]]


PLATFORM = "platform"
"""The tenant that records the platform's own releases; they reach every tenant."""


def _collect(
    store: Any, tenant_id: str, since: datetime, until: datetime, include_simulated: bool
) -> _Rows:
    """The tenant's rows; for a tenant other than the platform, with the platform's code
    releases (and their lead times and incidents) beside its own, since those reached it."""
    own = _collect_one(store, tenant_id, since, until, include_simulated)
    if tenant_id == PLATFORM or store.tenants.get(PLATFORM) is None:
        return own
    platform = _collect_one(store, PLATFORM, since, until, include_simulated)
    releases = [(*d[:6], True) for d in platform.deployments if d[2] == "code"]
    return _Rows(deployments=sorted(own.deployments + releases, key=lambda d: (d[4], str(d[0]))),
                 lead=own.lead + platform.lead, incidents=own.incidents + platform.incidents)  # fmt: skip


def _collect_one(
    store: Any, tenant_id: str, since: datetime, until: datetime, include_simulated: bool
) -> _Rows:
    sim = "" if include_simulated else " AND NOT simulated"
    tables = ("commits", "deployments", "incidents", "event_log")
    deployments = run_sql(store, tables, tenant_id, query("dora.deployments", sim=sim),
                          [tenant_id, since, until, tenant_id, since, until])  # fmt: skip
    shipped = run_sql(
        store, tables, tenant_id, query("dora.code_deployments", sim=sim), [tenant_id, until]
    )
    commits = run_sql(store, tables, tenant_id, query("dora.commits"), [tenant_id])
    incidents = run_sql(store, tables, tenant_id, query("dora.incidents", sim=sim),
                        [tenant_id, since, until])  # fmt: skip
    lead = [(at, s) for at, s in lead_times(shipped, commits) if since <= at < until]
    return _Rows(deployments=deployments, lead=lead, incidents=incidents)


def lead_times(
    deployments: list[tuple[Any, ...]], commits: list[tuple[Any, ...]]
) -> list[tuple[datetime, float]]:
    """(deployed_at, seconds from commit to deployment) for every commit a deployment shipped.

    ``deployments`` are (id, service, commit sha, deployed_at) of successful code deployments in
    time order; ``commits`` are (sha, repo, committed_at, parents or None). A commit ships with the
    first deployment of a service whose commit reaches it through parents; deployments whose
    commit has no recorded parents fall back to the time rule (after the service's previous
    deployment, not after this one).
    """
    graph = {
        sha: (at, None if parents is None else parents.split()) for sha, _, at, parents in commits
    }
    by_repo: dict[str, list[tuple[datetime, str]]] = {}
    for sha, repo, at, _ in commits:
        by_repo.setdefault(repo, []).append((at, sha))
    shipped: dict[str, set[str]] = {}
    previous: dict[str, datetime] = {}
    out: list[tuple[datetime, float]] = []
    for _, service, head, deployed_at in deployments:
        seen = shipped.setdefault(service, set())
        if head in graph and graph[head][1] is not None:
            stack, new = [head], []
            while stack:
                sha = stack.pop()
                if sha in seen or sha not in graph:
                    continue
                seen.add(sha)
                new.append(sha)
                stack.extend(graph[sha][1] or ())
        else:
            after = previous.get(service)
            new = [sha for at, sha in by_repo.get(service, ())
                   if at <= deployed_at and (after is None or at > after) and sha not in seen]  # fmt: skip
            seen.update(new)
        out += [(deployed_at, (deployed_at - graph[sha][0]).total_seconds()) for sha in new]
        previous[service] = deployed_at
    return out


def _check(
    tenant_id: str, store: Any, since: datetime, until: datetime, statistic: str, year: int
) -> None:
    check_window(since, until)
    classify("lead_time_hours", None, year)
    if statistic not in ("median", "p90", "mean"):
        raise UsageError(f"statistic must be median, p90 or mean, got {statistic!r}.")
    store.tenants.require(tenant_id)


def dora(
    store: Any, tenant_id: str, *, since: datetime, until: datetime, statistic: Statistic = "median",
    attribution: Literal["named", "window"] = "window", attribution_hours: float = 24.0,
    include_simulated: bool = True, benchmark_year: int = 2024,
) -> DoraReport:  # fmt: skip
    _check(tenant_id, store, since, until, statistic, benchmark_year)
    rows = _collect(store, tenant_id, since, until, include_simulated)
    return _report(
        rows, tenant_id, since, until, statistic, attribution, attribution_hours, benchmark_year
    )


def _report(rows: _Rows, tenant_id: str, since: datetime, until: datetime, statistic: Statistic,
            attribution: str, attribution_hours: float, benchmark_year: int) -> DoraReport:  # fmt: skip
    """The four keys over ``[since, until)`` from rows read for that range or a wider one."""
    report = DoraReport(tenant_id=tenant_id, since=since, until=until, statistic=statistic,
                        benchmark_year=benchmark_year)  # fmt: skip
    deployments = [d for d in rows.deployments if since <= d[4] < until]
    report.deployments = len(deployments)
    report.code_deployments = sum(1 for d in deployments if d[2] == "code")
    report.config_deployments = report.deployments - report.code_deployments
    report.platform_deployments = sum(1 for d in deployments if len(d) > 6 and d[6])
    report.rework_deployments = sum(1 for d in deployments if d[5])
    report.rework_ratio = report.rework_deployments / len(deployments) if deployments else None
    days = (until - since).total_seconds() / 86400
    report.deployments_per_day = sum(1 for d in deployments if d[3] == "success") / days
    if not deployments:
        report.empty_reasons["deployments"] = "no deployments recorded in the window"
    hours = [seconds / 3600 for at, seconds in rows.lead if since <= at < until]
    kept = [h for h in hours if h > 0]
    report.lead_times_used, report.lead_times_dropped = len(kept), len(hours) - len(kept)
    report.lead_time_hours = summarize(kept, statistic)
    if not kept:
        report.empty_reasons["lead_time"] = "no commits reached a code deployment in the window"
    incidents = [i for i in rows.incidents if since <= i[1] < until]
    failed = {d[0] for d in deployments if d[3] == "failed"}
    for _, started, _, named in incidents:
        if named:
            failed.add(named)
        elif attribution == "window":
            before = [
                d
                for d in deployments
                if d[4] <= started and (started - d[4]).total_seconds() <= attribution_hours * 3600
            ]
            if before:
                failed.add(before[-1][0])
    failed &= {d[0] for d in deployments}
    report.failed_deployments = len(failed)
    report.change_failure_ratio = len(failed) / len(deployments) if deployments else None
    restore = [
        (r[2] - r[1]).total_seconds() / 3600 for r in incidents if r[2] is not None and r[2] >= r[1]
    ]
    report.incidents_resolved = len(restore)
    report.time_to_restore_hours = summarize(restore, statistic)
    if not incidents:
        report.empty_reasons["time_to_restore"] = "no incidents recorded in the window"
    report._place()
    return report


def dora_trend(store: Any, tenant_id: str, *, since: datetime, until: datetime, grain: str = "week",
               statistic: Statistic = "median", attribution: Literal["named", "window"] = "window",
               attribution_hours: float = 24.0, include_simulated: bool = True,
               benchmark_year: int = 2024) -> list[DoraReport]:  # fmt: skip
    """DORA per consecutive ``grain`` window (day, week or month of 30 days) across the range,
    from one read of the range."""
    from datetime import timedelta

    steps = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
    if grain not in steps:
        raise UsageError(f"grain must be day, week or month for a DORA trend, got {grain!r}.")
    _check(tenant_id, store, since, until, statistic, benchmark_year)
    rows = _collect(store, tenant_id, since, until, include_simulated)
    reports, start = [], since
    while start < until:
        end = min(start + steps[grain], until)
        reports.append(
            _report(
                rows,
                tenant_id,
                start,
                end,
                statistic,
                attribution,
                attribution_hours,
                benchmark_year,
            )
        )
        start = end
    return reports

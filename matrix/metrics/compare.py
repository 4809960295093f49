"""A KPI's three numbers from one scan: a metric over a window, over the window of the same length
before it, and in buckets over the window — each equal to its own :func:`~matrix.metrics.compute`.

The totals are never added up from the buckets (a p95 is not the mean of daily p95s): the query
groups by ``GROUPING SETS ((window, bucket), (window))``, so each total is the formula over all of
its window's rows, read in the same scan as the buckets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from matrix.metrics.definitions import Metric, MetricCatalog
from matrix.metrics.engine import MetricResult, _checked, _result, _run, dialect_of


@dataclass(kw_only=True)
class Comparison:
    """One metric three ways, from one scan: over the window (:attr:`current`, grain ``all``),
    over the window of the same length just before it (:attr:`previous`), and in buckets over
    the window (:attr:`trend`)."""

    current: MetricResult
    previous: MetricResult
    trend: MetricResult


# The arguments of compute, which it mirrors.
def compare(
    store: Any, name: str, *, tenant_id: str, since: datetime, until: datetime,
    grain: str = "day", catalog: MetricCatalog | None = None,
) -> Comparison:  # fmt: skip
    """What a KPI card shows, in one read of the source: the metric over ``[since, until)``, over
    the window of the same length before ``since``, and its trend in buckets of ``grain``; each
    equal to its own :func:`compute`.

    The totals are not added up from the buckets (a p95 is not the mean of daily p95s): the
    query groups by ``GROUPING SETS ((window, bucket), (window))``, so each total is the formula
    over all of its window's rows, in the same scan as the buckets.

    Raises:
        UnknownMetricError, UsageError, NotFoundError: as :func:`compute`.
    """
    metric = _checked(store, name, tenant_id, since, until, grain, catalog)
    before = since - (until - since)
    value = f"{metric.sql('value', dialect_of(store))} AS value, count(*) AS rows"
    sql = _compare_sql(metric, grain, value, metric.sql("filter", dialect_of(store)) or "true")
    rows, engine, freshness = _run(store, metric, tenant_id, sql, [since, tenant_id, before, until],
                                   (before, until))  # fmt: skip
    return _comparison(metric, rows, tenant_id, since, until, grain, engine, freshness)


def _compare_sql(metric: Metric, grain: str, values: str, rows: str) -> str:
    """The query of :func:`compare`: ``values`` (aggregates) of the ``rows`` matching a filter,
    by window and bucket and by window alone (params: since, tenant, the window before's start,
    until)."""
    time = metric.time_column
    bucket = f"date_trunc('{grain}', {time})" if grain != "all" else "0"
    return (f"SELECT {time} >= ? AS is_current, {bucket} AS bucket, {values}, grouping(bucket) AS whole"
            f" FROM {metric.source} WHERE tenant_id = ? AND {time} >= ? AND {time} < ? AND ({rows})"
            " GROUP BY GROUPING SETS ((is_current, bucket), (is_current)) ORDER BY 1, 2")  # fmt: skip


def _comparison(
    metric: Metric, rows: list[tuple[Any, ...]], tenant_id: str, since: datetime, until: datetime,
    grain: str, engine: str, freshness: dict[str, Any],
) -> Comparison:  # fmt: skip
    """A :class:`Comparison` from (is_current, bucket, value, rows, whole) rows."""
    before = since - (until - since)

    def part(current: bool, whole: bool, start: datetime) -> pd.DataFrame:
        found = [(start if whole else b, v, n) for c, b, v, n, w in rows
                 if bool(c) == current and bool(w) == whole and int(n) > 0]  # fmt: skip
        return pd.DataFrame(found, columns=["bucket", "value", "rows"])

    shared: dict[str, Any] = {"tenant_id": tenant_id, "engine": engine, "freshness": freshness,
                              "scan": "compare"}  # fmt: skip
    return Comparison(
        current=_result(metric, part(True, True, since), since=since, until=until, grain="all", **shared),
        previous=_result(metric, part(False, True, before), since=before, until=since, grain="all", **shared),
        trend=_result(metric, part(True, grain == "all", since), since=since, until=until, grain=grain, **shared),
    )  # fmt: skip

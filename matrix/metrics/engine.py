"""Compute a metric: the catalog's formula, for one tenant, window and grain, on the analytics engine.

Where the SQL runs: on the analytics store when the deployment has one (``store.analytics``, set
by the composition root from ``MATRIX_ANALYTICS_URL``: a DuckDB file, Parquet read by DuckDB, or
ClickHouse with the catalog's per-dialect overrides); else on a DuckDB store itself. A PostgreSQL
store without an analytics store falls back to streaming the tenant's rows into an in-memory
DuckDB per query (slow; ``matrix analytics status`` says how to set one up). Every result
carries its provenance, how fresh its numbers are and, when it is empty, the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import duckdb
import pandas as pd
import pyarrow as pa

from matrix.errors import UsageError
from matrix.metrics.definitions import Metric, MetricCatalog, load_catalog

GRAINS = ("hour", "day", "week", "month", "all")
# What a metric's source holds, in a reader's words: an empty result says what was not recorded
# (``MetricResult.empty_words``) while its engineer's detail stays in ``empty_reason``.
SOURCE_WORDS = {
    "telemetry": "activity of this kind", "outbound_messages": "finished WhatsApp messages",
    "agenda_reminders": "due reminders", "crm_leads": "new leads", "billing_charges": "charges sent to collection",
    "test_results": "test results", "gate_runs": "quality-gate runs", "worklog": "worklog entries",
    "costlog": "costlog entries",
}  # fmt: skip


class Analytics(Protocol):
    """The analytics store metrics read (implemented by :class:`matrix.analytics.service.Analytics`)."""

    @property
    def active(self) -> bool: ...

    @property
    def dialect(self) -> str: ...

    def query(
        self, sql: str, params: list[Any], *, tenant_id: str | None = None
    ) -> list[tuple[Any, ...]]: ...

    def freshness(self, table: str) -> dict[str, Any]: ...


def analytics_of(store: Any) -> Analytics | None:
    """The store's analytics store when it has an active one."""
    found = getattr(store, "analytics", None)
    return found if found is not None and found.active else None


def dialect_of(store: Any) -> str:
    """The SQL dialect the store's metric queries are written in (``duckdb`` or ``clickhouse``)."""
    found = analytics_of(store)
    return found.dialect if found is not None else "duckdb"


@dataclass(kw_only=True)
class MetricResult:
    """A tidy frame (bucket, value, rows) with where it came from, and why it is empty if it is."""

    metric: Metric
    frame: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    empty_reason: str | None = None

    @property
    def total(self) -> float | None:
        """The value over the whole window when computed with grain ``all`` (None without one:
        no rows, or rows whose formula gives no value)."""
        if self.frame.empty or pd.isna(self.frame["value"].iloc[-1]):
            return None
        return float(self.frame["value"].iloc[-1])

    @property
    def status(self) -> str | None:
        """``ok`` or ``breach``: :attr:`total` against the metric's target (None without either)."""
        value, target = self.total, self.metric.target
        if value is None or target is None:
            return None
        return "ok" if target.met(value) else "breach"

    @property
    def empty_words(self) -> str | None:
        """Why there is no value, in plain words that say what to do (no table, column or SQL):
        for a page or a chart; None when there is a value."""
        if self.empty_reason is None:
            return None
        what = SOURCE_WORDS.get(self.metric.source, "records for this metric")
        if self.frame.empty:
            return f"No {what} in these dates yet. Pick a wider date range or another tenant."
        return f"The {what} in these dates do not give a value yet. Pick a wider date range."

    def as_dict(self) -> dict[str, Any]:
        rows = [{"bucket": b.isoformat() if hasattr(b, "isoformat") else b, "value": None if pd.isna(v) else float(v),
                 "rows": int(n)} for b, v, n in self.frame[["bucket", "value", "rows"]].itertuples(index=False)]  # fmt: skip
        return {"metric": self.metric.name, "unit": self.metric.unit, "rows": rows,
                "provenance": self.provenance, "empty_reason": self.empty_reason}  # fmt: skip


def check_window(since: datetime, until: datetime) -> None:
    """Refuse a window that ends before it starts (or is empty)."""
    if until <= since:
        raise UsageError(
            f"The window ends ({until.isoformat()}) before it starts ({since.isoformat()}); swap them."
        )


def _checked(
    store: Any, name: str, tenant_id: str, since: datetime, until: datetime, grain: str,
    catalog: MetricCatalog | None,
) -> Metric:  # fmt: skip
    metric = (catalog or load_catalog()).get(name)
    if grain not in GRAINS:
        raise UsageError(f"grain {grain!r} is not one of {list(GRAINS)}.")
    if since.tzinfo is None or until.tzinfo is None:
        raise UsageError("since and until must carry a time zone (e.g. 2026-11-01T00:00:00Z).")
    check_window(since, until)
    store.tenants.require(tenant_id)
    return metric


def _where(metric: Metric, dialect: str) -> str:
    where = f"tenant_id = ? AND {metric.time_column} >= ? AND {metric.time_column} < ?"
    if metric.sql("filter", dialect):
        where += f" AND ({metric.sql('filter', dialect)})"
    return where


def _run(
    store: Any, metric: Metric, tenant_id: str, sql: str, params: list[Any],
    window: tuple[datetime, datetime],
) -> tuple[list[tuple[Any, ...]], str, dict[str, Any]]:  # fmt: skip
    """Run a metric query where the numbers are: its rows, the engine's name and the freshness."""
    analytics = analytics_of(store)
    if analytics is not None:
        freshness = analytics.freshness(metric.source)
        return (analytics.query(sql, params, tenant_id=tenant_id),
                f"{analytics.dialect} analytics store ({freshness.get('engine')})", freshness)  # fmt: skip
    live = {"as_of": "live", "lag_seconds": 0.0}
    if store.dialect == "duckdb":
        with store.backend.transaction() as tx:
            return list(tx.query(sql, params)), "duckdb (native)", live
    rows = run_sql(store, (metric.source,), tenant_id, sql, params,
                   window=(metric.time_column, *window))  # fmt: skip
    return rows, "duckdb over postgres rows (arrow)", live


def _result(
    metric: Metric, frame: pd.DataFrame, *, tenant_id: str, since: datetime, until: datetime,
    grain: str, engine: str, freshness: dict[str, Any], **more: Any,
) -> MetricResult:  # fmt: skip
    read = int(frame["rows"].sum()) if not frame.empty else 0
    provenance = {"metric": metric.name, "definition_version": metric.version, "tenant_id": tenant_id,
                  "since": since.isoformat(), "until": until.isoformat(), "grain": grain, "rows_read": read,
                  "engine": engine, "source": metric.source, "freshness": freshness, **more}  # fmt: skip
    reason = None
    if frame.empty:
        what = f" matching {metric.filter}" if metric.filter else ""
        reason = (f"no {metric.source} rows{what} for tenant {tenant_id!r} between "
                  f"{since.isoformat()} and {until.isoformat()}")  # fmt: skip
    elif frame["value"].isna().all():
        reason = f"the {read} {metric.source} rows in the window give no value for {metric.name}"
    return MetricResult(metric=metric, frame=frame, provenance=provenance, empty_reason=reason)


def compute(
    store: Any,
    name: str,
    *,
    tenant_id: str,
    since: datetime,
    until: datetime,
    grain: str = "day",
    catalog: MetricCatalog | None = None,
) -> MetricResult:
    """Compute one metric for one tenant over ``[since, until)`` in buckets of ``grain``.

    Raises:
        UnknownMetricError: no metric called ``name`` (a UsageError, with suggestions).
        UsageError: bad grain, or a window that ends before it starts.
        NotFoundError: unknown tenant.
    """
    metric = _checked(store, name, tenant_id, since, until, grain, catalog)
    dialect = dialect_of(store)
    cast = "?" if dialect == "clickhouse" else "?::TIMESTAMPTZ"
    bucket = f"date_trunc('{grain}', {metric.time_column})" if grain != "all" else cast
    sql = (f"SELECT {bucket} AS bucket, {metric.sql('value', dialect)} AS value, count(*) AS rows"
           f" FROM {metric.source} WHERE {_where(metric, dialect)} GROUP BY 1 ORDER BY 1")  # fmt: skip
    params: list[Any] = ([since] if grain == "all" else []) + [tenant_id, since, until]
    rows, engine, freshness = _run(store, metric, tenant_id, sql, params, (since, until))
    frame = pd.DataFrame(rows, columns=["bucket", "value", "rows"])
    if grain == "all" and not frame.empty and int(frame["rows"].iloc[0]) == 0:
        frame = frame.iloc[0:0]
    return _result(metric, frame, tenant_id=tenant_id, since=since, until=until, grain=grain,
                   engine=engine, freshness=freshness)  # fmt: skip


def run_sql(
    store: Any, tables: tuple[str, ...], tenant_id: str, sql: str, params: list[Any], *,
    window: tuple[str, datetime, datetime] | None = None, shared: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:  # fmt: skip
    """Run a metric query (written for :func:`dialect_of` the store) over ``tables``: on the
    analytics store when there is one, on a DuckDB store itself, or else over the tenant's rows of
    those tables (within ``window``'s time column, when given) loaded into an in-memory DuckDB
    as Arrow (PostgreSQL without an analytics store). ``shared`` tables (platform data such as
    prices) load whole."""
    analytics = analytics_of(store)
    if analytics is not None:
        return analytics.query(sql, params, tenant_id=tenant_id)
    if store.dialect == "duckdb":
        with store.backend.transaction() as tx:
            return list(tx.query(sql, params))
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        with store.backend.transaction() as tx:
            for table in (*tables, *shared):
                described = tx.query(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?"
                    " ORDER BY ordinal_position",
                    [table],
                )
                columns = [r[0] for r in described]
                where = "tenant_id = ?" if table not in shared else "true"
                args: list[Any] = [tenant_id] if table not in shared else []
                if window and table not in shared:
                    where += f" AND {window[0]} >= ? AND {window[0]} < ?"
                    args += [window[1], window[2]]
                data = tx.query(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}", args)
                frame = {c: [row[i] for row in data] for i, c in enumerate(columns)}
                if data:
                    con.register(table, pa.table(frame))
                else:  # an empty table still needs its columns for the SQL to bind
                    defs = ", ".join(f"{c} {_duck_type(t)}" for c, t in described)
                    con.execute(f"CREATE TABLE {table} ({defs})")
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# One provider call's cost at the price in force when it was made (NULL when unpriced). Costs are
# added with fsum (compensated summation): a plain SUM of doubles depends on the order DuckDB's
# threads add them in, so two reads of the same rows could differ in the last digits.
_CALL_COST = """((coalesce(t.input_tokens, 0) - coalesce(t.cached_tokens, 0)) * p.input_per_mtok / 1e6
           + coalesce(t.cached_tokens, 0) * p.cached_input_per_mtok / 1e6
           + coalesce(t.output_tokens, 0) * p.output_per_mtok / 1e6
           + coalesce(t.audio_seconds, 0) / 60.0 * p.audio_per_minute)"""
# The tenant's provider calls matching {where}, each joined to the price in force at its time (a
# price holds from its effective_from until the next price of the same model). DuckDB joins on
# the model by hash and keeps the one interval the call falls in: at 10 M telemetry rows that is
# about twice as fast as its ASOF join, which sorts both sides. ClickHouse's ASOF join is a hash
# join itself, and is kept there. Query texts name it ``{priced_calls}``; :func:`query` fills it.
PRICED_CALLS = {
    "duckdb": """(SELECT * FROM telemetry WHERE kind = 'provider_call' AND {where}) t
LEFT JOIN (SELECT *, lead(effective_from) OVER (PARTITION BY provider, model ORDER BY effective_from, price_id)
                     AS effective_until FROM model_prices) p
  ON t.provider = p.provider AND t.model = p.model AND t.recorded_at >= p.effective_from
 AND (p.effective_until IS NULL OR t.recorded_at < p.effective_until)""",
    "clickhouse": """(SELECT * FROM telemetry WHERE kind = 'provider_call' AND {where}) t
ASOF LEFT JOIN model_prices p
  ON t.provider = p.provider AND t.model = p.model AND t.recorded_at >= p.effective_from""",
}

# The read-only queries of the delivery (DORA), reliability (SLO) and AI cost reports, by name; the
# placeholders in braces are filled by :func:`query` with SQL fragments of the caller's own
# definitions (never with user input).
QUERIES = {
    # A change of the tenant's prompt, model, policy or runtime config is a deployment of kind config.
    "dora.deployments": (
        "SELECT deployment_id, service, kind, status, deployed_at,"
        " coalesce(hotfix, false) OR remediates IS NOT NULL FROM deployments"
        " WHERE tenant_id = ? AND deployed_at >= ? AND deployed_at < ?{sim}"
        " UNION ALL SELECT envelope_id, 'tenant-config', 'config', 'success', occurred_at, false"
        " FROM event_log WHERE tenant_id = ? AND name = 'tenant.config.changed' AND occurred_at >= ?"
        " AND occurred_at < ? ORDER BY 5"
    ),
    # Every successful code deployment up to the window's end (what shipped before it matters).
    "dora.code_deployments": (
        "SELECT deployment_id, service, commit_sha, deployed_at FROM deployments"
        " WHERE tenant_id = ? AND status = 'success' AND kind = 'code' AND deployed_at < ?{sim}"
        " ORDER BY deployed_at, deployment_id"
    ),
    "dora.commits": "SELECT sha, repo, committed_at, parents FROM commits WHERE tenant_id = ?",
    "dora.incidents": (
        "SELECT incident_id, started_at, resolved_at, deployment_id FROM incidents"
        " WHERE tenant_id = ? AND started_at >= ? AND started_at < ?{sim}"
    ),
    "slo.counts": (
        "SELECT count(*), coalesce(sum(CASE WHEN {good} THEN 0 ELSE 1 END), 0) FROM {source}"
        " WHERE tenant_id = ? AND {time_column} >= ? AND {time_column} < ? AND ({valid})"
    ),
    "slo.refusals": (
        "SELECT module, name, coalesce(error_code, 'UNSPECIFIED'), count(*) FROM telemetry"
        " WHERE tenant_id = ? AND recorded_at >= ? AND recorded_at < ? AND kind = 'task'"
        " AND status = 'refused' GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3"
    ),
    "costs.provider_failures": (
        "SELECT recorded_at, provider, model, error_code FROM telemetry WHERE tenant_id = ?"
        " AND correlation_id = ? AND kind = 'provider_call' AND status = 'error' ORDER BY recorded_at"
    ),
    # One request's provider calls (its correlation), each with its usage and its priced cost.
    "costs.trace_calls": f"""
        SELECT t.recorded_at, t.name, t.provider, t.model, t.feature, t.status, t.latency_ms,
               t.input_tokens, t.cached_tokens, t.output_tokens, t.error_code,
               {_CALL_COST} AS cost_usd, p.price_id IS NULL AS unpriced
        FROM {{priced_calls}}
        ORDER BY t.recorded_at, t.name""",
    "slo.latency_percentiles": (
        "SELECT date_trunc('{grain}', recorded_at) AS bucket, quantile_cont(latency_ms, 0.5),"
        " quantile_cont(latency_ms, 0.95), quantile_cont(latency_ms, 0.99), count(*) FROM telemetry"
        " WHERE tenant_id = ? AND recorded_at >= ? AND recorded_at < ? AND kind = 'request'"
        " AND name = 'owner.interaction' AND latency_ms IS NOT NULL GROUP BY 1 ORDER BY 1"
    ),
    # AI cost by {group}: calls, unpriced calls, cost at the prices in force, unpriced models.
    "costs.by_group": f"""
        SELECT {{group}} AS grp, count(*) AS calls,
               count(*) FILTER (WHERE p.price_id IS NULL) AS unpriced_calls,
               fsum({_CALL_COST}) AS cost_usd,
               list(DISTINCT t.provider || '/' || coalesce(t.model, '(no model)')) FILTER (WHERE p.price_id IS NULL) AS unpriced_models
        FROM {{priced_calls}}
        GROUP BY 1 ORDER BY 1""",
    # AI cost by {group} and model: calls, unpriced calls and cost at the prices in force (no
    # distinct list to build: the caller folds the models, a handful per group).
    "costs.by_group_model": f"""
        SELECT {{group}} AS grp, t.provider || '/' || coalesce(t.model, '(no model)') AS model, count(*) AS calls,
               count(*) FILTER (WHERE p.price_id IS NULL) AS unpriced_calls, fsum({_CALL_COST}) AS cost_usd
        FROM {{priced_calls}}
        GROUP BY t.provider, t.model, 1 ORDER BY 1, 2""",
    # One sum per window (each ``costs.spent_since`` takes the window's start) in one scan.
    "costs.spent_since": f"coalesce(fsum({_CALL_COST}) FILTER (WHERE t.recorded_at >= ?), 0)",
    "costs.sums": "SELECT {sums} FROM {priced_calls}",
    # Activity per tenant in a window (platform-wide: which tenant an admin sees first).
    "activity.by_tenant": (
        "SELECT tenant_id, count(*) FROM telemetry WHERE recorded_at >= ? AND recorded_at < ?"
        " GROUP BY 1 ORDER BY 2 DESC, 1"
    ),
}  # fmt: skip


# ClickHouse's own spelling of the queries where it differs (written out, never translated):
# compensated sums are sumKahan, a distinct list is groupUniqArray, and quantile_cont (linear
# interpolation between the closest ranks) is quantileExactInclusive, the same definition.
CLICKHOUSE_QUERIES = {
    "slo.latency_percentiles": (
        "SELECT date_trunc('{grain}', recorded_at) AS bucket, quantileExactInclusive(0.5)(latency_ms),"
        " quantileExactInclusive(0.95)(latency_ms), quantileExactInclusive(0.99)(latency_ms), count(*)"
        " FROM telemetry WHERE tenant_id = ? AND recorded_at >= ? AND recorded_at < ? AND kind = 'request'"
        " AND name = 'owner.interaction' AND latency_ms IS NOT NULL GROUP BY 1 ORDER BY 1"
    ),
    "costs.by_group": f"""
        SELECT {{group}} AS grp, count(*) AS calls,
               count(*) FILTER (WHERE p.price_id IS NULL) AS unpriced_calls,
               sumKahan({_CALL_COST}) AS cost_usd,
               groupUniqArrayIf(t.provider || '/' || coalesce(t.model, '(no model)'), p.price_id IS NULL) AS unpriced_models
        FROM {{priced_calls}}
        GROUP BY 1 ORDER BY 1""",
    "costs.spent_since": f"coalesce(sumKahanIf({_CALL_COST}, t.recorded_at >= ?), 0)",
    "costs.by_group_model": f"""
        SELECT {{group}} AS grp, t.provider || '/' || coalesce(t.model, '(no model)') AS model, count(*) AS calls,
               count(*) FILTER (WHERE p.price_id IS NULL) AS unpriced_calls, sumKahan({_CALL_COST}) AS cost_usd
        FROM {{priced_calls}}
        GROUP BY t.provider, t.model, 1 ORDER BY 1, 2""",
}  # fmt: skip


def query(name: str, dialect: str = "duckdb", **fragments: str) -> str:
    """The read-only query ``name`` of :data:`QUERIES` (or its ClickHouse override, for
    ``dialect`` ``clickhouse``) with its fragments filled in."""
    text = CLICKHOUSE_QUERIES.get(name, QUERIES[name]) if dialect == "clickhouse" else QUERIES[name]
    return text.replace("{priced_calls}", PRICED_CALLS[dialect]).format(**fragments)


def _duck_type(pg_type: str) -> str:
    return {"timestamp with time zone": "TIMESTAMPTZ", "boolean": "BOOLEAN", "bigint": "BIGINT", "integer": "INTEGER",
            "double precision": "DOUBLE", "numeric": "DECIMAL(14,2)", "date": "DATE"}.get(pg_type, "VARCHAR")  # fmt: skip


def check_formulas(catalog: MetricCatalog) -> list[str]:
    """Run every formula, in DuckDB, against empty tables of the current schema; return the problems."""
    from matrix.storage import open_store

    problems = []
    with open_store("duckdb:///:memory:") as store:
        for metric in catalog.metrics.values():
            problems += _check(store, metric)
    return problems


def _check(store: Any, metric: Metric) -> list[str]:
    where = f" AND ({metric.filter})" if metric.filter else ""
    try:
        with store.backend.transaction() as tx:
            tx.query(f"SELECT {metric.value} FROM {metric.source} WHERE false{where}")
    except Exception as exc:  # any SQL error is the formula's fault
        return [f"{metric.name}: formula does not run: {str(exc).splitlines()[0]}"]
    return []

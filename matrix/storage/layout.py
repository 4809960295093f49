"""Telemetry kept in tenant order on DuckDB, so that one tenant's query reads its own row groups.

DuckDB keeps the minimum and maximum of every column for each row group (about 122,880 rows) and
skips a row group whose range cannot match a query's filter. Telemetry arrives in time order with
every tenant mixed in, so each row group spans all tenants and a tenant's query reads the whole
table: at 10 M rows, 90 of 90 row groups for every metric of a dashboard page. Rewriting the
finished days in ``(tenant_id, recorded_at)`` order — a re-sort, as ClickHouse's merges keep a
MergeTree in its ORDER BY key — lets the busiest tenant's query (6.5 % of the rows) read 7 of 85.

The unit is a calendar month (UTC): a run rewrites the month's finished days as one sorted run,
at most once a day. A day alone is smaller than a row group, and sorting it would skip nothing; a
month at 10 M rows a quarter is 27 row groups, of which a tenant fills few. Each month is
rewritten in one transaction together with its state row, so a process killed at any moment
leaves the month as it was or sorted, every row exactly once (its ``seq`` unchanged: the
analytics sync's watermarks still hold). Rows that arrive after their month was sorted (late
clocks, imports) are appended in arrival order: counted as ever, only not skipped. A month's
rewrite holds the store while it runs (at 10 M rows a quarter, 3.3 M rows a month: about 4 s on
two cores), once a day; the first run on an existing store rewrites every month (13 s there).

Used for the DuckDB store itself (``Analytics.sync`` and its scheduler job, when the store is its
own analytics engine) and for the DuckDB analytics file (after each sync).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SORT_KEY = "tenant_id, recorded_at"
STATE_TABLE = "telemetry_layout"
STATE_COLUMNS = (
    "table_name TEXT PRIMARY KEY, sorted_until TIMESTAMPTZ NOT NULL, rows BIGINT NOT NULL,"
    " sorted_at TIMESTAMPTZ NOT NULL"
)
"""The state of each table kept sorted: every row recorded before ``sorted_until`` was in a
sorted run when it was last rewritten (the DuckDB store's migration 0025 creates the table)."""


@dataclass(frozen=True, kw_only=True)
class SortedRun:
    """One month rewritten in tenant order."""

    since: datetime
    until: datetime
    rows: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(),
                "rows": self.rows, "seconds": round(self.seconds, 3)}  # fmt: skip


def _month(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(month: datetime) -> datetime:
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def keep_sorted(
    transaction: Callable[[], AbstractContextManager[Any]], *, now: datetime,
    table: str = "telemetry", state: str = STATE_TABLE, pause: Callable[[str], None] | None = None,
) -> list[SortedRun]:  # fmt: skip
    """Rewrite in tenant order each month with finished days not sorted yet (up to the start of
    ``now``'s day), one transaction per month; nothing when every finished day is sorted.

    ``transaction`` opens one transaction (``backend.transaction``); ``pause`` is called with
    ``after_delete`` between the delete and the insert (crash tests stop there)."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with transaction() as tx:
        found = tx.query(f"SELECT sorted_until FROM {state} WHERE table_name = ?", [table])
        start = found[0][0] if found else tx.query(f"SELECT min(recorded_at) FROM {table}")[0][0]
    if start is None or start >= today:
        return []
    runs = []
    month = _month(start)
    while month < today:
        until = min(_next_month(month), today)
        began = time.perf_counter()
        with transaction() as tx:
            rows = _rewrite(tx, table, month, until, pause or (lambda _point: None))
            tx.execute(f"DELETE FROM {state} WHERE table_name = ?", [table])
            tx.execute(f"INSERT INTO {state} VALUES (?, ?, ?, ?)", [table, until, rows, now])
        runs.append(SortedRun(since=month, until=until, rows=rows,
                              seconds=time.perf_counter() - began))  # fmt: skip
        month = _next_month(month)
    return runs


def _rewrite(
    tx: Any, table: str, since: datetime, until: datetime, pause: Callable[[str], None]
) -> int:
    """Replace the rows of ``[since, until)`` by the same rows in tenant order; how many."""
    window = [since, until]
    tx.execute(
        f"CREATE TEMP TABLE resort_{table} AS SELECT * FROM {table}"
        " WHERE recorded_at >= ? AND recorded_at < ?",
        window,
    )
    rows = int(tx.query(f"SELECT count(*) FROM resort_{table}")[0][0])
    if rows:
        tx.execute(f"DELETE FROM {table} WHERE recorded_at >= ? AND recorded_at < ?", window)
        pause("after_delete")
        tx.execute(f"INSERT INTO {table} SELECT * FROM resort_{table} ORDER BY {SORT_KEY}")
    tx.execute(f"DROP TABLE resort_{table}")
    return rows

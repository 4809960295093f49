"""What the analytics sync reads from the operational store: new rows by sequence, whole tables.

An append-only table (telemetry, the event log) is copied by its ``seq`` column. On PostgreSQL a
sequence number is handed out when a row is inserted, but transactions commit in any order, so
``seq > watermark`` alone would skip a row whose transaction commits after a higher number was
copied. :meth:`SqlAnalyticsSource.safe_horizon` therefore answers only a number every smaller
number of which is settled: it reads the sequence's last value, then the first transaction id
not yet handed out, and waits until every transaction below that id has ended. Writers take
their transaction id before their rows take numbers (``TelemetryTable.insert_many``,
``EventLog.append``), so every number at or below the horizon belongs to a transaction that has
committed (its rows are visible) or rolled back (they never will be).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import pyarrow as pa

from matrix.errors import UsageError
from matrix.storage.base import Backend

_ARROW = {
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    "boolean": pa.bool_(), "BOOLEAN": pa.bool_(),
    "bigint": pa.int64(), "BIGINT": pa.int64(),
    "integer": pa.int64(), "INTEGER": pa.int64(),
    "double precision": pa.float64(), "DOUBLE": pa.float64(),
    "date": pa.date32(), "DATE": pa.date32(),
}  # fmt: skip


def arrow_type(sql_type: str) -> pa.DataType:
    """The Arrow type a column of ``sql_type`` is copied as (decimals as doubles, the rest text)."""
    if sql_type.lower().startswith(("numeric", "decimal")):
        return pa.float64()
    return _ARROW.get(sql_type, pa.string())


class SqlAnalyticsSource:
    """Read-only access for the analytics sync (every read names its table from a fixed list)."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    @property
    def dialect(self) -> str:
        return self._backend.dialect

    def schema(self, table: str) -> pa.Schema:
        """The table's columns as an Arrow schema, in their stored order."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_name = ? AND table_schema = current_schema() ORDER BY ordinal_position",
                [table],
            )
        if not rows:
            raise UsageError(
                f"The operational store has no table {table!r}; run `matrix store migrate`."
            )
        return pa.schema([(str(name), arrow_type(str(kind))) for name, kind in rows])

    def safe_horizon(self, table: str, *, wait_seconds: float = 5.0) -> int | None:
        """The highest ``seq`` of ``table`` such that no row at or below it can still appear;
        None when transactions older than the read are still open after ``wait_seconds``."""
        if self._backend.dialect != "postgres":
            # One process writes an embedded store, and its transactions do not interleave.
            with self._backend.transaction() as tx:
                return int(tx.query(f"SELECT coalesce(max(seq), 0) FROM {table}")[0][0])
        with self._backend.transaction() as tx:
            last, called = tx.query(f"SELECT last_value, is_called FROM {table}_seq")[0]
        number = int(last) if called else int(last) - 1
        with self._backend.transaction() as tx:
            first_unassigned = tx.query("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")[0][
                0
            ]
        deadline = time.monotonic() + wait_seconds
        while True:
            with self._backend.transaction() as tx:
                settled = tx.query(
                    "SELECT pg_snapshot_xmin(pg_current_snapshot()) >= ?::xid8", [first_unassigned]
                )[0][0]
            if settled:
                return number
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.01)

    def rows_after(self, table: str, schema: pa.Schema, *, after: int, upto: int,
                   limit: int) -> pa.Table:  # fmt: skip
        """Up to ``limit`` rows with ``after < seq <= upto``, in ``seq`` order."""
        columns = ", ".join(schema.names)
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {columns} FROM {table} WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                [after, upto, limit],
            )
        return to_arrow(rows, schema)

    def whole(self, table: str, schema: pa.Schema) -> pa.Table:
        """Every row of a small table that changes in place (copied whole each sync)."""
        with self._backend.transaction() as tx:
            rows = tx.query(f"SELECT {', '.join(schema.names)} FROM {table}")
        return to_arrow(rows, schema)

    def behind(self, table: str, watermark: int, *, tenant_id: str | None = None) -> int:
        """How many committed rows of ``table`` (of one tenant, when given) have a ``seq`` above
        ``watermark``."""
        where, args = "seq > ?", list[Any]([watermark])
        if tenant_id is not None:
            where, args = where + " AND tenant_id = ?", [watermark, tenant_id]
        with self._backend.transaction() as tx:
            return int(tx.query(f"SELECT count(*) FROM {table} WHERE {where}", args)[0][0])

    def count(self, table: str) -> int:
        with self._backend.transaction() as tx:
            return int(tx.query(f"SELECT count(*) FROM {table}")[0][0])


def to_arrow(rows: Sequence[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    """Rows as an Arrow table of ``schema`` (times in UTC, decimals as doubles)."""
    columns: list[list[Any]] = [[] for _ in schema.names]
    for row in rows:
        for i, value in enumerate(row):
            columns[i].append(value)
    arrays = []
    for values, column in zip(columns, schema, strict=True):
        if pa.types.is_floating(column.type):
            values = [None if v is None else float(v) for v in values]
        elif pa.types.is_timestamp(column.type):
            values = [None if v is None else v.astimezone(UTC) for v in values]
        arrays.append(pa.array(values, type=column.type))
    return pa.Table.from_arrays(arrays, schema=schema)

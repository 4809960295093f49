"""The ClickHouse analytics engine: a server through clickhouse-connect, or chdb in-process.

Tables follow the anchors (Langfuse, Helicone, OpenLIT): an incremental table is a MergeTree
partitioned by month and ordered by tenant, time and ``seq``; a table copied whole is swapped in
with ``CREATE OR REPLACE``. Rows go in before the watermark row of ``_analytics_sync``; a sync
killed in between leaves rows above the recorded watermark, which :meth:`recover` deletes before
the next copy, so every row is stored once. ``chdb:///dir`` runs the very same SQL in-process
(a session directory on disk): the tests use it, since no ClickHouse server is installed here.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq

from matrix.analytics.engine import TableState, pause_point
from matrix.analytics.tables import BY_NAME
from matrix.errors import MissingDependencyError, StorageError, UsageError
from matrix.storage.layout import SortedRun

INSTALL = "pip install 'matrix-workbench[analytics]' (chdb and clickhouse-connect)"


def _ch_type(field: pa.Field, key: bool) -> str:
    t = field.type
    base = ("String" if pa.types.is_string(t) else "Int64" if pa.types.is_integer(t)
            else "Float64" if pa.types.is_floating(t) else "Bool" if pa.types.is_boolean(t)
            else "DateTime64(6, 'UTC')" if pa.types.is_timestamp(t) else "Date32" if pa.types.is_date(t)
            else "String")  # fmt: skip
    return base if key else f"Nullable({base})"


def literal(value: Any) -> str:
    """A parameter as a ClickHouse literal (the values are the engine's own: ids, times, numbers)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return f"toDateTime64('{text}', 6, 'UTC')"
    if isinstance(value, date):
        return f"toDate32('{value.isoformat()}')"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def bind(sql: str, params: Sequence[Any]) -> str:
    """``sql`` with each ``?`` outside quotes replaced by the next parameter as a literal."""
    out, values, quoted = [], iter(params), False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
        if ch == "?" and not quoted:
            try:
                out.append(literal(next(values)))
            except StopIteration:
                raise UsageError("The query has more ? placeholders than parameters.") from None
            continue
        out.append(ch)
    return "".join(out)


class ClickHouseEngine:
    """ClickHouse (``clickhouse://``) or chdb (``chdb:///dir``)."""

    dialect = "clickhouse"

    def __init__(self, url: str, *, pause_at: str = "") -> None:
        self._pause_at = pause_at
        self._lock = threading.Lock()
        parts = urlsplit(url)
        self._session: Any = None
        self._client: Any = None
        if parts.scheme == "chdb":
            try:
                from chdb import session
            except ImportError:
                raise MissingDependencyError(f"chdb is not installed: {INSTALL}.") from None
            self.url = url
            self._session = session.Session(parts.path or None)  # type: ignore[no-untyped-call]
        else:
            try:
                import clickhouse_connect
            except ImportError:
                raise MissingDependencyError(
                    f"clickhouse-connect is not installed: {INSTALL}."
                ) from None
            self.url = f"clickhouse://{parts.hostname}:{parts.port or 8123}{parts.path}"
            self._client = clickhouse_connect.get_client(
                host=parts.hostname or "localhost", port=parts.port or 8123, username=parts.username or "default",
                password=parts.password or "", database=(parts.path or "/default").strip("/") or "default",
                secure=parts.scheme == "clickhouses")  # fmt: skip
        self._command(
            "CREATE TABLE IF NOT EXISTS _analytics_sync (table_name String, watermark Int64, rows Int64,"
            " synced_at DateTime64(6, 'UTC')) ENGINE = ReplacingMergeTree(synced_at) ORDER BY table_name"
        )

    # -- the two transports -----------------------------------------------------------------
    def _command(self, sql: str) -> None:
        with self._lock:
            if self._session is not None:
                self._session.query(sql)
            else:
                self._client.command(sql)

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        settings = "SETTINGS join_use_nulls = 1"
        with self._lock:
            try:
                if self._session is not None:
                    table = self._session.query(f"{sql} {settings}", "ArrowTable")
                    return [tuple(r.values()) for r in table.to_pylist()]
                return [tuple(r) for r in self._client.query(f"{sql} {settings}").result_rows]
            except Exception as exc:  # the driver's own error types differ; keep the first line
                raise StorageError(
                    f"ClickHouse refused a query: {str(exc).splitlines()[0][:300]}"
                ) from exc

    def _insert(self, table: str, rows: pa.Table) -> None:
        if self._session is None:
            with self._lock:
                self._client.insert_arrow(table, rows)
            return
        fd, path = tempfile.mkstemp(suffix=".parquet")
        os.close(fd)
        try:
            pq.write_table(rows, path)
            self._command(f"INSERT INTO {table} SELECT * FROM file('{path}', Parquet)")
        finally:
            os.unlink(path)

    # -- the engine -------------------------------------------------------------------------
    def query(
        self, sql: str, params: Sequence[Any] = (), *, tenant_id: str | None = None
    ) -> list[tuple[Any, ...]]:
        return self._rows(bind(sql, params))  # the ORDER BY (tenant_id, …) prunes by tenant

    def states(self) -> dict[str, TableState]:
        rows = self._rows(
            "SELECT table_name, watermark, rows, synced_at FROM _analytics_sync FINAL"
        )
        return {
            r[0]: TableState(table=r[0], watermark=int(r[1]), rows=int(r[2]), synced_at=r[3])
            for r in rows
        }

    def _create(self, table: str, schema: pa.Schema) -> None:
        spec = BY_NAME[table]
        if spec.incremental:
            keys = ("tenant_id", str(spec.time_column), "seq")
            cols = ", ".join(f"{f.name} {_ch_type(f, f.name in keys)}" for f in schema)
            self._command(f"CREATE TABLE IF NOT EXISTS {table} ({cols}) ENGINE = MergeTree"
                          f" PARTITION BY toYYYYMM({spec.time_column}) ORDER BY ({', '.join(keys)})")  # fmt: skip

    def recover(self) -> int:
        fixed = 0
        for table, state in self.states().items():
            if not BY_NAME[table].incremental:
                continue
            [(extra,)] = self._rows(f"SELECT count(*) FROM {table} WHERE seq > {state.watermark}")
            if int(extra):
                self._command(f"DELETE FROM {table} WHERE seq > {state.watermark}")
                fixed += int(extra)
        for table in (t.name for t in BY_NAME.values() if t.incremental):
            if table not in self.states() and self._rows(f"EXISTS TABLE {table}")[0][0]:
                self._command(f"TRUNCATE TABLE {table}")  # rows of a first batch never recorded
        return fixed

    def append(self, table: str, rows: pa.Table, *, watermark: int, synced_at: datetime) -> None:
        self._create(table, rows.schema)
        self._insert(table, rows)
        pause_point("after_rows", self._pause_at)
        [(total,)] = self._rows(f"SELECT count(*) FROM {table}")
        self._record(table, watermark, int(total), synced_at)

    def replace(self, table: str, rows: pa.Table, *, synced_at: datetime) -> None:
        cols = ", ".join(f"{f.name} {_ch_type(f, False)}" for f in rows.schema)
        staged = f"{table}__incoming"
        self._command(
            f"CREATE OR REPLACE TABLE {staged} ({cols}) ENGINE = MergeTree ORDER BY tuple()"
        )
        if rows.num_rows:
            self._insert(staged, rows)
        self._command(f"CREATE OR REPLACE TABLE {table} AS {staged}")
        self._command(f"EXCHANGE TABLES {table} AND {staged}")
        self._command(f"DROP TABLE {staged}")
        self._record(table, 0, rows.num_rows, synced_at)

    def _record(self, table: str, watermark: int, rows: int, synced_at: datetime) -> None:
        self._command(
            f"INSERT INTO _analytics_sync VALUES ('{table}', {watermark}, {rows}, {literal(synced_at)})"
        )

    def maintain(self, now: datetime) -> list[SortedRun]:
        return []  # MergeTree merges its parts in ORDER BY (tenant, time) by itself

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

"""Analytics engines DuckDB runs: a DuckDB file, or date/tenant-partitioned Parquet files.

The DuckDB file keeps every copied table and the sync state in one database, so rows and their
watermark commit in one transaction. Processes (``matrix serve``, ``matrix worker``, a CLI sync)
take turns on the file through the operational store's lease
(:class:`~matrix.storage.lease.FileLease`): a process keeps the file open while it is busy and
hands it back when another process asks (or after :data:`IDLE_RELEASE` idle seconds), so a
dashboard's queries do not each pay for opening the file and reading it cold.

Parquet keeps an incremental table as ``<table>/dt=YYYY-MM-DD/tenant=<id>/part-<lo>-<hi>.parquet``
(read with hive partitioning, so a tenant's query opens only its own folders) and a table copied
whole as ``<table>/whole.parquet``. A batch is written to ``_staging/`` first; its manifest
``_sync/<table>/<hi>.json`` (written to a temporary name, then renamed) is what records the
watermark; only then are the files moved into place. A killed sync leaves either staged files
without a manifest (deleted on restart) or a manifest whose files are not all moved yet (moved on
restart): either way each row ends up copied once.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from matrix.analytics.engine import TableState, pause_point
from matrix.analytics.tables import BY_NAME
from matrix.errors import StorageError
from matrix.storage.duckdb import DuckDBBackend
from matrix.storage.layout import STATE_COLUMNS, SortedRun, keep_sorted

_STATE = """CREATE TABLE IF NOT EXISTS _analytics_sync (
    table_name TEXT PRIMARY KEY, watermark BIGINT NOT NULL, rows BIGINT NOT NULL,
    synced_at TIMESTAMPTZ NOT NULL)"""
_LAYOUT = "_analytics_layout"
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""A tenant id that names its folder as is (no glob or path characters)."""
_UPSERT = ("INSERT INTO _analytics_sync VALUES (?, ?, ?, ?) ON CONFLICT (table_name) DO UPDATE"
           " SET watermark = excluded.watermark, rows = excluded.rows, synced_at = excluded.synced_at")  # fmt: skip


IDLE_RELEASE = 30.0
"""Seconds an idle process keeps the analytics file open. Every matrix process that wants the
file asks through the lease and gets it at once, so this only spares the readers (the dashboards'
callbacks, seconds apart) a cold reopen: a reopened file starts with an empty buffer cache, and
at 10 M rows that made a page's queries several times slower."""


class DuckDBFileEngine:
    """A DuckDB database file holding the copies and their sync state."""

    dialect = "duckdb"

    def __init__(self, path: Path, *, lock_timeout: float = 30.0, pause_at: str = "",
                 idle_release: float = IDLE_RELEASE) -> None:  # fmt: skip
        self.path = Path(path)
        self.url = f"duckdb:///{self.path}"
        self._pause_at = pause_at
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._backend = DuckDBBackend(
            str(self.path), lock_timeout=lock_timeout, idle_release=idle_release
        )
        with self._connection() as con:
            con.execute(_STATE)
            con.execute(f"CREATE TABLE IF NOT EXISTS {_LAYOUT} ({STATE_COLUMNS})")

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction on the file (committed when the block ends, rolled back on an error)."""
        with self._backend.transaction() as tx:
            yield tx._con

    def query(
        self, sql: str, params: Sequence[Any] = (), *, tenant_id: str | None = None
    ) -> list[tuple[Any, ...]]:
        with self._connection() as con:
            return con.execute(sql, list(params)).fetchall()

    def states(self) -> dict[str, TableState]:
        with self._connection() as con:
            rows = con.execute("SELECT * FROM _analytics_sync").fetchall()
        return {
            r[0]: TableState(table=r[0], watermark=int(r[1]), rows=int(r[2]), synced_at=r[3])
            for r in rows
        }

    def recover(self) -> int:
        return 0  # rows and watermark commit together: nothing is ever half-done

    def append(self, table: str, rows: pa.Table, *, watermark: int, synced_at: datetime) -> None:
        with self._connection() as con:
            con.register("batch", rows)
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM batch WHERE false")
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM batch")
            con.unregister("batch")
            pause_point("after_rows", self._pause_at)
            total = con.execute(f"SELECT count(*) FROM {table}").fetchone()
            con.execute(_UPSERT, [table, watermark, int(total[0]) if total else 0, synced_at])

    def replace(self, table: str, rows: pa.Table, *, synced_at: datetime) -> None:
        with self._connection() as con:
            con.register("whole", rows)
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM whole")
            con.unregister("whole")
            con.execute(_UPSERT, [table, 0, rows.num_rows, synced_at])

    def maintain(self, now: datetime) -> list[SortedRun]:
        """Re-sort the telemetry copy by tenant, month by month (:mod:`matrix.storage.layout`)."""
        if "telemetry" not in self.states():
            return []
        return keep_sorted(self._backend.transaction, now=now, state=_LAYOUT,
                           pause=lambda point: pause_point(point, self._pause_at))  # fmt: skip

    def close(self) -> None:
        self._backend.close()


class ParquetEngine:
    """Partitioned Parquet files under one folder, queried by an in-memory DuckDB."""

    dialect = "duckdb"

    def __init__(self, root: Path, *, pause_at: str = "") -> None:
        self.root = Path(root)
        self.url = f"parquet:///{self.root}"
        self._pause_at = pause_at
        self._lock = threading.Lock()
        self.root.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(":memory:")
        self._con.execute("SET TimeZone = 'UTC'")

    # -- reading ----------------------------------------------------------------------------
    def _source(self, table: str, tenant_id: str | None = None) -> str | None:
        """What a query reads for ``table``: one tenant's folders when the query names its
        tenant (listing every ``dt=…/tenant=…`` folder costs seconds at ~100,000 files)."""
        folder = self.root / table
        spec = BY_NAME.get(table)
        if spec is not None and spec.incremental:
            tenant = tenant_id if tenant_id and _PLAIN.fullmatch(tenant_id) else "*"
            pattern = f"dt=*/tenant={tenant}/part-*.parquet"
            if not any(folder.glob(pattern)):
                schema = self.root / "_sync" / f"{table}.schema.parquet"
                return f"read_parquet('{schema}')" if schema.exists() else None
            return (f"(SELECT * EXCLUDE (dt, tenant), tenant AS tenant_id FROM read_parquet("
                    f"'{folder}/{pattern}', hive_partitioning = true,"
                    " hive_types = {'dt': DATE, 'tenant': VARCHAR}))")  # fmt: skip
        whole = folder / "whole.parquet"
        return f"read_parquet('{whole}')" if whole.exists() else None

    def query(
        self, sql: str, params: Sequence[Any] = (), *, tenant_id: str | None = None
    ) -> list[tuple[Any, ...]]:
        with self._lock:
            for table in {t for t in re.findall(r"\b([a-z_]+)\b", sql) if t in BY_NAME}:
                source = self._source(table, tenant_id)
                if source is None:
                    raise StorageError(
                        f"The analytics store {self.root} has no copy of {table} yet;"
                        " run `matrix analytics sync`."
                    )
                self._con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM {source}")
            return self._con.execute(sql, list(params)).fetchall()

    def states(self) -> dict[str, TableState]:
        out: dict[str, TableState] = {}
        for path in sorted((self.root / "_sync").glob("*.json")):
            doc = json.loads(path.read_text("utf-8"))
            out[doc["table"]] = TableState(table=doc["table"], watermark=int(doc["watermark"]), rows=int(doc["rows"]),
                                           synced_at=datetime.fromisoformat(doc["synced_at"]))  # fmt: skip
        return out

    # -- writing ----------------------------------------------------------------------------
    def recover(self) -> int:
        fixed = 0
        for manifest in sorted((self.root / "_sync").glob("*/*.json")):
            doc = json.loads(manifest.read_text("utf-8"))
            for move in doc["files"]:
                staged, final = self.root / move["staged"], self.root / move["final"]
                if staged.exists():
                    final.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staged, final)
                    fixed += 1
            known = self.states().get(doc["table"])
            if known is None or known.watermark < int(doc["watermark"]):
                _write_atomic(self.root / "_sync" / f"{doc['table']}.json",
                              {k: doc[k] for k in ("table", "watermark", "rows", "synced_at")})  # fmt: skip
            manifest.unlink()  # every file of the batch is in place and the state says so
        staging = self.root / "_staging"
        if staging.exists():
            fixed += sum(1 for p in staging.rglob("*.parquet"))
            shutil.rmtree(staging)
        return fixed

    def append(self, table: str, rows: pa.Table, *, watermark: int, synced_at: datetime) -> None:
        spec = BY_NAME[table]
        sync_dir = self.root / "_sync"
        (sync_dir / table).mkdir(parents=True, exist_ok=True)
        schema_file = sync_dir / f"{table}.schema.parquet"
        if not schema_file.exists():
            pq.write_table(rows.slice(0, 0), f"{schema_file}.tmp")
            os.replace(f"{schema_file}.tmp", schema_file)
        before = self.states().get(table)
        low = before.watermark if before else 0
        staging = self.root / "_staging" / f"{table}-{watermark}"
        staging.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._con.register("batch", rows)
            self._con.execute(
                f"COPY (SELECT * EXCLUDE (tenant_id), tenant_id AS tenant,"
                f" CAST({spec.time_column} AS DATE) AS dt FROM batch)"
                f" TO '{staging}' (FORMAT parquet, PARTITION_BY (dt, tenant), OVERWRITE_OR_IGNORE)"
            )
            self._con.unregister("batch")
        moves = [{"staged": str(p.relative_to(self.root)),
                  "final": str(Path(table) / p.parent.parent.name / p.parent.name / f"part-{low}-{watermark}-{p.stem}.parquet")}
                 for p in sorted(staging.rglob("*.parquet"))]  # fmt: skip
        pause_point("after_rows", self._pause_at)
        state = {"table": table, "watermark": watermark, "rows": (before.rows if before else 0) + rows.num_rows,
                 "synced_at": synced_at.isoformat()}  # fmt: skip
        manifest = sync_dir / table / f"{watermark}.json"
        _write_atomic(manifest, {**state, "files": moves})  # the commit point
        self.recover()

    def replace(self, table: str, rows: pa.Table, *, synced_at: datetime) -> None:
        folder = self.root / table
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, folder / "whole.parquet.tmp")
        os.replace(folder / "whole.parquet.tmp", folder / "whole.parquet")
        (self.root / "_sync").mkdir(exist_ok=True)
        _write_atomic(self.root / "_sync" / f"{table}.json",
                      {"table": table, "watermark": 0, "rows": rows.num_rows, "synced_at": synced_at.isoformat()})  # fmt: skip

    def maintain(self, now: datetime) -> list[SortedRun]:
        return []  # each tenant's rows already have their own folders

    def close(self) -> None:
        self._con.close()


def _write_atomic(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(doc, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)

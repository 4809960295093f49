"""DuckDB backend: the embedded default store, shared safely between processes.

The only module that imports ``duckdb`` for the store. A file store is opened under a
:class:`~matrix.storage.lease.FileLease`: the connection stays open while this process is busy
and is handed back when it has been idle for ``idle_release`` seconds or another process asks, so
the server, a notebook and CLI commands can all use one file without lock errors.
``:memory:`` stores keep one private connection.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from matrix.errors import StorageError, StoreLockedError
from matrix.storage.base import DOOMED, Backend, BulkInsertTx, Row
from matrix.storage.lease import FileLease

SETTINGS = (
    "SET TimeZone = 'UTC'",
    # Floats are stored plain or with ALP, not ALP-RD: ALP-RD saves about a fifth of the space of
    # numbers with many digits (vectors, measured latencies) and takes half as long again to
    # read back (a tenant's 10,000 memory vectors ranked in 16 ms instead of 11). The setting
    # applies when the database writes its blocks, so it is set on every connection.
    "SET disabled_compression_methods = 'alprd'",
)
_SMALL_BATCH = 64


class DuckDBTx(BulkInsertTx):
    """A transaction on one DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        result = self._con.execute(sql, list(params))
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            row = result.fetchone()
            return int(row[0]) if row else 0
        return -1

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._con.execute(sql, list(params)).fetchall()

    def _insert(self, table: str, columns: Sequence[str], rows: Sequence[Row],
                skip_existing: str | None, cols: str, conflict: str) -> int:  # fmt: skip
        if len(rows) <= _SMALL_BATCH:
            # A VALUES list beats building an Arrow table for a handful of rows. Keys already
            # stored are looked up by the key's index first: ON CONFLICT halves the single-row
            # rate, and an anti-join grows with the table (a single-envelope append took 4.6 ms
            # of CPU at 100,000 envelopes that way, 1.9 ms with the lookup, flat in size).
            if skip_existing:
                names = [k.strip() for k in skip_existing.split(",")]
                at = [columns.index(k) for k in names]
                wanted = [tuple(row[i] for i in at) for row in rows]
                match = " OR ".join(
                    ["(" + " AND ".join(f"{k} = ?" for k in names) + ")"] * len(rows)
                )
                stored = {
                    tuple(r)
                    for r in self._con.execute(
                        f"SELECT {', '.join(names)} FROM {table} WHERE {match}",
                        [v for key in wanted for v in key],
                    ).fetchall()
                }
                rows = [row for row, key in zip(rows, wanted, strict=True) if key not in stored]
                if not rows:
                    return 0
            marks = ", ".join(["(" + ", ".join("?" * (len(columns) + 1)) + ")"] * len(rows))
            params = [value for i, row in enumerate(rows) for value in (*row, i)]
            sql = (
                f"INSERT INTO {table} ({cols}) SELECT {cols}"
                f" FROM (VALUES {marks}) AS v({cols}, __ord) ORDER BY __ord"
            )
            result = self._con.execute(sql, params).fetchone()
            return int(result[0]) if result else 0
        # One Arrow table per batch: DuckDB ingests Arrow at millions of rows per second,
        # against a few thousand per second for single-row INSERTs.
        data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
        data["__ord"] = list(range(len(rows)))
        batch = pa.table(data)  # noqa: F841  (read by DuckDB's replacement scan below)
        result = self._con.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM batch ORDER BY __ord{conflict}"
        ).fetchone()
        return int(result[0]) if result else 0


class DuckDBBackend(Backend):
    """A DuckDB database file (or ``:memory:``)."""

    dialect = "duckdb"

    def __init__(self, path: str, *, lock_timeout: float = 30.0, idle_release: float = 0.2) -> None:
        self.path = path
        self.url = f"duckdb:///{path}"
        self.in_memory = path == ":memory:"
        self.idle_release = idle_release
        self.lock_timeout = lock_timeout
        self._mutex = threading.RLock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._depth = 0
        self._doomed = False
        self._last_used = 0.0
        self._lease: FileLease | None = None
        self._watcher: threading.Thread | None = None
        self._closed = False
        self._generation = 0
        self.created_folder: Path | None = None
        """The first folder made for this store's file when it was opened to be created."""
        if self.in_memory:
            self._con = self._connect()
        else:
            self._lease = FileLease(Path(path), timeout=lock_timeout)

    @contextmanager
    def transaction(self) -> Iterator[DuckDBTx]:
        with self._mutex:
            if self._closed:
                raise StorageError(f"The store {self.url} is closed.")
            con = self._open()
            outer = self._depth == 0
            self._depth += 1
            try:
                if outer:
                    self._doomed = False
                    con.begin()
                try:
                    yield DuckDBTx(con)
                except BaseException:
                    self._doomed = True
                    raise
                if outer:
                    if self._doomed:
                        raise StorageError(DOOMED)
                    con.commit()
            except duckdb.Error as exc:
                if outer:
                    _rollback_quietly(con)
                raise StorageError(f"The store {self.url} refused an operation: {exc}") from exc
            except BaseException:
                if outer:
                    _rollback_quietly(con)
                raise
            finally:
                self._depth -= 1
                self._last_used = time.monotonic()
                if self._depth == 0 and self._lease is not None and self._lease.others_waiting():
                    self._hand_back(asked=True)

    @contextmanager
    def independent_transaction(self) -> Iterator[DuckDBTx]:
        with self._mutex:
            if self._depth == 0 or self._con is None:
                with self.transaction() as tx:
                    yield tx
                return
            # A cursor is a second connection to the same database with its own transaction.
            con = self._con.cursor()
            try:
                con.begin()
                yield DuckDBTx(con)
                con.commit()
            except duckdb.Error as exc:
                _rollback_quietly(con)
                raise StorageError(f"The store {self.url} refused an operation: {exc}") from exc
            except BaseException:
                _rollback_quietly(con)
                raise
            finally:
                con.close()

    @contextmanager
    def session(self) -> Iterator[None]:
        """Keep the file open across many transactions (for bulk jobs); others wait meanwhile."""
        with self._mutex:
            self._open()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                self._last_used = time.monotonic()

    def close(self) -> None:
        with self._mutex:
            self._closed = True
            self._hand_back(asked=False)
            if self._con is not None:
                self._con.close()
                self._con = None
            if self._lease is not None:
                self._lease.close()

    # -- connection lifecycle ---------------------------------------------------------------

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self._con is not None:
            return self._con
        assert self._lease is not None
        self._lease.acquire()
        try:
            self._con = self._connect()
        except BaseException:
            self._lease.release()
            raise
        self._start_watcher()
        return self._con

    def _connect(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                con = duckdb.connect(self.path, config={"autoinstall_known_extensions": False})
                break
            except duckdb.IOException as exc:
                # A process outside matrix (a plain duckdb.connect) holds the file.
                if "lock" not in str(exc).lower():
                    raise StorageError(f"Cannot open the store {self.url}: {exc}") from None
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"The store {self.url} is held open by another program: {exc}. Close it,"
                        " or open the store through matrix, which shares it."
                    ) from None
                time.sleep(0.02)
            except duckdb.Error as exc:
                raise StorageError(f"Cannot open the store {self.url}: {exc}") from None
        for setting in SETTINGS:
            con.execute(setting)
        self._generation += 1
        return con

    @property
    def held_since(self) -> int | None:
        """A number that stays the same while this process keeps the store open without a break,
        None while it does not hold it (see :attr:`Backend.held_since`)."""
        return self._generation if self._con is not None else None

    def _hand_back(self, *, asked: bool) -> None:
        if self._con is None or self._lease is None or self._depth:
            return
        self._con.close()
        self._con = None
        self._lease.release(handed_back=asked)

    def _start_watcher(self) -> None:
        if self._watcher is not None and self._watcher.is_alive():
            return
        self._watcher = threading.Thread(
            target=self._watch, name="matrix-duckdb-lease", daemon=True
        )
        self._watcher.start()

    def _watch(self) -> None:
        """Hand the file back when idle, or when another process waits while we are idle."""
        assert self._lease is not None
        tick = max(0.005, min(self.idle_release, 0.05))
        while True:
            time.sleep(tick)
            if not self._mutex.acquire(blocking=False):
                continue
            try:
                if self._con is None:
                    return
                if self._depth:
                    continue
                idle = time.monotonic() - self._last_used
                if idle >= self.idle_release:
                    self._hand_back(asked=False)
                    return
                if self._lease.others_waiting():
                    self._hand_back(asked=True)
                    return
            finally:
                self._mutex.release()


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    # The failed statement may already have ended the transaction.
    with contextlib.suppress(duckdb.Error):
        con.rollback()

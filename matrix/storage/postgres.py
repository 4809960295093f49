"""PostgreSQL backend (psycopg 3): the production store, shared by many processes and hosts.

The only module that imports ``psycopg``. SQL is written with ``?`` placeholders and adapted
here; bulk inserts use binary-friendly ``COPY`` into a staging table, then one ``INSERT ...
SELECT`` so that keys can be skipped on conflict and order is kept.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import psycopg

from matrix.config import mask_secrets
from matrix.errors import StorageError
from matrix.storage.base import DOOMED, Backend, BulkInsertTx, Row

_PLACEHOLDER = re.compile(r"\?")

# Batches up to this many rows are inserted from a VALUES list, larger ones through COPY.
_SMALL_BATCH = 64


def _adapt(sql: str) -> str:
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


class PostgresTx(BulkInsertTx):
    """A transaction on one psycopg connection."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._conn.cursor() as cur:
            cur.execute(_adapt(sql), list(params))
            return cur.rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._conn.cursor() as cur:
            cur.execute(_adapt(sql), list(params))
            return list(cur.fetchall())

    def _insert(self, table: str, columns: Sequence[str], rows: Sequence[Row],
                skip_existing: str | None, cols: str, conflict: str) -> int:  # fmt: skip
        if len(rows) <= _SMALL_BATCH:
            # A handful of rows (one request's envelopes, its telemetry) goes in as one VALUES
            # list: the staging table below is created and dropped per transaction, which costs
            # more catalog work than the rows themselves.
            marks = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
            with self._conn.cursor() as cur:
                cur.execute(
                    f"INSERT INTO {table} ({cols}) VALUES {marks}{conflict}",
                    [value for row in rows for value in row],
                )
                return cur.rowcount
        stage = f"_stage_{table}_{zlib.crc32(cols.encode()):08x}"
        with self._conn.cursor() as cur:
            # The staging table copies the column types, not the constraints or defaults.
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS"
                f" SELECT {cols}, 0::BIGINT AS __ord FROM {table} WITH NO DATA"
            )
            cur.execute(f"TRUNCATE {stage}")
            with cur.copy(f"COPY {stage} ({cols}, __ord) FROM STDIN") as copy:
                for i, row in enumerate(rows):
                    copy.write_row((*row, i))
            cur.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} ORDER BY __ord{conflict}"
            )
            return cur.rowcount


class PostgresBackend(Backend):
    """A PostgreSQL database reached by a ``postgresql://`` URL."""

    dialect = "postgres"

    def __init__(self, url: str, *, connect_timeout: float = 5.0) -> None:
        self.url = mask_secrets(url)
        self._dsn = url
        self._mutex = threading.RLock()
        self._depth = 0
        self._doomed = False
        self._side: psycopg.Connection[Any] | None = None
        try:
            # Statements psycopg prepares are planned for their parameters every time: a generic
            # plan, which PostgreSQL switches to after five runs, ignores how differently sized
            # tenants are (memory's BM25 went from 20 ms to 4 s at 10,000 entries a tenant).
            self._conn: psycopg.Connection[Any] | None = psycopg.connect(
                url, connect_timeout=max(1, int(connect_timeout)), autocommit=True
            )
            self._conn.execute("SET plan_cache_mode = force_custom_plan")
        except psycopg.OperationalError as exc:
            reason = mask_secrets(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
            raise StorageError(
                f"Cannot reach PostgreSQL at {self.url}: {reason}. Check that the server runs"
                " and MATRIX_STORAGE_URL is right."
            ) from None
        except psycopg.ProgrammingError as exc:
            raise StorageError(
                f"MATRIX_STORAGE_URL {self.url!r} is not a valid PostgreSQL URL: {exc}."
            ) from None

    @contextmanager
    def transaction(self) -> Iterator[PostgresTx]:
        with self._mutex:
            if self._conn is None:
                raise StorageError(f"The store {self.url} is closed.")
            self._depth += 1
            try:
                if self._depth > 1:
                    try:
                        yield PostgresTx(self._conn)
                    except BaseException:
                        self._doomed = True
                        raise
                    return
                self._doomed = False
                with self._conn.transaction():
                    yield PostgresTx(self._conn)
                    if self._doomed:
                        raise StorageError(DOOMED)
            except psycopg.Error as exc:
                message = mask_secrets(str(exc).strip().splitlines()[0])
                raise StorageError(f"The store {self.url} refused an operation: {message}") from exc
            finally:
                self._depth -= 1

    @contextmanager
    def independent_transaction(self) -> Iterator[PostgresTx]:
        with self._mutex:
            if self._depth == 0:
                with self.transaction() as tx:
                    yield tx
                return
            try:
                if self._side is None:
                    self._side = psycopg.connect(self._dsn, autocommit=True)
                    # Never wait forever on a row the open transaction of this process holds.
                    self._side.execute(b"SET lock_timeout = '10s'")
                with self._side.transaction():
                    yield PostgresTx(self._side)
            except psycopg.Error as exc:
                message = mask_secrets(str(exc).strip().splitlines()[0])
                raise StorageError(f"The store {self.url} refused an operation: {message}") from exc

    def create_database(self, name: str) -> str:
        """Create an empty database beside this one (same server and user); its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise StorageError(
                f"{name!r} is not a plain database name (lowercase letters, digits, _)."
            )
        self._outside_transaction(f'CREATE DATABASE "{name}"')
        return str(urlsplit(self._dsn)._replace(path="/" + name).geturl())

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`create_database` (given by its URL)."""
        name = urlsplit(url).path.lstrip("/")
        self._outside_transaction(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _outside_transaction(self, sql: str) -> None:
        with self._mutex:
            if self._conn is None:
                raise StorageError(f"The store {self.url} is closed.")
            try:
                self._conn.execute(sql.encode())
            except psycopg.Error as exc:
                message = mask_secrets(str(exc).strip().splitlines()[0])
                raise StorageError(f"The store {self.url} refused an operation: {message}") from exc

    def close(self) -> None:
        with self._mutex:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._side is not None:
                self._side.close()
                self._side = None

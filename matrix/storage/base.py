"""The seam between matrix and a SQL database: a backend hands out transactions.

SQL in matrix is written once, with ``?`` placeholders and types both databases share (TEXT,
BIGINT, DOUBLE PRECISION, BOOLEAN, TIMESTAMPTZ). Each backend adapts placeholders and offers a
fast bulk path, because row-by-row inserts are slow on DuckDB.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

Dialect = Literal["duckdb", "postgres"]
Row = tuple[Any, ...]

DOOMED = (
    "A nested unit of work failed inside this transaction and its error was caught; the whole"
    " transaction was rolled back so that none of its writes are half-applied. Let the error"
    " propagate out of the outer transaction, or catch it outside."
)


class Tx(Protocol):
    """One open transaction."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed (when known, else -1)."""
        ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one query and return all its rows."""
        ...

    def insert_rows(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Row],
        *,
        skip_existing: str | None = None,
    ) -> int:
        """Insert many rows in order with the backend's bulk path; return how many were added.

        With ``skip_existing`` (a unique key: one column, or several separated by commas) a row
        whose key is already stored is skipped, not an error. Rows must not repeat a key within
        one call.
        """
        ...


class BulkInsertTx(ABC):
    """What every backend's transaction shares for :meth:`Tx.insert_rows`: nothing to do for no
    rows, and the column list and conflict clause of the bulk insert."""

    def insert_rows(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Row],
        *,
        skip_existing: str | None = None,
    ) -> int:
        if not rows:
            return 0
        conflict = f" ON CONFLICT ({skip_existing}) DO NOTHING" if skip_existing else ""
        return self._insert(table, columns, rows, skip_existing, ", ".join(columns), conflict)

    @abstractmethod
    def _insert(self, table: str, columns: Sequence[str], rows: Sequence[Row],
                skip_existing: str | None, cols: str, conflict: str) -> int:  # fmt: skip
        """Insert a non-empty batch with the backend's bulk path; how many rows were added."""


class Backend(ABC):
    """A database reachable through transactions."""

    dialect: Dialect
    url: str
    """The store URL with any password masked; safe to print."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Tx]:
        """A transaction that commits on success and rolls back on any exception.

        Nested calls join the outer transaction. A nested block that ends with an exception
        dooms the outer one: even if the caller catches the error, the outer transaction rolls
        back and raises :class:`~matrix.errors.StorageError` instead of committing, because the
        nested block's writes up to its failure cannot be undone on their own.
        """

    @abstractmethod
    def independent_transaction(self) -> AbstractContextManager[Tx]:
        """A transaction that commits on its own, even while :meth:`transaction` is open (on a
        second connection); outside one it is a plain transaction.

        For records that must outlive the open unit of work, such as the ledger entry of an
        effect outside the store that already happened. It must not touch rows the open
        transaction has written (it would wait for them forever).
        """

    @abstractmethod
    def close(self) -> None:
        """Release connections and locks."""

    @property
    def held_since(self) -> int | None:
        """A number that stays the same while this process alone may write the store without a
        break (an embedded file it holds), so rows it read meanwhile may be cached until it
        changes; None where other processes write at any time (a server)."""
        return None

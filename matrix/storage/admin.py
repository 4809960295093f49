"""Administrative work on a store: its schema version, migrating to a version and back, scratch
databases beside it, and every table's rows (for snapshots and copies).

The gates (pre-production validation, the rollback drill, deploy readiness) ask this repository
instead of reaching the backend, so that SQL stays in ``storage/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from matrix.clock import Clock
from matrix.errors import StorageError
from matrix.storage import migrate as migrations
from matrix.storage.base import Backend, Tx

_TABLES = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema IN ('main', 'public')"
    " AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY 1"
)
_COLUMNS = (
    "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
    " ORDER BY ordinal_position"
)


class StoreAdmin:
    """Schema versions, scratch databases and whole-table reads of one store."""

    def __init__(self, backend: Backend, clock: Clock) -> None:
        self._backend = backend
        self._clock = clock

    def schema_version(self) -> int:
        """The migration version the store is at (0 for an empty store)."""
        with self._backend.transaction() as tx:
            return migrations.current_version(tx)

    def migrate(
        self,
        *,
        target: int | None = None,
        migrations_list: list[migrations.Migration] | None = None,
    ) -> migrations.MigrationReport:
        """Apply migrations up to ``target`` (default: the newest), all or nothing."""
        return migrations.migrate(
            self._backend, target=target, migrations=migrations_list, clock=self._clock
        )

    def rollback(
        self, *, target: int, migrations_list: list[migrations.Migration] | None = None
    ) -> migrations.MigrationReport:
        """Undo migrations down to ``target``, all or nothing."""
        return migrations.rollback(self._backend, target=target, migrations=migrations_list)

    def analyze(self) -> None:
        """Refresh the planner's statistics (PostgreSQL's ANALYZE; autovacuum does it in time,
        this is for right after a bulk load); nothing to do on DuckDB."""
        if self._backend.dialect == "postgres":
            with self._backend.transaction() as tx:
                tx.execute("ANALYZE")

    def create_database(self, name: str) -> str:
        """A new, empty database beside this one on the same PostgreSQL server; its URL.

        Raises:
            StorageError: the store is not on a server that can hold other databases.
        """
        create = getattr(self._backend, "create_database", None)
        if create is None:
            raise StorageError(
                f"The store {self._backend.url} cannot create databases beside it; use a"
                " postgresql:// server URL."
            )
        return str(create(name))

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`create_database` (given by its URL)."""
        drop = getattr(self._backend, "drop_database", None)
        if drop is None:
            raise StorageError(f"The store {self._backend.url} cannot drop databases.")
        drop(url)

    def tables(self) -> Iterator[tuple[str, list[str], list[tuple[Any, ...]]]]:
        """Every table but the migration ledger: its name, its columns and all its rows, read in
        one transaction."""
        with self._backend.transaction() as tx:
            for table in _tables(tx):
                columns = _columns(tx, table)
                yield table, columns, tx.query(f"SELECT {', '.join(columns)} FROM {table}")

    def copy_into(self, target: StoreAdmin, version: int) -> None:
        """Migrate ``target`` (a new store) to ``version`` and copy every row of this store's
        tables into it."""
        target.migrate(target=version)
        with target._backend.transaction() as dst:
            for table, columns, rows in self.tables():
                if rows:
                    dst.insert_rows(table, tuple(columns), [tuple(r) for r in rows])


def _tables(tx: Tx) -> list[str]:
    return [str(r[0]) for r in tx.query(_TABLES)]


def _columns(tx: Tx, table: str) -> list[str]:
    return [str(r[0]) for r in tx.query(_COLUMNS, [table])]

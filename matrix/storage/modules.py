"""SQL for the business modules. Records are plain dicts keyed by column; every read is tenant-scoped.

These tables implement the ``ModuleStore`` repositories declared in ``matrix.modules.ports``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from matrix.errors import UsageError
from matrix.modules import registry
from matrix.storage.base import Backend

Record = dict[str, Any]

_JSON = {
    "metadata",
    "snapshot",
    "fields",
    "clauses",
    "field_values",
    "filters",
    "columns",
    "sort",
    "details",
}


class Table:
    """A tenant-scoped table gateway: insert, get, find, update by id."""

    def __init__(self, backend: Backend, name: str, key: str, columns: tuple[str, ...]) -> None:
        self._backend = backend
        self.name = name
        self.key = key
        self.columns = columns

    def insert(self, record: Record) -> None:
        values = [_to_db(c, record.get(c)) for c in self.columns]
        marks = ", ".join("?" * len(self.columns))
        with self._backend.transaction() as tx:
            tx.execute(
                f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({marks})", values
            )

    def get(self, tenant_id: str, key: str) -> Record | None:
        equals: dict[str, Any] = {self.key: key}
        found = self.find(tenant_id, limit=1, **equals)
        return found[0] if found else None

    def find(
        self, tenant_id: str, *, order: str | None = None, limit: int = 1000, **equals: Any
    ) -> list[Record]:
        return self.page(tenant_id, order=order, limit=limit, count=False, **equals)[0]

    def page(
        self, tenant_id: str, *, order: str | None = None, limit: int = 100, offset: int = 0,
        contains: tuple[Sequence[str], str] | None = None, since: tuple[str, datetime] | None = None,
        count: bool = True, **equals: Any,
    ) -> tuple[list[Record], int]:  # fmt: skip
        """One page of the tenant's rows matching ``equals`` (and, with ``contains``, whose
        columns hold the text, case-insensitively; with ``since``, whose column is at or after
        the time), with how many match in all (-1 unless ``count``)."""
        clauses: list[str] = ["tenant_id = ?"]
        params: list[Any] = [tenant_id]
        for column, value in equals.items():
            self._column(column)
            clauses.append(f"{column} = ?")
            params.append(value)
        if contains is not None and contains[1]:
            columns, text = contains
            for column in columns:
                self._column(column)
            clauses.append(
                "("
                + " OR ".join(f"lower(coalesce({c}, '')) LIKE ? ESCAPE '\\'" for c in columns)
                + ")"
            )
            pattern = (
                "%"
                + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                + "%"
            )
            params += [pattern] * len(columns)
        if since is not None:
            self._column(since[0])
            clauses.append(f"{since[0]} >= ?")
            params.append(since[1])
        where = " AND ".join(clauses)
        default = "created_at" if "created_at" in self.columns else self.key
        sql = (f"SELECT {', '.join(self.columns)} FROM {self.name} WHERE {where}"
               f" ORDER BY {order or default}, {self.key} LIMIT {int(limit)} OFFSET {int(offset)}")  # fmt: skip
        with self._backend.transaction() as tx:
            rows = tx.query(sql, params)
            total = (
                tx.query(f"SELECT count(*) FROM {self.name} WHERE {where}", params)[0][0]
                if count
                else -1
            )
        return [self._record(r) for r in rows], int(total)

    def due(
        self, when: Sequence[tuple[str, str, datetime]], *, order: str, limit: int,
        tenants: Collection[str] | None = None,
    ) -> list[Record]:  # fmt: skip
        """Admin sweep across tenants (for schedulers): rows in a state since long enough."""
        clauses, params = [], []
        for status, column, at in when:
            self._column(column)
            clauses.append(f"(status = ? AND {column} <= ?)")
            params += [status, at]
        sql = f"SELECT {', '.join(self.columns)} FROM {self.name} WHERE ({' OR '.join(clauses)})"
        if tenants is not None:
            if not tenants:
                return []
            sql += f" AND tenant_id IN ({', '.join('?' * len(tenants))})"
            params += sorted(tenants)
        for column in order.split(","):
            self._column(column.strip())
        with self._backend.transaction() as tx:
            rows = tx.query(f"{sql} ORDER BY {order} LIMIT {int(limit)}", params)
        return [self._record(r) for r in rows]

    def count_by(self, column: str, *, tenant_prefix: str) -> dict[str, int]:
        """Admin read: how many rows of the tenants whose id starts with ``tenant_prefix`` hold
        each value of ``column`` (a simulation's summary)."""
        self._column(column)
        return count_by(self._backend, self.name, column, tenant_prefix)

    def _column(self, column: str) -> None:
        if column not in self.columns:
            raise UsageError(
                f"Table {self.name} has no column {column!r}; its columns: {', '.join(self.columns)}."
            )

    def update(
        self, tenant_id: str, key: str, changes: Record, *, expect: Record | None = None
    ) -> bool:
        """Update one row; with ``expect``, only when those columns still hold those values."""
        changes = {c: _to_db(c, v) for c, v in changes.items()}
        return update_one(self._backend, self.name, self.key, tenant_id, key, changes, expect)

    def _record(self, row: tuple[Any, ...]) -> Record:
        out: Record = {}
        for column, value in zip(self.columns, row, strict=True):
            if column in _JSON and isinstance(value, str):
                value = json.loads(value)
            elif isinstance(value, datetime):
                value = value.astimezone(UTC)
            elif isinstance(value, Decimal):
                value = value.quantize(Decimal("0.01"))
            out[column] = value
        return out

    def insert_once(self, record: Record, *, key: tuple[str, ...]) -> bool:
        """Insert a row unless the tenant already has one with the same ``key`` columns.

        Returns whether it was inserted. Concurrent writers of one key do not fail: on PostgreSQL
        the second waits for the first to commit, then skips (``ON CONFLICT DO NOTHING``, which
        needs a unique index on the key), so a natural-key upsert is this call followed by a read
        by that key. DuckDB has one writer at a time, so a read first is as safe there, and about
        five times faster than its ``ON CONFLICT``.
        """
        values = [_to_db(c, record.get(c)) for c in self.columns]
        marks = ", ".join("?" * len(self.columns))
        sql = f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({marks})"
        with self._backend.transaction() as tx:
            if self._backend.dialect == "postgres":
                return tx.execute(f"{sql} ON CONFLICT DO NOTHING", values) == 1
            for column in key:
                self._column(column)
            where = " AND ".join(f"{c} = ?" for c in ("tenant_id", *key))
            if tx.query(f"SELECT 1 FROM {self.name} WHERE {where} LIMIT 1",
                        [record["tenant_id"], *(record[c] for c in key)]):  # fmt: skip
                return False
            return tx.execute(sql, values) == 1


def count_by(backend: Backend, table: str, column: str, tenant_prefix: str) -> dict[str, int]:
    """Rows per value of ``column`` in ``table``, over the tenants whose id starts with the prefix."""
    pattern = tenant_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with backend.transaction() as tx:
        rows = tx.query(
            f"SELECT {column}, count(*) FROM {table} WHERE tenant_id LIKE ? ESCAPE '\\' GROUP BY {column}",
            [pattern],
        )
    return {str(value): int(n) for value, n in rows}


def update_one(
    backend: Backend, table: str, key_column: str, tenant_id: str, key: str,
    changes: Record, expect: Record | None = None,
) -> bool:  # fmt: skip
    """Change one row of a tenant (values as stored); with ``expect``, only while those columns
    still hold those values. Whether it changed."""
    sets = ", ".join(f"{c} = ?" for c in changes)
    params = [*changes.values(), tenant_id, key]
    where = f"tenant_id = ? AND {key_column} = ?"
    for column, value in (expect or {}).items():
        where += f" AND {column} = ?"
        params.append(value)
    with backend.transaction() as tx:
        return tx.execute(f"UPDATE {table} SET {sets} WHERE {where}", params) == 1


def _to_db(column: str, value: Any) -> Any:
    if column in _JSON:
        return json.dumps(value if value is not None else {}, default=str, ensure_ascii=False)
    return value


class ModuleTables:
    """Every module table of one store, as the module specs declare them (``modules.customers``)."""

    def __init__(self, backend: Backend) -> None:
        self._tables = {t.attr: Table(backend, t.name, t.key, t.columns) for t in registry.tables()}

    def __getattr__(self, name: str) -> Table:
        try:
            return self._tables[name]
        except KeyError:
            raise AttributeError(
                f"No module declares a table {name!r}; known: {', '.join(sorted(self._tables))}."
            ) from None


__all__ = ["ModuleTables", "Record", "Table", "count_by", "update_one"]

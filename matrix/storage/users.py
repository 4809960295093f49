"""SQL for dashboard users: one row per user with their password hash, role and tenants."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from matrix.storage.base import Backend


@dataclass(frozen=True, kw_only=True)
class UserRow:
    """One stored dashboard user (the password only as its salted hash)."""

    username: str
    password_hash: str
    role: str
    tenants: tuple[str, ...]
    created_at: datetime


def _row(
    username: str, password_hash: str, role: str, tenants: str, created_at: datetime
) -> UserRow:
    return UserRow(username=username, password_hash=password_hash, role=role,
                   tenants=tuple(json.loads(tenants)), created_at=created_at)  # fmt: skip


class SqlDashboardUsers:
    """The ``dashboard_users`` table."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def replace(self, row: UserRow) -> None:
        """Store ``row``, replacing any user of the same name."""
        with self._backend.transaction() as tx:
            tx.execute("DELETE FROM dashboard_users WHERE username = ?", [row.username])
            tx.execute("INSERT INTO dashboard_users VALUES (?, ?, ?, ?, ?)",
                       [row.username, row.password_hash, row.role, json.dumps(list(row.tenants)),
                        row.created_at])  # fmt: skip

    def get(self, username: str) -> UserRow | None:
        """The user named ``username``, or None."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT username, password_hash, role, tenants, created_at FROM dashboard_users"
                " WHERE username = ?",
                [username],
            )
        return _row(*rows[0]) if rows else None

    def list(self) -> list[UserRow]:
        """Every user, by name."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT username, password_hash, role, tenants, created_at FROM dashboard_users"
                " ORDER BY username"
            )
        return [_row(*r) for r in rows]

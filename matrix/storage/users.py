"""SQL for dashboard users (one row per user with their password hash, role and tenants), their
sign-in sessions, and the keys the web server generates for itself."""

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


class SqlWebSessions:
    """The ``web_sessions`` table (a session by the hash of its id, never the id itself) and the
    ``server_keys`` table."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def open(
        self, session_hash: str, username: str, *, created_at: datetime, expires_at: datetime
    ) -> None:
        """Record a new session of ``username``, valid until ``expires_at``."""
        with self._backend.transaction() as tx:
            tx.execute("INSERT INTO web_sessions VALUES (?, ?, ?, ?)",
                       [session_hash, username, created_at, expires_at])  # fmt: skip

    def get(self, session_hash: str) -> tuple[str, datetime] | None:
        """The user and expiry of the session, or None when it was never opened or was revoked."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT username, expires_at FROM web_sessions WHERE session_hash = ?",
                [session_hash],
            )
        return (str(rows[0][0]), rows[0][1]) if rows else None

    def revoke(self, session_hash: str) -> None:
        """End one session (signing out)."""
        with self._backend.transaction() as tx:
            tx.execute("DELETE FROM web_sessions WHERE session_hash = ?", [session_hash])

    def revoke_user(self, username: str) -> None:
        """End every session of ``username`` (their password or role changed)."""
        with self._backend.transaction() as tx:
            tx.execute("DELETE FROM web_sessions WHERE username = ?", [username])

    def purge(self, now: datetime) -> None:
        """Forget the sessions that expired before ``now``."""
        with self._backend.transaction() as tx:
            tx.execute("DELETE FROM web_sessions WHERE expires_at <= ?", [now])

    def key(self, name: str, candidate: str, now: datetime) -> str:
        """The stored key ``name``; ``candidate`` becomes it when there is none yet (the first
        of several processes starting together wins, and all of them read the same key)."""
        with self._backend.transaction() as tx:
            tx.execute(
                "INSERT INTO server_keys VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                [name, candidate, now],
            )
            rows = tx.query("SELECT value FROM server_keys WHERE name = ?", [name])
        return str(rows[0][0])

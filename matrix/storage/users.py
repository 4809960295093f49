"""SQL for dashboard users (one row per user with their password hash, role and tenants), their
sign-in sessions, and the failed sign-ins the web server counts against guessing."""

from __future__ import annotations

import json
from collections.abc import Sequence
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
    """The ``web_sessions`` table (a session by the hash of its id, never the id itself)."""

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


class SqlSignInFailures:
    """The ``sign_in_failures`` table: failed sign-ins per subject (a username or a client
    address), shared by every process on the store so that a lockout holds in all of them."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def count(self, subject: str, now: datetime, *, forget_before: datetime) -> int:
        """Count one more failure of ``subject``; how many it has now. Subjects whose last
        failure is older than ``forget_before`` are forgotten first (theirs start again at 1)."""
        with self._backend.transaction() as tx:
            tx.execute("DELETE FROM sign_in_failures WHERE last_at < ?", [forget_before])
            # One statement, so that processes counting the same subject at once add up.
            tx.execute(
                "INSERT INTO sign_in_failures (subject, failures, last_at) VALUES (?, 1, ?)"
                " ON CONFLICT (subject) DO UPDATE"
                " SET failures = sign_in_failures.failures + 1, last_at = excluded.last_at",
                [subject, now],
            )
            rows = tx.query("SELECT failures FROM sign_in_failures WHERE subject = ?", [subject])
        return int(rows[0][0]) if rows else 1

    def lock(self, subject: str, until: datetime) -> None:
        """Lock ``subject`` until ``until`` (never shortening a longer lock already set)."""
        with self._backend.transaction() as tx:
            tx.execute(
                "UPDATE sign_in_failures SET locked_until = ?"
                " WHERE subject = ? AND (locked_until IS NULL OR locked_until < ?)",
                [until, subject, until],
            )

    def locked_until(self, subjects: Sequence[str], now: datetime) -> datetime | None:
        """The latest end of a lock on any of ``subjects`` still running at ``now``, or None."""
        marks = ", ".join("?" * len(subjects))
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT max(locked_until) FROM sign_in_failures WHERE subject IN ({marks})"
                " AND locked_until > ?",
                [*subjects, now],
            )
        found = rows[0][0] if rows else None
        return found if isinstance(found, datetime) else None

    def clear(self, subjects: Sequence[str]) -> None:
        """Forget the failures of ``subjects`` (a right password)."""
        marks = ", ".join("?" * len(subjects))
        with self._backend.transaction() as tx:
            tx.execute(f"DELETE FROM sign_in_failures WHERE subject IN ({marks})", list(subjects))

    def clear_all(self) -> None:
        """Forget every failure (an administrator unlocking everyone)."""
        with self._backend.transaction() as tx:
            tx.execute("DELETE FROM sign_in_failures")

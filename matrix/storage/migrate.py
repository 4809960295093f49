"""Versioned migrations: ``migrations/NNNN_name.sql`` applied in order, recorded in the store.

Each file has a ``-- migrate:up`` section and, when it can be undone, a ``-- migrate:down``
section. Migrations run in one transaction, so a failure leaves the store as it was. A store whose
recorded version is newer than this code, or whose applied migration differs from the file of the
same number, is refused rather than touched.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from matrix import paths
from matrix.clock import SYSTEM_CLOCK, Clock
from matrix.errors import MigrationError
from matrix.storage.base import Backend, Dialect, Tx

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_ONLY = re.compile(r"^--\s*only:\s*(duckdb|postgres)\s*$")

LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)"""


@dataclass(frozen=True, kw_only=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    up: str
    down: str | None
    checksum: str
    forward_only: bool = False

    @property
    def reversible(self) -> bool:
        return self.down is not None


@dataclass(frozen=True, kw_only=True)
class MigrationReport:
    """What :func:`migrate` did."""

    before: int
    after: int
    applied: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"before": self.before, "after": self.after, "applied": list(self.applied)}


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """Every migration shipped with matrix (or found in ``directory``), in version order.

    A migration without a down section must say so with a ``-- migrate:forward-only`` line.
    """
    found = []
    folder: Traversable = directory if directory is not None else paths.migrations_dir()
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if not match:
            continue
        text = entry.read_text(encoding="utf-8")
        up, sep, down = text.partition("-- migrate:down")
        up = up.split("-- migrate:up", 1)[-1]
        found.append(
            Migration(
                version=int(match.group(1)),
                name=match.group(2),
                up=up,
                down=down if sep and down.strip() else None,
                checksum=hashlib.sha256(text.encode()).hexdigest()[:16],
                forward_only="-- migrate:forward-only" in text,
            )
        )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    # Contiguous numbers: a migration numbered below one a store already applied would never run.
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"Migration files must be numbered 0001, 0002, ...; found {versions}.")
    return found


def statements(script: str, dialect: Dialect) -> list[str]:
    """Split a script into statements for one dialect (``;`` at a line end ends a statement)."""
    out: list[str] = []
    current: list[str] = []
    only: str | None = None
    for line in script.splitlines():
        stripped = line.strip()
        marker = _ONLY.match(stripped)
        if marker and not current:
            only = marker.group(1)
            continue
        if not current and (not stripped or stripped.startswith("--")):
            continue
        current.append(line)
        if stripped.endswith(";"):
            if only in (None, dialect):
                out.append("\n".join(current).rstrip().rstrip(";"))
            current, only = [], None
    return out


def current_version(tx: Tx) -> int:
    """The highest applied version, 0 for a new store."""
    tx.execute(LEDGER)
    rows = tx.query("SELECT max(version) FROM schema_migrations")
    return int(rows[0][0] or 0)


def code_version() -> int:
    """The highest version this code knows."""
    return len(load_migrations())


def migrate(
    backend: Backend,
    *,
    target: int | None = None,
    migrations: list[Migration] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> MigrationReport:
    """Bring the store up to ``target`` (default: the newest migration), all or nothing; each
    applied migration is recorded with ``clock``'s time.

    Raises:
        MigrationError: the store is newer than this code, or an applied migration was changed.
    """
    migrations = migrations if migrations is not None else load_migrations()
    newest = len(migrations)
    target = newest if target is None else target
    with backend.transaction() as tx:
        before = current_version(tx)
        _refuse_foreign(tx, before, migrations, backend)
        applied: list[str] = []
        for migration in migrations:
            if before < migration.version <= target:
                for sql in statements(migration.up, backend.dialect):
                    tx.execute(sql)
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
                    " VALUES (?, ?, ?, ?)",
                    (migration.version, migration.name, migration.checksum, clock.now()),
                )
                applied.append(f"{migration.version:04d}_{migration.name}")
        after = current_version(tx)
    return MigrationReport(before=before, after=after, applied=tuple(applied))


def rollback(
    backend: Backend, *, target: int, migrations: list[Migration] | None = None
) -> MigrationReport:
    """Undo migrations down to ``target`` using their down sections, all or nothing."""
    migrations = migrations if migrations is not None else load_migrations()
    with backend.transaction() as tx:
        before = current_version(tx)
        _refuse_foreign(tx, before, migrations, backend)
        undone: list[str] = []
        for migration in reversed(migrations):
            if target < migration.version <= before:
                if migration.down is None:
                    raise MigrationError(
                        f"Migration {migration.version:04d}_{migration.name} is forward-only;"
                        " restore a backup instead of rolling back."
                    )
                for sql in statements(migration.down, backend.dialect):
                    tx.execute(sql)
                tx.execute("DELETE FROM schema_migrations WHERE version = ?", (migration.version,))
                undone.append(f"{migration.version:04d}_{migration.name}")
        after = current_version(tx)
    return MigrationReport(before=before, after=after, applied=tuple(undone))


def _refuse_foreign(tx: Tx, version: int, migrations: list[Migration], backend: Backend) -> None:
    newest = len(migrations)
    if version > newest:
        raise MigrationError(
            f"The store {backend.url} is at schema version {version}, newer than this matrix"
            f" (which knows up to {newest}). Upgrade matrix; the store was not changed."
        )
    recorded: dict[int, str] = {
        int(v): str(c) for v, c in tx.query("SELECT version, checksum FROM schema_migrations")
    }
    for migration in migrations:
        stored = recorded.get(migration.version)
        if stored is not None and stored != migration.checksum:
            raise MigrationError(
                f"Migration {migration.version:04d}_{migration.name} was changed after it was"
                f" applied to {backend.url} (checksum {stored} != {migration.checksum})."
                " Add a new migration instead of editing an applied one."
            )

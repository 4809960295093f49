"""The operational store: one backend, its migrations, and the tables every feature reads.

Open one with :func:`open_store`; the URL's scheme picks the backend. Wiring happens at the
entry points (CLI, server, notebooks, tests); nothing opens a store at import time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from matrix import values
from matrix.clock import SYSTEM_CLOCK, Clock
from matrix.config import Settings, mask_secrets
from matrix.envelopes import validator_for
from matrix.errors import ConfigError, MigrationError, NotFoundError, StorageError, UsageError
from matrix.storage import migrate as migrations
from matrix.storage.admin import StoreAdmin
from matrix.storage.analytics_source import SqlAnalyticsSource
from matrix.storage.base import Backend
from matrix.storage.delivery import DeliveryRecords
from matrix.storage.eventlog import EventLog
from matrix.storage.gate_runs import SqlGateRuns
from matrix.storage.inbox import SqlInbox
from matrix.storage.memory_maintenance import SqlMemoryMaintenance
from matrix.storage.memory_search import SqlMemory
from matrix.storage.modules import ModuleTables
from matrix.storage.pricing import SqlPricing
from matrix.storage.runtime import SqlApprovals, SqlRuntimeConfig, SqlSideEffects, SqlTaskQueue
from matrix.storage.secrets import Keyring, SqlSecrets
from matrix.storage.tenant_runtime import SqlTenantRuntime
from matrix.storage.tokens import SqlApiTokens
from matrix.storage.users import SqlDashboardUsers, SqlSignInFailures, SqlWebSessions

_TENANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")
_TENANT_RULE = (
    "use 1-120 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. acme-01)"
)

TELEMETRY_COLUMNS = (
    "tenant_id", "recorded_at", "kind", "name", "module", "status", "latency_ms", "provider",
    "model", "feature", "correlation_id", "input_tokens", "cached_tokens", "output_tokens",
    "reasoning_tokens", "audio_seconds", "error_code",
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Tenant:
    tenant_id: str
    display_name: str
    status: str
    created_at: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "tenant_id": self.tenant_id,
            "display_name": self.display_name,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
        }


class Tenants:
    """The tenant registry."""

    def __init__(self, backend: Backend, clock: Clock) -> None:
        self._backend = backend
        self._clock = clock

    def add(self, tenant_id: str, display_name: str | None = None) -> bool:
        """Register a tenant; returns False when it already existed (nothing changes)."""
        values.identifier(tenant_id, "tenant_id", pattern=_TENANT_ID, rule=_TENANT_RULE)
        if display_name is not None:
            display_name = values.label(display_name, "display_name")
        with self._backend.transaction() as tx:
            if tx.query("SELECT 1 FROM tenants WHERE tenant_id = ?", [tenant_id]):
                return False
            tx.execute(
                "INSERT INTO tenants (tenant_id, display_name, status, created_at)"
                " VALUES (?, ?, 'active', ?)",
                [tenant_id, display_name or tenant_id, self._clock.now()],
            )
        return True

    def require(self, tenant_id: object) -> None:
        """Raise NotFoundError for an unknown tenant, suggesting the closest known ids."""
        if isinstance(tenant_id, str) and tenant_id and self.get(tenant_id) is not None:
            return
        import difflib

        known = [t.tenant_id for t in self.list()]
        close = (
            difflib.get_close_matches(tenant_id, known, n=3) if isinstance(tenant_id, str) else []
        )
        create = f"create it with `matrix tenant create {tenant_id or 'ID'}`"
        if close:
            hint = f" Did you mean {', '.join(close)}?"
        elif known:  # nothing close: the nearest are simply the known ones
            more = f" and {len(known) - 5} more (`matrix tenant list`)" if len(known) > 5 else ""
            hint = f" Known tenants: {', '.join(known[:5])}{more}; or {create}."
        else:
            hint = f" There is no tenant yet; {create}."
        raise NotFoundError(f"Unknown tenant {tenant_id!r}.{hint}", code="tenant_not_found")

    def get(self, tenant_id: str) -> Tenant | None:
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT tenant_id, display_name, status, created_at FROM tenants"
                " WHERE tenant_id = ?",
                [tenant_id],
            )
        if not rows:
            return None
        tenant_id, display_name, status, created_at = rows[0]
        return Tenant(
            tenant_id=tenant_id, display_name=display_name, status=status, created_at=created_at
        )

    def list(self) -> list[Tenant]:
        """Admin read: every tenant."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT tenant_id, display_name, status, created_at FROM tenants ORDER BY tenant_id"
            )
        return [
            Tenant(tenant_id=r[0], display_name=r[1], status=r[2], created_at=r[3]) for r in rows
        ]


class TelemetryTable:
    """Bulk writes of telemetry rows (the buffered writer lives in ``matrix.telemetry``)."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def insert_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert rows given as dicts keyed by column name; missing columns are NULL."""
        unknown = {k for r in rows for k in r} - set(TELEMETRY_COLUMNS)
        if unknown:
            raise UsageError(f"Unknown telemetry column(s) {sorted(unknown)}.")
        tuples = [tuple(r.get(c) for c in TELEMETRY_COLUMNS) for r in rows]
        with self._backend.transaction() as tx:
            if self._backend.dialect == "postgres":
                # The transaction takes its id before its rows take sequence numbers, so the
                # analytics sync can tell when every number it has seen handed out is committed.
                tx.query("SELECT pg_current_xact_id()")
            return tx.insert_rows("telemetry", TELEMETRY_COLUMNS, tuples)

    def count(self, tenant_id: str) -> int:
        with self._backend.transaction() as tx:
            return int(
                tx.query("SELECT count(*) FROM telemetry WHERE tenant_id = ?", [tenant_id])[0][0]
            )


class Store:
    """An open operational store."""

    def __init__(self, backend: Backend, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> None:
        self.backend = backend
        self.settings = settings
        self.clock = clock
        self.analytics_source = SqlAnalyticsSource(backend)
        self.analytics: Any = None
        """Where metrics run when set (by the composition root): an analytics store beside this
        one. None: a DuckDB store answers itself."""
        self.events = EventLog(backend, lambda: validator_for(settings.contracts_dir), clock)
        self.tenants = Tenants(backend, clock)
        self.telemetry = TelemetryTable(backend)
        self.approvals = SqlApprovals(backend)
        self.tasks = SqlTaskQueue(backend)
        self.side_effects = SqlSideEffects(backend)
        self.secrets = SqlSecrets(backend, Keyring(backend, settings))
        self.runtime_config = SqlRuntimeConfig(backend, self.secrets)
        self.modules = ModuleTables(backend)
        self.pricing = SqlPricing(backend)
        self.users = SqlDashboardUsers(backend)
        self.gate_runs = SqlGateRuns(backend)
        self.delivery = DeliveryRecords(backend)
        self.admin = StoreAdmin(backend, clock)
        self.inbox = SqlInbox(backend)
        self.memory = SqlMemory(backend)
        self.memory_maintenance = SqlMemoryMaintenance(backend)
        self.sessions = SqlWebSessions(backend)
        self.sign_ins = SqlSignInFailures(backend)
        self.api_tokens = SqlApiTokens(backend, self.secrets, clock)
        self.tenant_runtime = SqlTenantRuntime(backend, self.secrets)

    def transaction(self) -> AbstractContextManager[object]:
        """One unit of work: everything done through this store inside it commits together."""
        return self.backend.transaction()

    @property
    def url(self) -> str:
        """The store URL with any password masked."""
        return self.backend.url

    @property
    def created_folder(self) -> Path | None:
        """The folder opening this store created for its file (DuckDB), if it made one."""
        return getattr(self.backend, "created_folder", None)

    @property
    def dialect(self) -> str:
        return self.backend.dialect

    def schema_version(self) -> int:
        return self.admin.schema_version()

    def migrate(self) -> migrations.MigrationReport:
        return self.admin.migrate()

    def require_current_schema(self) -> None:
        """Raise a clear error unless the store is at this code's schema version."""
        have, want = self.schema_version(), migrations.code_version()
        if have < want:
            raise MigrationError(
                f"The store {self.url} is at schema version {have}; this matrix needs {want}."
                " Run `matrix migrate` (or `matrix init` for a new store)."
            )
        if have > want:
            raise MigrationError(
                f"The store {self.url} is at schema version {have}, newer than this matrix"
                f" (which knows up to {want}). Upgrade matrix."
            )

    @contextmanager
    def session(self) -> Iterator[Store]:
        """Keep an embedded store open across many operations (bulk jobs); a no-op elsewhere."""
        hold = getattr(self.backend, "session", None)
        if hold is None:
            yield self
            return
        with hold():
            yield self

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_backend(url: str, settings: Settings, *, create: bool = False) -> Backend:
    """The backend for a store URL; with ``create``, a DuckDB file's missing folders are made
    (the backend's ``created_folder`` says which, for the command to tell).

    Raises:
        ConfigError: the URL's scheme is not one matrix knows.
        StorageError: the store cannot be reached.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(
            f"Storage URL {mask_secrets(url)!r} has no scheme. Use duckdb:///var/matrix.duckdb,"
            " duckdb:///:memory: or postgresql://user:pass@host:5432/db (MATRIX_STORAGE_URL)."
        )
    match scheme:
        case "duckdb":
            from matrix.storage.duckdb import DuckDBBackend

            path = rest[1:] if rest.startswith("/") else rest
            if not path:
                raise ConfigError(
                    f"Storage URL {url!r} names no file; use duckdb:///var/matrix.duckdb or"
                    " duckdb:///:memory:."
                )
            created = None if path == ":memory:" else _check_duckdb_file(url, Path(path), create)
            backend = DuckDBBackend(
                path,
                lock_timeout=settings.lock_timeout_seconds,
                idle_release=settings.idle_release_seconds,
            )
            backend.created_folder = created
            return backend
        case "postgresql" | "postgres":
            from matrix.storage.postgres import PostgresBackend

            return PostgresBackend(url)
        case _:
            raise ConfigError(
                f"Unknown storage URL scheme {scheme + '://'!r} in {mask_secrets(url)!r}. Use"
                " duckdb:///path/file.duckdb, duckdb:///:memory: or postgresql://... "
                "(MATRIX_STORAGE_URL)."
            )


DUCKDB_MAGIC = b"DUCK"
"""What a DuckDB database file holds at bytes 8 to 12."""


def _check_duckdb_file(url: str, path: Path, create: bool) -> Path | None:
    """Refuse a DuckDB URL whose file is a folder or another kind of file; make its missing
    folders when ``create`` (returning the first one made), else refuse them.

    Raises:
        ConfigError: which, and the fix; ``duckdb:///`` with three slashes is a relative path.
    """
    where = _relative_note(path)
    if path.is_dir():
        raise ConfigError(f"Storage URL {url!r} names a folder{where}; name a .duckdb file.")
    created = None
    if not path.parent.is_dir():
        if not create:
            raise ConfigError(
                f"Storage URL {url!r} is in the folder {path.parent}, which does not exist{where}."
                f" Create it first (mkdir -p {path.parent}), or fix the URL."
            )
        created = path.parent
        path.parent.mkdir(parents=True)
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as file:
            head = file.read(12)
        if head[8:12] != DUCKDB_MAGIC:
            raise ConfigError(
                f"Storage URL {url!r} names {path}, which exists and is not a DuckDB database;"
                " nothing was changed. Name a new file or an existing store (e.g."
                " duckdb:///var/matrix.duckdb)."
            )
    return created


def _relative_note(path: Path) -> str:
    """Said of a relative DuckDB path: what three slashes mean, and how to write an absolute one."""
    if path.is_absolute():
        return ""
    return (f" (three slashes make a relative path, here from {Path.cwd()}; write four,"
            f" duckdb:////{path}, for an absolute one)")  # fmt: skip


def open_store(
    url: str | None = None,
    *,
    settings: Settings | None = None,
    clock: Clock = SYSTEM_CLOCK,
    migrate: bool = False,
    must_exist: bool = False,
    check_schema: bool = True,
) -> Store:
    """Open the store at ``url`` (default: the ``storage_url`` setting).

    Args:
        migrate: apply pending migrations first (``:memory:`` stores always are).
        must_exist: for a DuckDB file, refuse to create a new one.
        check_schema: refuse a store whose schema is not this code's (off for ``migrate``).

    Raises:
        ConfigError, StorageError, MigrationError: with one clear message each.
    """
    settings = settings or Settings.load(storage_url=url)
    url = url or settings.storage_url
    if must_exist and url.startswith("duckdb://"):
        path = url.partition("://")[2][1:]
        if path != ":memory:" and not Path(path).exists():
            raise StorageError(
                f"There is no store at {path!r}{_relative_note(Path(path))}. Create it with"
                " `matrix init`, or set MATRIX_STORAGE_URL to an existing store."
            )
    store = Store(open_backend(url, settings, create=not must_exist), settings, clock)
    try:
        if migrate or url.endswith(":memory:"):
            store.migrate()
        elif check_schema:
            store.require_current_schema()
    except BaseException:
        store.close()
        raise
    return store

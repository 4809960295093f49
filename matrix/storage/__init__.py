"""Storage chosen by URL: DuckDB (embedded default) or PostgreSQL, one schema, one behaviour."""

from __future__ import annotations

from matrix.storage.eventlog import AppendResult, EventLog
from matrix.storage.migrate import MigrationReport, code_version
from matrix.storage.store import Store, Tenant, open_store

__all__ = [
    "AppendResult",
    "EventLog",
    "MigrationReport",
    "Store",
    "Tenant",
    "code_version",
    "open_store",
]

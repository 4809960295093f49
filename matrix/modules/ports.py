"""What the business modules need from storage: tenant-scoped tables, the event log, transactions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

Record = dict[str, Any]


class TableGateway(Protocol):
    def insert(self, record: Record) -> None: ...

    def get(self, tenant_id: str, key: str) -> Record | None: ...

    def find(
        self, tenant_id: str, *, order: str | None = None, limit: int = 1000, **equals: Any
    ) -> list[Record]: ...

    def page(
        self,
        tenant_id: str,
        *,
        order: str | None = None,
        limit: int = 100,
        offset: int = 0,
        contains: tuple[Sequence[str], str] | None = None,
        since: tuple[str, datetime] | None = None,
        count: bool = True,
        **equals: Any,
    ) -> tuple[list[Record], int]: ...

    def due(
        self, when: Sequence[tuple[str, str, datetime]], *, order: str, limit: int,
        tenants: Collection[str] | None = None,
    ) -> list[Record]:  # fmt: skip
        """Rows of every tenant (or of ``tenants``) in one of the given states long enough.

        Each ``(status, time_column, at)`` matches the rows whose status is ``status`` and whose
        ``time_column`` is at or before ``at``; this is how the schedulers find due work.
        """
        ...

    def update(
        self, tenant_id: str, key: str, changes: Record, *, expect: Record | None = None
    ) -> bool: ...

    def insert_once(self, record: Record, *, key: tuple[str, ...]) -> bool:
        """Insert unless the tenant has a row with the same ``key`` columns (a unique key);
        whether it did. Safe for concurrent writers of one key."""
        ...


class Tables(Protocol):
    """Every module's tables by the name its spec gives them (``store.modules.customers``)."""

    def __getattr__(self, name: str) -> TableGateway: ...


class Events(Protocol):
    def append_many(self, envelopes: Sequence[dict[str, Any]]) -> Any: ...


class ModuleStore(Protocol):
    @property
    def modules(self) -> Tables: ...

    @property
    def events(self) -> Events: ...

    def transaction(self) -> AbstractContextManager[object]: ...


class Trace(Protocol):
    """Where a piece of work belongs: its correlation and trace ids, and what caused it."""

    correlation_id: str
    trace_id: str
    causation_id: str | None


class Transport(Protocol):
    """Sends one WhatsApp text; returns the provider's message id (raises TransportError)."""

    def send(self, *, tenant_id: str, phone_e164: str, text: str, idempotency_key: str) -> str: ...

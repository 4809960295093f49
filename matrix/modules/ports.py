"""What the business modules need from storage: tenant-scoped tables, the event log, transactions."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

Record = dict[str, Any]


class TableGateway(Protocol):
    def insert(self, record: Record) -> None: ...

    def get(self, tenant_id: str, key: str) -> Record | None: ...

    def find(
        self, tenant_id: str, *, order: str | None = None, limit: int = 1000, **equals: Any
    ) -> list[Record]: ...

    def where(
        self, sql_where: str, params: list[Any], *, order: str, limit: int
    ) -> list[Record]: ...

    def update(
        self, tenant_id: str, key: str, changes: Record, *, expect: Record | None = None
    ) -> bool: ...


class Tables(Protocol):
    @property
    def customers(self) -> TableGateway: ...
    @property
    def customer_merges(self) -> TableGateway: ...
    @property
    def leads(self) -> TableGateway: ...
    @property
    def lead_history(self) -> TableGateway: ...
    @property
    def appointments(self) -> TableGateway: ...
    @property
    def reminders(self) -> TableGateway: ...
    @property
    def charges(self) -> TableGateway: ...
    @property
    def payments(self) -> TableGateway: ...
    @property
    def outbound(self) -> TableGateway: ...
    @property
    def conversations(self) -> TableGateway: ...
    @property
    def messages(self) -> TableGateway: ...
    @property
    def webhook_receipts(self) -> TableGateway: ...
    @property
    def agreement_templates(self) -> TableGateway: ...
    @property
    def agreement_documents(self) -> TableGateway: ...


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

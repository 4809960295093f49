"""What the concierge needs from the outside world, as protocols (storage implements them)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from matrix.approvals import ApprovalRepository
from matrix.modules.tasks import TaskQueueRepository


class EventSink(Protocol):
    def append_many(self, envelopes: Sequence[dict[str, Any]]) -> Any: ...


class TelemetrySink(Protocol):
    def insert_many(self, rows: Sequence[dict[str, Any]]) -> int: ...


class TenantDirectory(Protocol):
    def get(self, tenant_id: str) -> Any: ...


class RuntimeConfigRepository(Protocol):
    def get(self, tenant_id: str) -> tuple[dict[str, Any], int, datetime] | None: ...

    def save(
        self, tenant_id: str, config: dict[str, Any], secrets: dict[str, str | None], at: datetime
    ) -> int: ...

    def secret(self, tenant_id: str, name: str) -> str | None: ...

    def secret_names(self, tenant_id: str) -> set[str]: ...


class RuntimeStore(Protocol):
    """The parts of the operational store the concierge uses."""

    @property
    def events(self) -> EventSink: ...

    @property
    def approvals(self) -> ApprovalRepository: ...

    @property
    def tasks(self) -> TaskQueueRepository: ...

    @property
    def telemetry(self) -> TelemetrySink: ...

    @property
    def tenants(self) -> TenantDirectory: ...

    @property
    def runtime_config(self) -> RuntimeConfigRepository: ...

    def transaction(self) -> AbstractContextManager[object]: ...

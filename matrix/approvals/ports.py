"""What the approval workflow needs from storage and from the concierge, as protocols.

Storage implements the repositories; the concierge implements :class:`TaskFactory`, the one
step of an approval that knows how a task is built from the owner's original request.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from matrix.approvals.values import Approval, Status
from matrix.envelopes import Envelope
from matrix.modules.tasks import Task, TaskQueueRepository


class ApprovalRepository(Protocol):
    """What the approval workflow needs from storage (all reads are tenant-scoped)."""

    def count_pending(self, tenant_id: str) -> int: ...

    def insert(self, approval: Approval) -> None: ...

    def get(self, tenant_id: str, confirmation_id: str) -> Approval | None: ...

    # One line a parameter would repeat the storage implementation's signature block for block.
    def resolve(self, tenant_id: str, confirmation_id: str, *, status: Status, at: datetime,
                actor: str | None, reason: str | None, task_id: str | None = None) -> bool:  # fmt: skip
        """Move a *pending* approval to ``status``; False when it was no longer pending."""
        ...

    def list(
        self, tenant_id: str, *, status: Status | None, limit: int
    ) -> builtins.list[Approval]: ...

    def due_for_expiry(self, now: datetime, *, limit: int) -> builtins.list[Approval]:
        """Admin sweep: pending approvals of any tenant whose time to live has passed."""
        ...


class EventSink(Protocol):
    def append_many(self, envelopes: Sequence[dict[str, Any]]) -> Any: ...


class TelemetrySink(Protocol):
    def insert_many(self, rows: Sequence[dict[str, Any]]) -> int: ...


class TenantDirectory(Protocol):
    def get(self, tenant_id: str) -> Any: ...

    def add(self, tenant_id: str, display_name: str | None = None) -> bool:
        """Register a tenant; False when it existed already (nothing changes)."""
        ...

    def require(self, tenant_id: object) -> None:
        """Raise NotFoundError for an unknown tenant."""
        ...


class Journal(Protocol):
    """Where every transition is recorded: the event log and the telemetry rows."""

    @property
    def events(self) -> EventSink: ...

    @property
    def telemetry(self) -> TelemetrySink: ...


class ApprovalStore(Journal, Protocol):
    """The parts of the operational store the approval workflow uses."""

    @property
    def approvals(self) -> ApprovalRepository: ...

    @property
    def tasks(self) -> TaskQueueRepository: ...

    @property
    def tenants(self) -> TenantDirectory: ...

    def transaction(self) -> AbstractContextManager[object]: ...


class TaskFactory(Protocol):
    """Builds the task an approved confirmation queues, with its command and created events."""

    def __call__(self, approval: Approval, actor: str) -> tuple[Task, list[Envelope]]: ...

"""Typed results of the approval workflow; each ``as_dict()`` is the origin's response body."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from matrix.approvals.values import Approval
from matrix.modules.tasks import Task, TaskStatus


class RequestStatus(StrEnum):
    """The status of an accepted request body (refusals are errors, not bodies)."""

    ACCEPTED = "accepted"


class Body(ABC):
    """A typed response body whose :meth:`as_dict` is the origin's JSON.

    Reading it by key (``body["confirmation"]``, ``"downstream_task" in body``) reads that JSON,
    so code written against the origin's dictionaries keeps working; new code uses attributes.
    """

    __slots__ = ()

    @abstractmethod
    def as_dict(self) -> dict[str, Any]:
        """The origin's JSON shape."""

    def __getitem__(self, key: str) -> Any:
        return self.as_dict()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.as_dict()


@dataclass(frozen=True, kw_only=True)
class QueuedTask(Body):
    """A task a request queued, as the response names it."""

    task_id: str
    target_module: str
    task_type: str
    status: TaskStatus = TaskStatus.QUEUED

    @classmethod
    def of(cls, task: Task) -> QueuedTask:
        return cls(task_id=task.task_id, target_module=task.target_module, task_type=task.task_type)

    def as_dict(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "target_module": self.target_module,
                "task_type": self.task_type, "status": self.status.value}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Resolution(Body):
    """An approve or reject that won: the confirmation as resolved and the task it queued."""

    request_id: str
    confirmation: Approval
    downstream_task: QueuedTask | None = None
    status: RequestStatus = RequestStatus.ACCEPTED

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"request_id": self.request_id, "status": self.status.value,
                                "confirmation": self.confirmation.summary()}  # fmt: skip
        if self.downstream_task is not None:
            body["downstream_task"] = self.downstream_task.as_dict()
        return body


@dataclass(frozen=True, kw_only=True)
class ConfirmationList(Body):
    """One page of a tenant's confirmations, newest first."""

    tenant_id: str
    status_filter: str
    items: tuple[Approval, ...]

    @property
    def count(self) -> int:
        return len(self.items)

    def as_dict(self) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id, "status_filter": self.status_filter,
                "count": self.count, "items": [a.summary() for a in self.items]}  # fmt: skip

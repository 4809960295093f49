"""Module tasks: the unit of work Persona 1 hands to a module, and the queue's rules.

A task is ``queued`` until a worker claims it (``running``, with a lease). It ends ``completed``,
or goes back to ``queued`` with exponential backoff after a retryable failure, or to ``dead``
(the dead-letter state) when it cannot succeed: no handler, a permanent error, or too many tries.
A worker that dies leaves its lease to expire; the task is then claimed again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from matrix import envelopes as env
from matrix.clock import Clock
from matrix.errors import MatrixError
from matrix.modules.ports import ModuleStore

DEFAULT_MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0
DEFAULT_LEASE_SECONDS = 60.0


class TaskStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    REFUSED = "refused"
    """A business rule said no (no overdue charge, no date): the system worked; not retried."""
    DEAD = "dead"


PENDING = (TaskStatus.QUEUED, TaskStatus.RUNNING)
FINISHED = (TaskStatus.COMPLETED, TaskStatus.DEAD)


def backoff(attempt: int) -> timedelta:
    """Delay before retry number ``attempt`` (1-based): 2 s, 4 s, 8 s ... capped at 5 minutes."""
    return timedelta(seconds=min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)))


@dataclass(frozen=True, kw_only=True)
class Task:
    """A queued module task and its delivery state."""

    task_id: str
    tenant_id: str
    task_type: str
    target_module: str
    priority: str
    status: TaskStatus
    attempts: int
    max_attempts: int
    available_at: datetime
    correlation_id: str
    trace_id: str
    command_id: str
    command: dict[str, Any]
    created_at: datetime
    claimed_by: str | None = None
    lease_expires_at: datetime | None = None
    finished_at: datetime | None = None
    error_code: str | None = None
    error_message: str | None = None
    result_summary: str | None = None

    @property
    def input(self) -> dict[str, Any]:
        return dict(self.command.get("payload", {}).get("input", {}))

    def summary(self) -> dict[str, Any]:
        """The task as a queue listing shows it (the origin's queue item, with its delivery)."""
        return {
            "task_id": self.task_id, "task_type": self.task_type, "target_module": self.target_module,
            "priority": self.priority, "status": self.status.value, "attempts": self.attempts,
            "max_attempts": self.max_attempts, "correlation_id": self.correlation_id,
            "trace_id": self.trace_id, "command_id": self.command_id,
            "enqueued_at": env.timestamp(self.created_at), "available_at": env.timestamp(self.available_at),
            "lease_expires_at": _at(self.lease_expires_at), "finished_at": _at(self.finished_at),
            "error_code": self.error_code, "error_message": self.error_message,
            "result_summary": self.result_summary, "command": self.command,
        }  # fmt: skip


def _at(value: datetime | None) -> str | None:
    return env.timestamp(value) if value is not None else None


class TaskQueueRepository(Protocol):
    """What the runtime needs from storage to move tasks."""

    def enqueue(self, task: Task) -> bool:
        """Store a queued task; False when its id is already queued (nothing changes)."""
        ...

    def claim(
        self, worker_id: str, now: datetime, *, lease_seconds: float, limit: int
    ) -> list[Task]:
        """Claim due tasks (queued and available, or running with an expired lease)."""
        ...

    def complete(self, task_id: str, worker_id: str, now: datetime, *, summary: str) -> bool: ...

    def retry(
        self, task_id: str, worker_id: str, now: datetime, *, available_at: datetime,
        error_code: str, error_message: str,
    ) -> bool: ...  # fmt: skip

    def refuse(
        self, task_id: str, worker_id: str, now: datetime, *, error_code: str, error_message: str
    ) -> bool: ...

    def dead(
        self, task_id: str, worker_id: str, now: datetime, *, error_code: str, error_message: str
    ) -> bool: ...

    def get(self, tenant_id: str, task_id: str) -> Task | None: ...

    def counts(self, tenant_id: str) -> dict[str, int]: ...

    def count_created(self, tenant_id: str, task_type: str, since: datetime) -> int:
        """How many tasks of ``task_type`` the tenant queued at or after ``since``."""
        ...

    def find(self, tenant_id: str, *, finished: bool, limit: int) -> list[Task]:
        """The tenant's waiting and running tasks in the order they will run, or (``finished``)
        its completed and dead ones, newest first."""
        ...


@dataclass(frozen=True, kw_only=True)
class QueueView:
    """One tenant's task queue: what waits or runs, and what finished (newest first)."""

    tenant_id: str
    pending_count: int
    history_count: int
    pending: tuple[Task, ...]
    history: tuple[Task, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id, "pending_count": self.pending_count,
                "history_count": self.history_count,
                "pending": [t.summary() for t in self.pending],
                "history": [t.summary() for t in self.history]}  # fmt: skip


def queue_view(tasks: TaskQueueRepository, tenant_id: str, *, limit: int) -> QueueView:
    """The tenant's queue with at most ``limit`` tasks on each side; the counts are the totals."""
    counts = tasks.counts(tenant_id)
    return QueueView(
        tenant_id=tenant_id,
        pending_count=sum(counts.get(s.value, 0) for s in PENDING),
        history_count=sum(counts.get(s.value, 0) for s in FINISHED),
        pending=tuple(tasks.find(tenant_id, finished=False, limit=limit)),
        history=tuple(tasks.find(tenant_id, finished=True, limit=limit)),
    )


class TaskFailure(MatrixError):
    """Raised by a task handler: a stable code, a message, and whether a retry may succeed."""

    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


class TaskRefused(TaskFailure):
    """Raised by a handler when a business rule refuses the task: nothing failed, so it is not
    retried and counts against no reliability objective; ``code`` is the reason, shown to the
    owner and counted as a business metric."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, retryable=False)


class TaskContext(Protocol):
    """What a handler gets from the worker: the task, the store, the clock, the effect ledger.

    Everything a handler writes through ``store`` commits in one transaction with the task's
    completion; outbound messages are queued in it (the outbox), never sent from a handler.
    """

    @property
    def task(self) -> Task: ...

    @property
    def store(self) -> ModuleStore: ...

    @property
    def clock(self) -> Clock: ...

    def once(self, name: str, perform: Callable[[str], Any], *, kind: str | None = None) -> Any:
        """Do store-only work once per task: its ledger entry commits with the task's work."""
        ...

    def effect(self, name: str, perform: Callable[[str], Any], *, kind: str | None = None) -> Any:
        """Perform an effect outside the store at most once per task (its ledger entry commits
        on its own); messages go through the outbox instead."""
        ...


Handler = Callable[[TaskContext], str]
"""A task handler: does the work and returns a one-line result summary, or raises TaskFailure."""


def text_of(ctx: TaskContext) -> str:
    """What the owner asked for, as the planner passed it to the task."""
    return str(ctx.task.input.get("text") or "")

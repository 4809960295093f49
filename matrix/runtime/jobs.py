"""The scheduler's jobs: the task queue and approval expiry (what ``matrix worker`` and
``matrix serve`` run), plus due reminders and outbound messages (the simulator, with its
transport)."""

from __future__ import annotations

from typing import Any

from matrix.modules import agenda, outbound
from matrix.modules.outbound import Transport
from matrix.runtime.module_handlers import OUTCOMES
from matrix.runtime.scheduler import Job
from matrix.runtime.worker import Worker


def queue_jobs(concierge: Any, worker: Worker) -> list[Job]:
    """Run queued tasks one at a time; expire approvals past their time to live."""
    return [
        Job(name="tasks", every_seconds=0.5, fn=lambda: worker.run_once(limit=1).claimed),
        Job(name="approval_expiry", every_seconds=5.0, fn=concierge.expire_due),
    ]


def standard_jobs(
    store: Any, concierge: Any, worker: Worker, transport: Transport, clock: Any
) -> list[Job]:
    """The queue jobs plus due reminders and outbound messages through ``transport``."""

    def deliver() -> int:
        stats = outbound.dispatch_due(store, transport, clock, on_outcome=OUTCOMES)
        return stats.sent + stats.retried + stats.dead

    return [
        *queue_jobs(concierge, worker),
        Job(name="reminders", every_seconds=5.0, fn=lambda: agenda.dispatch_due(store, clock)),
        Job(name="outbound", every_seconds=1.0, fn=deliver),
    ]

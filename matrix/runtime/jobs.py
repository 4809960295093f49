"""The scheduler's standard jobs: tasks, approval expiry, due reminders, outbound messages."""

from __future__ import annotations

from typing import Any

from matrix.modules import agenda, outbound
from matrix.modules.outbound import Transport
from matrix.runtime.module_handlers import OUTCOMES
from matrix.runtime.scheduler import Job
from matrix.runtime.worker import Worker


def standard_jobs(
    store: Any, concierge: Any, worker: Worker, transport: Transport, clock: Any
) -> list[Job]:
    """The jobs ``matrix worker`` (and the simulator) run."""

    def deliver() -> int:
        stats = outbound.dispatch_due(store, transport, clock, on_outcome=OUTCOMES)
        return stats.sent + stats.retried + stats.dead

    return [
        Job(name="tasks", every_seconds=0.5, fn=lambda: worker.run_once(limit=1).claimed),
        Job(name="approval_expiry", every_seconds=5.0, fn=concierge.expire_due),
        Job(name="reminders", every_seconds=5.0, fn=lambda: agenda.dispatch_due(store, clock)),
        Job(name="outbound", every_seconds=1.0, fn=deliver),
    ]

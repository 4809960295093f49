"""The scheduler's jobs: the task queue and approval expiry, plus every module's jobs (due
reminders, outbound messages with the follow-ups and collections they carry), Persona 2's
reading of inbound messages and memory's upkeep (re-embedding, episode summaries), the same
list for ``matrix worker``, ``matrix serve`` and the simulator."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from matrix.agent import inbound
from matrix.agent.service import WhatsAppAgent
from matrix.clock import Clock
from matrix.memory.maintenance import Maintenance
from matrix.modules import registry
from matrix.modules.context import Outcome
from matrix.modules.ports import ModuleStore, Transport
from matrix.runtime.scheduler import Job
from matrix.runtime.worker import Worker


def queue_jobs(concierge: Any, worker: Worker) -> list[Job]:
    """Run queued tasks one at a time; expire approvals past their time to live."""
    return [
        Job(name="tasks", every_seconds=0.5, fn=lambda: worker.run_once(limit=1).claimed),
        Job(name="approval_expiry", every_seconds=5.0, fn=concierge.expire_due),
    ]


def _every_tenant() -> Collection[str] | None:
    return None


@dataclass(frozen=True, kw_only=True)
class Deliveries:
    """What the modules' jobs run against (implements :class:`matrix.modules.registry.JobContext`).

    ``tenants`` says whose outbound messages the transport can send now (None: everyone's); the
    others stay queued.
    """

    store: ModuleStore
    clock: Clock
    transport: Transport
    tenants: Callable[[], Collection[str] | None] = _every_tenant
    outcomes: Mapping[str, Outcome] = field(default_factory=registry.outcomes)

    def outbound_tenants(self) -> Collection[str] | None:
        return self.tenants()


def module_jobs(deliveries: Deliveries) -> list[Job]:
    """Every registered module's scheduler jobs, bound to ``deliveries``."""
    return [Job(name=job.name, every_seconds=job.every_seconds, fn=functools.partial(job.run, deliveries))
            for job in registry.jobs()]  # fmt: skip


def agent_jobs(agent: WhatsAppAgent) -> list[Job]:
    """Persona 2 reads the inbound messages filed for it (drafts, qualifies, answers or hands over)."""
    return [Job(name="crm_ai", every_seconds=1.0, fn=lambda: inbound.run_due(agent))]


def memory_jobs(maintenance: Maintenance) -> list[Job]:
    """Memory's upkeep: due re-embedding schedules, vectors for tenants without a schedule, and
    episode summaries from each tenant's own model."""
    return [Job(name="memory", every_seconds=30.0, fn=maintenance.tick)]


def standard_jobs(
    store: Any, concierge: Any, worker: Worker, transport: Transport, clock: Clock, *,
    agent: WhatsAppAgent, memory: Maintenance,
    tenants: Callable[[], Collection[str] | None] = _every_tenant,
) -> list[Job]:  # fmt: skip
    """Every job: the queue jobs, Persona 2's, memory's, then the modules' jobs with outbound
    messages through ``transport``."""
    deliveries = Deliveries(store=store, clock=clock, transport=transport, tenants=tenants)
    return [*queue_jobs(concierge, worker), *agent_jobs(agent), *memory_jobs(memory),
            *module_jobs(deliveries)]  # fmt: skip

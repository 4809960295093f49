"""The composition root: settings and a clock in, the store, concierge, worker, transports and
scheduler out.

Every entry point (the CLI, ``matrix serve``, ``matrix worker``, the simulator, the dashboards,
gate kernels, the notebooks' ``connect()``, benchmarks and test fixtures) builds its objects here,
so that the scheduler a user starts runs the same jobs the simulator runs. Nothing below this
layer imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from matrix.clock import SYSTEM_CLOCK, Clock
from matrix.config import Settings

if TYPE_CHECKING:
    from matrix.agent.service import WhatsAppAgent
    from matrix.analytics import Analytics
    from matrix.concierge import Concierge
    from matrix.memory.maintenance import Maintenance
    from matrix.memory.service import Memory
    from matrix.modules.ports import Transport
    from matrix.providers.evolution import OutboundStatus
    from matrix.runtime import Scheduler, Worker
    from matrix.storage import Store


@dataclass(kw_only=True)
class App:
    """One wired application. Build it with :func:`build`; close it (or use ``with``)."""

    settings: Settings
    clock: Clock
    store: Store
    worker_id: str | None = None
    lease_seconds: float | None = None
    _transport: Transport | None = field(default=None, repr=False)
    _owns_store: bool = field(default=True, repr=False)

    @cached_property
    def memory(self) -> Memory:
        """Short, medium and long memory, with each tenant's embedder."""
        from matrix.memory.service import Memory, MemoryConfig
        from matrix.providers.embeddings import EmbedderSelector

        s = self.settings
        config = MemoryConfig(short_turns=s.memory_short_turns, episode_turns=s.memory_episode_turns,
                              recall_tokens=s.memory_recall_tokens)  # fmt: skip
        return Memory(self.store, self.clock, embedders=EmbedderSelector(s), config=config)

    @cached_property
    def memory_maintenance(self) -> Maintenance:
        """Memory's upkeep: re-embedding (now or on a schedule) and episode summaries from each
        tenant's own model."""
        from matrix.memory.maintenance import Maintenance
        from matrix.providers import selector

        runtimes = self.concierge.runtimes
        return Maintenance(self.store, self.clock, embedders=self.memory.embedders,
                           ai_of=lambda tenant_id: runtimes.resolve(tenant_id).ai,
                           models=selector(self.settings).classifier,
                           default_mode=self.settings.memory_embedding_mode)  # fmt: skip

    @cached_property
    def analytics(self) -> Analytics:
        """The analytics store metrics run on (``MATRIX_ANALYTICS_URL``): its sync and freshness.
        ``app.analytics.status(tenant_id)`` says how far behind each copied table is."""
        from matrix.analytics import Analytics

        return Analytics(self.store, self.settings, self.clock)

    @cached_property
    def concierge(self) -> Concierge:
        from matrix.concierge import Concierge
        from matrix.providers import selector

        providers = selector(self.settings)
        return Concierge(
            self.store, self.settings, providers, self.clock, classifiers=providers.classifier,
            memory=self.memory,
        )  # fmt: skip

    @cached_property
    def agent(self) -> WhatsAppAgent:
        """Persona 2, the WhatsApp agent, over the concierge's tenant runtimes and providers."""
        from matrix.agent.service import WhatsAppAgent
        from matrix.providers import selector

        return WhatsAppAgent(self.store, self.concierge.runtimes, selector(self.settings).structured,
                             self.clock)  # fmt: skip

    @cached_property
    def worker(self) -> Worker:
        from matrix.runtime import Worker
        from matrix.runtime.handlers import default_handlers

        extra = {} if self.lease_seconds is None else {"lease_seconds": self.lease_seconds}
        return Worker(
            self.store, default_handlers(), clock=self.clock, worker_id=self.worker_id, **extra
        )

    @cached_property
    def transport(self) -> Transport:
        """The outbound WhatsApp transport: the one given to :func:`build` (the simulator's), else
        each tenant's Evolution gateway (its ``integrations.crm_evolution``) or the platform's
        (``MATRIX_EVOLUTION_*``). A tenant with neither has its messages left queued."""
        if self._transport is not None:
            return self._transport
        from matrix.providers.evolution import TenantTransports, platform_gateway

        return TenantTransports(self.store, platform=platform_gateway(self.settings),
                                allow_loopback=self.settings.allow_loopback_urls)  # fmt: skip

    def outbound_status(self) -> OutboundStatus:
        """Whether outbound delivery is on, for whom, and how to turn it on: for the worker,
        ``matrix serve`` and the dashboards to say plainly."""
        from matrix.providers.evolution import OutboundState, OutboundStatus, TenantTransports

        if isinstance(self.transport, TenantTransports):
            return self.transport.status()
        return OutboundStatus(state=OutboundState.ON, every_tenant=True, message=(
            f"outbound delivery is on: every tenant's messages go through {type(self.transport).__name__}"))  # fmt: skip

    def outbound_off_for(self, tenant_id: str) -> str | None:
        """Why ``tenant_id``'s outbound WhatsApp messages stay queued and how to send them, or None
        when they are delivered (for a page that shows one tenant)."""
        from matrix.providers.evolution import HOW_TO_TURN_ON, TenantTransports

        transport = self.transport
        if not isinstance(transport, TenantTransports) or transport.platform is not None:
            return None  # every tenant's messages go out: no per-tenant read needed
        if transport.gateway(tenant_id):
            return None
        return (f"Outbound WhatsApp delivery is off for {tenant_id}: its reminders, follow-ups and"
                f" collections stay queued. To turn it on, {HOW_TO_TURN_ON}.")  # fmt: skip

    def scheduler(self) -> Scheduler:
        """A scheduler holding every background job: the task queue, approval expiry, Persona 2's
        reading of inbound messages, memory's upkeep (re-embedding, episode summaries), and
        every module's jobs (due reminders; outbound messages, which carry follow-ups and
        collections), and the analytics upkeep: the sync when an analytics store is set, the
        re-sort of telemetry by tenant when a DuckDB store is its own."""
        from matrix.providers.evolution import TenantTransports
        from matrix.runtime import Job, Scheduler
        from matrix.runtime.jobs import standard_jobs

        transport = self.transport
        routed = {"tenants": transport.tenants} if isinstance(transport, TenantTransports) else {}
        jobs = standard_jobs(
            self.store,
            self.concierge,
            self.worker,
            transport,
            self.clock,
            agent=self.agent,
            memory=self.memory_maintenance,
            **routed,
        )
        if self.analytics.has_upkeep:
            jobs.append(Job(name="analytics_sync", every_seconds=self.settings.analytics_sync_seconds,
                            fn=self.analytics.run_job))  # fmt: skip
        return Scheduler(jobs=jobs, clock=self.clock)

    def close(self) -> None:
        if "analytics" in self.__dict__:
            self.analytics.close()
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def build(
    settings: Settings | None = None,
    *,
    storage_url: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
    store: Store | None = None,
    migrate: bool = False,
    must_exist: bool = False,
    worker_id: str | None = None,
    lease_seconds: float | None = None,
    transport: Transport | None = None,
) -> App:
    """Wire an application from ``settings`` (default: the environment) and ``clock``.

    Pass ``store`` to wire around an already open store (tests, notebooks); the app then does
    not close it. Pass ``transport`` to send outbound messages through it instead of the
    configured gateways (the simulator's recording transport, tests).
    """
    from matrix.storage import open_store

    settings = settings or (store.settings if store else Settings.load(storage_url=storage_url))
    owns = store is None
    if store is None:
        store = open_store(settings=settings, clock=clock, migrate=migrate, must_exist=must_exist)
    app = App(settings=settings, clock=clock, store=store, worker_id=worker_id,
              lease_seconds=lease_seconds, _transport=transport, _owns_store=owns)  # fmt: skip
    if settings.analytics_url:
        store.analytics = app.analytics  # metrics run there from now on
    return app

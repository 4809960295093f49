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
    from matrix.concierge import Concierge
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
    _owns_store: bool = field(default=True, repr=False)

    @cached_property
    def concierge(self) -> Concierge:
        from matrix.concierge import Concierge
        from matrix.providers import selector

        return Concierge(self.store, self.settings, selector(self.settings), self.clock)

    @cached_property
    def worker(self) -> Worker:
        from matrix.runtime import Worker
        from matrix.runtime.handlers import default_handlers

        extra = {} if self.lease_seconds is None else {"lease_seconds": self.lease_seconds}
        return Worker(
            self.store, default_handlers(), clock=self.clock, worker_id=self.worker_id, **extra
        )

    def scheduler(self) -> Scheduler:
        """A scheduler holding every background job."""
        from matrix.runtime import Scheduler
        from matrix.runtime.jobs import queue_jobs

        return Scheduler(jobs=queue_jobs(self.concierge, self.worker))

    def close(self) -> None:
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
) -> App:
    """Wire an application from ``settings`` (default: the environment) and ``clock``.

    Pass ``store`` to wire around an already open store (tests, notebooks); the app then does
    not close it.
    """
    from matrix.storage import open_store

    settings = settings or (store.settings if store else Settings.load(storage_url=storage_url))
    owns = store is None
    if store is None:
        store = open_store(settings=settings, clock=clock, migrate=migrate, must_exist=must_exist)
    return App(settings=settings, clock=clock, store=store, worker_id=worker_id,
               lease_seconds=lease_seconds, _owns_store=owns)  # fmt: skip

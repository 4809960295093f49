"""The scheduler: runs due work on a clock — the task queue, approval expiry, periodic hooks.

``matrix worker`` runs one; ``matrix serve`` will run one beside the dashboards. It stops
cleanly on SIGINT or SIGTERM: the job in progress (at most one task) finishes first, so a
claimed task is never abandoned mid-way by a polite stop.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from matrix.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class Job:
    """A periodic job. ``fn`` returns how much it did (0 when idle)."""

    name: str
    every_seconds: float
    fn: Callable[[], int]
    next_at: float = 0.0
    runs: int = 0
    done: int = 0
    errors: int = 0


@dataclass(kw_only=True)
class Scheduler:
    jobs: list[Job]
    idle_sleep: float = 0.2
    stop_event: threading.Event = field(default_factory=threading.Event)
    clock: Clock = SYSTEM_CLOCK

    def stop(self) -> None:
        self.stop_event.set()

    def install_signal_handlers(self) -> None:
        """SIGINT/SIGTERM ask for a clean stop (the current job finishes)."""

        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("signal %s: stopping after the current job", signum)
            self.stop()

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def tick(self, *, force: bool = False) -> int:
        """Run every job that is due (every job with ``force``) once; return the work done."""
        work = 0
        now = time.monotonic()
        for job in self.jobs:
            if self.stop_event.is_set():
                break
            if now < job.next_at and not force:
                continue
            try:
                did = job.fn()
            except Exception:  # one failing job must not stop the others
                job.errors += 1
                log.exception("scheduled job %s failed", job.name)
                did = 0
            job.runs += 1
            job.done += did
            work += did
            # Busy jobs run again at once; idle ones wait their period.
            job.next_at = now if did else now + job.every_seconds
        return work

    def run(self, *, max_seconds: float | None = None, until_idle: bool = False) -> None:
        """Loop until stopped, or for ``max_seconds``, or (``until_idle``) until a round of every
        job finds nothing to do."""
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        while not self.stop_event.is_set():
            work = self.tick(force=until_idle)
            if until_idle and not work:
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            if not work:
                self.stop_event.wait(self.idle_sleep)

    def report(self) -> dict[str, Any]:
        return {j.name: {"runs": j.runs, "done": j.done, "errors": j.errors} for j in self.jobs}

"""Background work: the task worker and the scheduler that runs due jobs."""

from __future__ import annotations

from matrix.runtime.scheduler import Job, Scheduler
from matrix.runtime.worker import Handler, TaskContext, Worker, WorkerStats

__all__ = ["Handler", "Job", "Scheduler", "TaskContext", "Worker", "WorkerStats"]

"""The worker: claim due tasks, run the handler registered for each, record what happened.

Each task takes two transactions. The claim commits the task's lease with its
``module.task.accepted`` event. The work — everything the handler writes to the store (records,
events, outbound messages, effect-ledger entries) — commits in one transaction with the task's
completion (checked against our claim), ``module.task.completed`` (plus ``crm.delegation.sent``
when the CRM module, Persona 2, did the work) and the task's telemetry. A worker that dies before
that commit leaves no trace of the work and its lease expires, so another worker runs the task
again; one that dies after it leaves nothing to redo. A worker whose lease ran out while another
took the task over finds its claim gone at completion and rolls its work back.

Effects outside the store (WhatsApp, HTTP) belong in the transactional outbox: the handler queues
the message in its work transaction (``matrix.modules.crm.outbound.enqueue``) and the dispatcher
sends it. A handler that must call something directly uses :meth:`TaskContext.effect`, whose
ledger entry commits on its own the moment the effect happened.

A failure rolls the work back; retryable ones go back to the queue with exponential backoff,
permanent ones, tasks with no handler and tasks out of attempts to the dead-letter state with
``module.task.dead_lettered``, each in a transaction of its own.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from matrix import envelopes as env
from matrix.clock import SYSTEM_CLOCK, Clock
from matrix.errors import MatrixError
from matrix.modules.tasks import DEFAULT_LEASE_SECONDS, Task, TaskFailure, TaskRefused, backoff
from matrix.storage import Store

log = logging.getLogger(__name__)


class _LostClaim(MatrixError):
    """Our lease ran out and another worker took the task; undo our work."""


@dataclass(kw_only=True)
class TaskContext:
    """What a handler gets: the task, the store, the clock, and the effect ledger."""

    task: Task
    store: Store
    clock: Clock

    def once(self, name: str, perform: Callable[[str], Any], *, kind: str | None = None) -> Any:
        """Do store-only work once per task and return its result.

        ``perform`` receives the idempotency key (``<task_id>:<name>``) and writes through
        :attr:`store`; its writes and its ledger entry commit with the task's completion, or
        not at all. A ledger entry already stored means another worker took the task over and
        did the work: this run's work is rolled back.
        """
        key = f"{self.task.task_id}:{name}"
        result = perform(key)
        if not self.store.side_effects.record(
            key, tenant_id=self.task.tenant_id, task_id=self.task.task_id, kind=kind or name,
            result=result, at=self.clock.now(),
        ):  # fmt: skip
            raise _LostClaim()
        return result

    def effect(self, name: str, perform: Callable[[str], Any], *, kind: str | None = None) -> Any:
        """Perform an effect outside the store at most once per task, and return its result.

        Prefer the outbox for messages. ``perform`` receives the idempotency key
        (``<task_id>:<name>``) to pass to whatever it calls. Its ledger entry commits on its own
        as soon as it returns, so neither a later failure of the handler nor a crash repeats it:
        a retry gets the recorded result and ``perform`` is not called.
        """
        key = f"{self.task.task_id}:{name}"
        found, result = self.store.side_effects.get(key, independent=True)
        if found:
            return result
        result = perform(key)
        self.store.side_effects.record(
            key, tenant_id=self.task.tenant_id, task_id=self.task.task_id,
            kind=kind or name, result=result, at=self.clock.now(), independent=True,
        )  # fmt: skip
        return result


Handler = Callable[[TaskContext], str]
"""A task handler: does the work and returns a one-line result summary, or raises TaskFailure."""


@dataclass(kw_only=True)
class WorkerStats:
    claimed: int = 0
    completed: int = 0
    retried: int = 0
    dead: int = 0
    refused: int = 0
    lost: int = 0

    def add(self, other: WorkerStats) -> None:
        for name in ("claimed", "completed", "retried", "refused", "dead", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Worker:
    def __init__(
        self,
        store: Store,
        handlers: Mapping[str, Handler],
        *,
        clock: Clock = SYSTEM_CLOCK,
        worker_id: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self.store = store
        self.handlers = dict(handlers)
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_seconds = lease_seconds

    def run_once(self, *, limit: int = 1) -> WorkerStats:
        """Claim up to ``limit`` due tasks and run them all before returning."""
        stats = WorkerStats()
        tasks = self.claim(limit)
        stats.claimed = len(tasks)
        for task in tasks:
            self._run(task, stats)
        return stats

    def drain(self, *, max_tasks: int = 10_000) -> WorkerStats:
        """Run due tasks until none is left (or ``max_tasks`` ran)."""
        total = WorkerStats()
        while total.claimed < max_tasks:
            stats = self.run_once(limit=min(50, max_tasks - total.claimed))
            if not stats.claimed:
                break
            total.add(stats)
        return total

    def claim(self, limit: int = 1) -> list[Task]:
        """Claim up to ``limit`` due tasks and record their ``module.task.accepted``, in one
        transaction."""
        with self.store.transaction():
            tasks = self.store.tasks.claim(
                self.worker_id, self.clock.now(), lease_seconds=self.lease_seconds, limit=limit
            )
            if tasks:
                self.store.events.append_many([env.event(
                    "module.task.accepted", status="accepted",
                    payload={"task_id": t.task_id, "accepted_by": f"{t.target_module}-worker",
                             "attempt": t.attempts}, **self._common(t),
                ) for t in tasks])  # fmt: skip
        return tasks

    # -- one task ---------------------------------------------------------------------------

    def _common(self, task: Task) -> dict[str, Any]:
        return {
            "tenant_id": task.tenant_id, "source_module": task.target_module, "target_module": env.OWNER,
            "correlation_id": task.correlation_id, "trace_id": task.trace_id,
            "causation_id": task.command_id, "clock": self.clock,
        }  # fmt: skip

    def _run(self, task: Task, stats: WorkerStats) -> None:
        common = self._common(task)
        handler = self.handlers.get(task.task_type)
        if task.attempts > task.max_attempts:
            self._dead(task, "TOO_MANY_ATTEMPTS",
                       f"the task was claimed {task.attempts} times without finishing (workers lost)",
                       common, stats)  # fmt: skip
            return
        if handler is None:
            self._dead(task, "NO_HANDLER",
                       f"no handler is registered for task type {task.task_type!r} in this worker",
                       common, stats)  # fmt: skip
            return
        started = time.perf_counter()
        try:
            self.work(task, handler, common, started)
            stats.completed += 1
        except _LostClaim:
            stats.lost += 1
            log.warning(
                "task %s was claimed by another worker after our lease ran out", task.task_id
            )
        except TaskRefused as refusal:
            self._refused(task, refusal.code, refusal.message, common, stats, started)
        except TaskFailure as failure:
            self._failed(
                task, failure.code, failure.message, failure.retryable, common, stats, started
            )
        except MatrixError as exc:
            self._failed(task, "RUNTIME_ERROR", str(exc), True, common, stats, started)
        except Exception as exc:  # a bug in a handler: never lose the task, never crash the worker
            log.exception("handler for %s crashed", task.task_type)
            self._failed(
                task,
                "HANDLER_CRASHED",
                f"{type(exc).__name__}: {exc}",
                True,
                common,
                stats,
                started,
            )

    def work(self, task: Task, handler: Handler, common: dict[str, Any], started: float) -> str:
        """Run the handler and complete the task in one transaction; return the summary.

        Raises what the handler raised (the transaction rolled back), or ``_LostClaim`` when
        another worker holds the task now.
        """
        with self.store.transaction():
            summary = handler(TaskContext(task=task, store=self.store, clock=self.clock))
            if not self.store.tasks.complete(
                task.task_id, self.worker_id, self.clock.now(), summary=summary
            ):
                raise _LostClaim()
            done = [env.event("module.task.completed", status="completed",
                              payload={"task_id": task.task_id, "result_summary": summary,
                                       "output_ref": f"task://{task.task_id}"}, **common)]  # fmt: skip
            if task.target_module == env.CRM:
                done.append(env.event("crm.delegation.sent", status="completed",
                                      payload={"task_id": task.task_id, "result_summary": summary},
                                      **common))  # fmt: skip
            self.store.events.append_many(done)
            self._telemetry(task, "completed", started, None)
        return summary

    def _failed(
        self, task: Task, code: str, message: str, retryable: bool, common: dict[str, Any],
        stats: WorkerStats, started: float,
    ) -> None:  # fmt: skip
        message = message[:500] or code
        if not retryable or task.attempts >= task.max_attempts:
            reason = message if not retryable else f"{message} (after {task.attempts} attempts)"
            self._dead(task, code, reason, common, stats, started=started, failed_first=True)
            return
        now = self.clock.now()
        with self.store.transaction():
            if not self.store.tasks.retry(task.task_id, self.worker_id, now,
                                          available_at=now + backoff(task.attempts),
                                          error_code=code, error_message=message):  # fmt: skip
                stats.lost += 1
                return
            self.store.events.append_many(self._failure_events(task, code, message, True, common))
            self._telemetry(task, "failed", started, code)
        stats.retried += 1

    def _refused(
        self, task: Task, code: str, message: str, common: dict[str, Any], stats: WorkerStats,
        started: float,
    ) -> None:  # fmt: skip
        """A business rule said no: the task ends ``refused`` with its reason, not retried and not
        a failure (telemetry status ``refused``, which no reliability objective counts)."""
        message = message[:500] or code
        with self.store.transaction():
            if not self.store.tasks.refuse(task.task_id, self.worker_id, self.clock.now(),
                                           error_code=code, error_message=message):  # fmt: skip
                stats.lost += 1
                return
            events = [env.event("module.task.refused", status="info",
                                payload={"task_id": task.task_id, "reason_code": code, "reason": message},
                                **common)]  # fmt: skip
            if task.target_module == env.CRM:
                events.append(env.event("crm.delegation.failed", status="failed",
                                        payload={"task_id": task.task_id, "error_code": code,
                                                 "error_message": message, "retryable": False}, **common))  # fmt: skip
            self.store.events.append_many(events)
            self._telemetry(task, "refused", started, code)
        stats.refused += 1

    def _dead(
        self, task: Task, code: str, message: str, common: dict[str, Any], stats: WorkerStats,
        *, started: float | None = None, failed_first: bool = False,
    ) -> None:  # fmt: skip
        with self.store.transaction():
            if not self.store.tasks.dead(task.task_id, self.worker_id, self.clock.now(),
                                         error_code=code, error_message=message):  # fmt: skip
                stats.lost += 1
                return
            events = self._failure_events(task, code, message, False, common)
            events.append(env.event("module.task.dead_lettered", status="failed",
                                    payload={"task_id": task.task_id, "error_code": code,
                                             "error_message": message, "attempts": max(1, task.attempts)},
                                    **common))  # fmt: skip
            self.store.events.append_many(events)
            self._telemetry(task, "dead", started, code)
        stats.dead += 1

    @staticmethod
    def _failure_events(
        task: Task, code: str, message: str, retryable: bool, common: dict[str, Any]
    ) -> list[dict[str, Any]]:
        out = [env.event("module.task.failed", status="failed",
                         payload={"task_id": task.task_id, "error_code": code, "error_message": message,
                                  "retryable": retryable, "attempt": max(1, task.attempts)}, **common)]  # fmt: skip
        if task.target_module == env.CRM:
            out.append(env.event("crm.delegation.failed", status="failed",
                                 payload={"task_id": task.task_id, "error_code": code, "retryable": retryable},
                                 **common))  # fmt: skip
        return out

    def _telemetry(self, task: Task, status: str, started: float | None, error: str | None) -> None:
        latency = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        self.store.telemetry.insert_many([{
            "tenant_id": task.tenant_id, "recorded_at": self.clock.now(), "kind": "task",
            "name": task.task_type, "module": task.target_module, "status": status,
            "latency_ms": latency, "correlation_id": task.correlation_id, "error_code": error,
        }])  # fmt: skip

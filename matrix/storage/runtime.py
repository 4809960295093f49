"""SQL for the concierge runtime: approvals, the task queue, side effects, tenant runtime config.

These classes implement the repository protocols declared in ``matrix.approvals`` and
``matrix.modules.tasks``. Every method runs in the caller's transaction when there is one (the
backend's transactions nest), so a workflow step that touches several tables commits or rolls
back as one.
"""

from __future__ import annotations

import builtins
import json
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from matrix.approvals import Approval, Status
from matrix.modules.tasks import FINISHED, PENDING, Task, TaskStatus
from matrix.storage.base import Backend, Tx
from matrix.storage.modules import count_by
from matrix.storage.secrets import SqlSecrets


def _utc(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(UTC)


def _lock_tenant(tx: Tx, backend: Backend, scope: str, tenant_id: str) -> None:
    """Serialise writers of one tenant's queue on PostgreSQL (DuckDB has a single writer)."""
    if backend.dialect == "postgres":
        tx.query("SELECT pg_advisory_xact_lock(hashtext(?))", [f"{scope}:{tenant_id}"])


_APPROVAL_COLUMNS = (
    "confirmation_id", "tenant_id", "status", "reason_code", "task_type", "target_module",
    "priority", "route_rule_id", "policy_rule_id", "correlation_id", "trace_id",
    "owner_command_id", "request_snapshot", "created_at", "expires_at", "resolved_at",
    "resolved_by", "resolution_reason", "task_id",
)  # fmt: skip


class SqlApprovals:
    """Implements :class:`matrix.approvals.ApprovalRepository`."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def count_pending(self, tenant_id: str) -> int:
        with self._backend.transaction() as tx:
            _lock_tenant(tx, self._backend, "approvals", tenant_id)
            rows = tx.query(
                "SELECT count(*) FROM approvals WHERE tenant_id = ? AND status = 'pending'",
                [tenant_id],
            )
        return int(rows[0][0])

    def insert(self, approval: Approval) -> None:
        values = [getattr(approval, c) for c in _APPROVAL_COLUMNS]
        values[_APPROVAL_COLUMNS.index("status")] = approval.status.value
        values[_APPROVAL_COLUMNS.index("request_snapshot")] = json.dumps(approval.request_snapshot)
        marks = ", ".join("?" * len(_APPROVAL_COLUMNS))
        with self._backend.transaction() as tx:
            tx.execute(
                f"INSERT INTO approvals ({', '.join(_APPROVAL_COLUMNS)}) VALUES ({marks})", values
            )

    def get(self, tenant_id: str, confirmation_id: str) -> Approval | None:
        found = self._select(
            "tenant_id = ? AND confirmation_id = ?", [tenant_id, confirmation_id], 1
        )
        return found[0] if found else None

    def resolve(
        self, tenant_id: str, confirmation_id: str, *, status: Status, at: datetime,
        actor: str | None, reason: str | None, task_id: str | None = None,
    ) -> bool:  # fmt: skip
        with self._backend.transaction() as tx:
            changed = tx.execute(
                "UPDATE approvals SET status = ?, resolved_at = ?, resolved_by = ?,"
                " resolution_reason = ?, task_id = ?"
                " WHERE tenant_id = ? AND confirmation_id = ? AND status = 'pending'",
                [status.value, at, actor, reason, task_id, tenant_id, confirmation_id],
            )
        return changed == 1

    def list(self, tenant_id: str, *, status: Status | None, limit: int) -> builtins.list[Approval]:
        if status is None:
            return self._select("tenant_id = ?", [tenant_id], limit)
        return self._select("tenant_id = ? AND status = ?", [tenant_id, status.value], limit)

    def status_counts(self, *, tenant_prefix: str) -> dict[str, int]:
        """Admin read: approvals per status over the tenants whose id starts with the prefix."""
        return count_by(self._backend, "approvals", "status", tenant_prefix)

    def due_for_expiry(self, now: datetime, *, limit: int) -> builtins.list[Approval]:
        return self._select("status = 'pending' AND expires_at <= ?", [now], limit)

    def _select(
        self, where: str, params: builtins.list[Any], limit: int
    ) -> builtins.list[Approval]:
        sql = (
            f"SELECT {', '.join(_APPROVAL_COLUMNS)} FROM approvals WHERE {where}"
            f" ORDER BY created_at DESC, confirmation_id LIMIT {int(limit)}"
        )
        with self._backend.transaction() as tx:
            rows = tx.query(sql, params)
        out = []
        for row in rows:
            data = dict(zip(_APPROVAL_COLUMNS, row, strict=True))
            data["status"] = Status(data["status"])
            data["request_snapshot"] = json.loads(data["request_snapshot"])
            for key in ("created_at", "expires_at", "resolved_at"):
                data[key] = _utc(data[key])
            out.append(Approval(**data))
        return out


_TASK_COLUMNS = (
    "task_id", "tenant_id", "task_type", "target_module", "priority", "status", "attempts",
    "max_attempts", "available_at", "claimed_by", "claimed_at", "lease_expires_at", "finished_at",
    "error_code", "error_message", "result_summary", "correlation_id", "trace_id", "command_id",
    "command", "created_at", "updated_at",
)  # fmt: skip


class SqlTaskQueue:
    """Implements :class:`matrix.modules.tasks.TaskQueueRepository`.

    On PostgreSQL a claim takes rows with ``FOR UPDATE SKIP LOCKED``, so any number of worker
    processes on any number of hosts share the queue without taking the same task. On DuckDB
    one process writes at a time (see ``storage/lease.py``), which gives the same guarantee.
    """

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def enqueue(self, task: Task) -> bool:
        row = {c: getattr(task, c, None) for c in _TASK_COLUMNS}
        row["status"] = task.status.value
        row["command"] = json.dumps(task.command, separators=(",", ":"))
        row["updated_at"] = task.created_at
        row["claimed_at"] = None
        with self._backend.transaction() as tx:
            added = tx.insert_rows(
                "task_queue", _TASK_COLUMNS, [tuple(row[c] for c in _TASK_COLUMNS)],
                skip_existing="task_id",
            )  # fmt: skip
        return added == 1

    def claim(
        self, worker_id: str, now: datetime, *, lease_seconds: float, limit: int
    ) -> builtins.list[Task]:
        from datetime import timedelta

        lock = " FOR UPDATE SKIP LOCKED" if self._backend.dialect == "postgres" else ""
        sql = (
            "UPDATE task_queue SET status = 'running', claimed_by = ?, claimed_at = ?,"
            " lease_expires_at = ?, attempts = attempts + 1, updated_at = ?"
            " WHERE task_id IN (SELECT task_id FROM task_queue"
            " WHERE (status = 'queued' AND available_at <= ?)"
            " OR (status = 'running' AND lease_expires_at <= ?)"
            f" ORDER BY available_at, created_at, task_id LIMIT {int(limit)}{lock})"
            f" RETURNING {', '.join(_TASK_COLUMNS)}"
        )
        lease_until = now + timedelta(seconds=lease_seconds)
        with self._backend.transaction() as tx:
            rows = tx.query(sql, [worker_id, now, lease_until, now, now, now])
        tasks = [self._task(r) for r in rows]
        return sorted(tasks, key=lambda t: (t.available_at, t.created_at, t.task_id))

    def complete(self, task_id: str, worker_id: str, now: datetime, *, summary: str) -> bool:
        return self._finish(
            "status = 'completed', finished_at = ?, result_summary = ?, lease_expires_at = NULL",
            [now, summary], task_id, worker_id, now,
        )  # fmt: skip

    def retry(
        self, task_id: str, worker_id: str, now: datetime, *, available_at: datetime,
        error_code: str, error_message: str,
    ) -> bool:  # fmt: skip
        return self._finish(
            "status = 'queued', available_at = ?, error_code = ?, error_message = ?,"
            " claimed_by = NULL, lease_expires_at = NULL",
            [available_at, error_code, error_message], task_id, worker_id, now,
        )  # fmt: skip

    def refuse(
        self, task_id: str, worker_id: str, now: datetime, *, error_code: str, error_message: str
    ) -> bool:
        return self._finish(
            "status = 'refused', finished_at = ?, error_code = ?, error_message = ?,"
            " lease_expires_at = NULL",
            [now, error_code, error_message], task_id, worker_id, now,
        )  # fmt: skip

    def dead(
        self, task_id: str, worker_id: str, now: datetime, *, error_code: str, error_message: str
    ) -> bool:
        return self._finish(
            "status = 'dead', finished_at = ?, error_code = ?, error_message = ?,"
            " lease_expires_at = NULL",
            [now, error_code, error_message], task_id, worker_id, now,
        )  # fmt: skip

    def get(self, tenant_id: str, task_id: str) -> Task | None:
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(_TASK_COLUMNS)} FROM task_queue WHERE tenant_id = ? AND task_id = ?",
                [tenant_id, task_id],
            )
        return self._task(rows[0]) if rows else None

    def counts(self, tenant_id: str) -> dict[str, int]:
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT status, count(*) FROM task_queue WHERE tenant_id = ? GROUP BY status",
                [tenant_id],
            )
        return {str(s): int(n) for s, n in rows}

    def count_created(self, tenant_id: str, task_type: str, since: datetime) -> int:
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT count(*) FROM task_queue WHERE tenant_id = ? AND task_type = ?"
                " AND created_at >= ?",
                [tenant_id, task_type, _utc(since)],
            )
        return int(rows[0][0])

    def find(self, tenant_id: str, *, finished: bool, limit: int) -> builtins.list[Task]:
        statuses = FINISHED if finished else PENDING
        order = "finished_at DESC, task_id" if finished else "available_at, created_at, task_id"
        marks = ", ".join("?" for _ in statuses)
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(_TASK_COLUMNS)} FROM task_queue"
                f" WHERE tenant_id = ? AND status IN ({marks}) ORDER BY {order} LIMIT {int(limit)}",
                [tenant_id, *(s.value for s in statuses)],
            )
        return [self._task(r) for r in rows]

    def status_counts(self, *, tenant_prefix: str) -> dict[str, int]:
        """Admin read: tasks per status over the tenants whose id starts with the prefix."""
        return count_by(self._backend, "task_queue", "status", tenant_prefix)

    def _finish(
        self,
        assignments: str,
        params: builtins.list[Any],
        task_id: str,
        worker_id: str,
        now: datetime,
    ) -> bool:
        # Only the worker holding the claim may finish it: a worker whose lease ran out and whose
        # task was claimed again must not complete it a second time.
        with self._backend.transaction() as tx:
            changed = tx.execute(
                f"UPDATE task_queue SET {assignments}, updated_at = ?"
                " WHERE task_id = ? AND claimed_by = ? AND status = 'running'",
                [*params, now, task_id, worker_id],
            )
        return changed == 1

    @staticmethod
    def _task(row: tuple[Any, ...]) -> Task:
        data = dict(zip(_TASK_COLUMNS, row, strict=True))
        data["status"] = TaskStatus(data["status"])
        data["command"] = json.loads(data["command"])
        for key in ("available_at", "claimed_at", "lease_expires_at", "finished_at", "created_at"):
            data[key] = _utc(data[key])
        data.pop("claimed_at")
        data.pop("updated_at")
        return Task(**data)


class SqlSideEffects:
    """The ledger of what each task did, by idempotency key (``<task_id>:<name>``).

    A store-only effect is recorded in the caller's transaction, so it commits with the task's
    work and completion or not at all. An effect outside the store is recorded with
    ``independent=True``: on its own commit right after it happened, surviving a rollback of the
    work, so that a retry reuses the result instead of acting again. (A worker that dies between
    such an effect and its record repeats it once, with the same key, which the receiving side
    uses to drop the duplicate; the outbox avoids even that.)
    """

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def _tx(self, independent: bool) -> AbstractContextManager[Tx]:
        return (
            self._backend.independent_transaction() if independent else self._backend.transaction()
        )

    def get(self, key: str, *, independent: bool = False) -> tuple[bool, Any]:
        """(found, result) for an idempotency key."""
        with self._tx(independent) as tx:
            rows = tx.query("SELECT result FROM side_effects WHERE idempotency_key = ?", [key])
        if not rows:
            return False, None
        return True, json.loads(rows[0][0]) if rows[0][0] is not None else None

    def record(
        self, key: str, *, tenant_id: str, task_id: str | None, kind: str, result: Any, at: datetime,
        independent: bool = False,
    ) -> bool:  # fmt: skip
        """Record a performed effect; False when it was already recorded."""
        with self._tx(independent) as tx:
            added = tx.insert_rows(
                "side_effects",
                ("idempotency_key", "tenant_id", "task_id", "kind", "result", "created_at"),
                [(key, tenant_id, task_id, kind, json.dumps(result, default=str), at)],
                skip_existing="idempotency_key",
            )
        return added == 1

    def count(self, tenant_id: str, kind: str | None = None) -> int:
        sql = "SELECT count(*) FROM side_effects WHERE tenant_id = ?"
        params: builtins.list[Any] = [tenant_id]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        with self._backend.transaction() as tx:
            return int(tx.query(sql, params)[0][0])


def config_row(
    config: str, version: int, updated_at: datetime
) -> tuple[dict[str, Any], int, datetime]:
    """A ``tenant_config`` row as (config, version, time it was saved)."""
    return json.loads(config), int(version), updated_at.astimezone(UTC)


class SqlRuntimeConfig:
    """Tenant runtime config (plain JSON) and its secrets (a separate table, never exported,
    sealed under the store's key: see ``matrix.storage.secrets``)."""

    def __init__(self, backend: Backend, secrets: SqlSecrets) -> None:
        self._backend = backend
        self.secrets = secrets

    def get(self, tenant_id: str) -> tuple[dict[str, Any], int, datetime] | None:
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT config, version, updated_at FROM tenant_config WHERE tenant_id = ?",
                [tenant_id],
            )
        return config_row(*rows[0]) if rows else None

    def save(
        self, tenant_id: str, config: dict[str, Any], secrets: dict[str, str | None], at: datetime
    ) -> int:
        """Store the config; ``secrets`` maps name → new value (None keeps the stored one).

        Returns the new config version.
        """
        with self._backend.transaction() as tx:
            current = tx.query("SELECT version FROM tenant_config WHERE tenant_id = ?", [tenant_id])
            version = int(current[0][0]) + 1 if current else 1
            tx.execute("DELETE FROM tenant_config WHERE tenant_id = ?", [tenant_id])
            tx.execute(
                "INSERT INTO tenant_config (tenant_id, config, version, updated_at) VALUES (?, ?, ?, ?)",
                [tenant_id, json.dumps(config, sort_keys=True), version, at],
            )
            for name, value in secrets.items():
                if value is not None:
                    self.secrets.put(tenant_id, name, value, at)
        return version

    def secret(self, tenant_id: str, name: str) -> str | None:
        return self.secrets.get(tenant_id, name)

    def secret_names(self, tenant_id: str) -> set[str]:
        return self.secrets.names(tenant_id)

    def tenants_with_secret(self, name: str) -> set[str]:
        """Admin read: the tenants that have stored the secret ``name``."""
        return self.secrets.tenants_with(name)

"""SQL for memory's upkeep: re-embedding schedules with their run lock, the runs they record,
which tenants have entries waiting for a vector, and the episodes waiting for a provider summary.

Implements :class:`matrix.memory.reembed.MaintenanceRepository`. A schedule's lock is two columns
of its row (``lock_owner``, ``lock_until``) taken by a compare-and-set ``UPDATE``: on PostgreSQL
a second process's update waits for the first's row lock and then finds the row changed, so two
processes never both take it; an expired lock may be taken over. Writing a batch's vectors takes
a transaction-scoped advisory lock on the tenant (PostgreSQL), so two writers of one tenant's
vectors wait for each other and the second sees what the first wrote.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from matrix.storage.base import Backend
from matrix.storage.memory import EPISODE_COLUMNS, LIVE, decode, in_list

Record = dict[str, Any]

SCHEDULE_COLUMNS = (
    "tenant_id", "enabled", "interval_minutes", "limit_items", "mode", "last_run_at",
    "next_run_at", "last_result", "lock_owner", "lock_until", "created_at", "updated_at",
)  # fmt: skip
RUN_COLUMNS = (
    "run_id", "tenant_id", "trigger", "status", "dry_run", "started_at", "finished_at", "details",
    "created_at",
)  # fmt: skip
_JSON = {"last_result", "details"}


class SqlMemoryMaintenance:
    """The re-embedding schedules, runs and sweeps of one store."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    # -- schedules ----------------------------------------------------------------------------

    def schedule(self, tenant_id: str) -> Record | None:
        found = self._schedules("tenant_id = ?", [tenant_id])
        return found[0] if found else None

    def schedules(self, tenant_id: str | None = None) -> list[Record]:
        """One tenant's schedule, or every tenant's (admin), by tenant."""
        if tenant_id is None:
            return self._schedules("1 = 1", [])
        return self._schedules("tenant_id = ?", [tenant_id])

    def due_schedules(self, now: datetime, *, tenant_id: str | None, force: bool) -> list[Record]:
        """Enabled schedules whose next run is due (every enabled one with ``force``), by tenant."""
        where, params = "enabled", list[Any]()
        if not force:
            where += " AND next_run_at IS NOT NULL AND next_run_at <= ?"
            params.append(now)
        if tenant_id is not None:
            where += " AND tenant_id = ?"
            params.append(tenant_id)
        return self._schedules(where, params)

    def _schedules(self, where: str, params: list[Any]) -> list[Record]:
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(SCHEDULE_COLUMNS)} FROM memory_reembed_schedules"
                f" WHERE {where} ORDER BY tenant_id",
                params,
            )
        return [_record(SCHEDULE_COLUMNS, r) for r in rows]

    def insert_schedule(self, record: Record) -> bool:
        """Store a new schedule; False when the tenant has one already (nothing changes)."""
        row = tuple(_to_db(c, record.get(c)) for c in SCHEDULE_COLUMNS)
        with self._backend.transaction() as tx:
            added = tx.insert_rows(
                "memory_reembed_schedules", SCHEDULE_COLUMNS, [row], skip_existing="tenant_id"
            )
        return added == 1

    def update_schedule(
        self, tenant_id: str, changes: Record, *, lock_owner: str | None = None
    ) -> bool:
        """Change a schedule; with ``lock_owner``, only while that run holds its lock."""
        sets = ", ".join(f"{c} = ?" for c in changes)
        params = [*(_to_db(c, v) for c, v in changes.items()), tenant_id]
        where = "tenant_id = ?"
        if lock_owner is not None:
            where += " AND lock_owner = ?"
            params.append(lock_owner)
        with self._backend.transaction() as tx:
            return (
                tx.execute(f"UPDATE memory_reembed_schedules SET {sets} WHERE {where}", params) == 1
            )

    def take_lock(
        self, tenant_id: str, owner: str, now: datetime, until: datetime, *, force: bool
    ) -> tuple[str, Record | None]:
        """Take the tenant's run lock for ``owner`` until ``until``: ``taken``, ``stale`` (an
        expired lock was taken over), ``locked`` (another run holds it) or ``not_due`` (the
        schedule is gone, disabled, or another process has run it meanwhile); and the schedule
        as it was before."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(SCHEDULE_COLUMNS)} FROM memory_reembed_schedules"
                " WHERE tenant_id = ?",
                [tenant_id],
            )
            before = _record(SCHEDULE_COLUMNS, rows[0]) if rows else None
            if before is None or not before["enabled"]:
                return "not_due", before
            if before["lock_owner"] is not None and before["lock_until"] > now:
                return "locked", before
            due = "" if force else " AND next_run_at IS NOT NULL AND next_run_at <= ?"
            changed = tx.execute(
                "UPDATE memory_reembed_schedules SET lock_owner = ?, lock_until = ?"
                " WHERE tenant_id = ? AND enabled AND (lock_owner IS NULL OR lock_until <= ?)"
                f"{due}",
                [owner, until, tenant_id, now, *([] if force else [now])],
            )
        if changed == 1:
            return ("stale" if before["lock_owner"] is not None else "taken"), before
        return "not_due", before

    # -- runs ---------------------------------------------------------------------------------

    def add_run(self, record: Record) -> None:
        with self._backend.transaction() as tx:
            tx.insert_rows("memory_reembed_runs", RUN_COLUMNS,
                           [tuple(_to_db(c, record.get(c)) for c in RUN_COLUMNS)])  # fmt: skip

    def runs(self, tenant_id: str | None, limit: int) -> list[Record]:
        """One tenant's runs, or every tenant's (admin), newest first."""
        where, params = ("tenant_id = ?", [tenant_id]) if tenant_id is not None else ("1 = 1", [])
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(RUN_COLUMNS)} FROM memory_reembed_runs WHERE {where}"
                " ORDER BY created_at DESC, started_at DESC, run_id LIMIT ?",
                [*params, int(limit)],
            )
        return [_record(RUN_COLUMNS, r) for r in rows]

    # -- vectors ------------------------------------------------------------------------------

    def tenants_with_entries(self) -> list[str]:
        """Admin sweep: the tenants that have live entries, by id."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT DISTINCT tenant_id FROM memory_entries WHERE status IN {in_list(LIVE)}"
                " ORDER BY tenant_id",
                list(LIVE),
            )
        return [str(r[0]) for r in rows]

    def tenants_needing_vectors(self, limit: int) -> list[str]:
        """Admin sweep, one query: tenants without a re-embedding schedule that have a live
        entry lacking a vector of the model they used last (the model of their newest vector;
        any model, when they have none). A tenant whose model changed with no entry added since
        is not found here: its schedule, or an explicit re-embed, moves it to the new model."""
        sql = (
            "WITH latest AS (SELECT tenant_id, model, row_number() OVER (PARTITION BY tenant_id"
            " ORDER BY created_at DESC, model) AS n FROM memory_vectors)"
            " SELECT DISTINCT e.tenant_id FROM memory_entries e"
            " LEFT JOIN latest l ON l.tenant_id = e.tenant_id AND l.n = 1"
            f" WHERE e.status IN {in_list(LIVE)}"
            " AND NOT EXISTS (SELECT 1 FROM memory_reembed_schedules s WHERE s.tenant_id = e.tenant_id)"
            " AND NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE v.tenant_id = e.tenant_id"
            " AND v.memory_id = e.memory_id AND v.model = l.model)"
            " ORDER BY e.tenant_id LIMIT ?"
        )
        with self._backend.transaction() as tx:
            rows = tx.query(sql, [*LIVE, int(limit)])
        return [str(r[0]) for r in rows]

    def unembedded(self, tenant_id: str, model: str, ids: Sequence[str]) -> set[str]:
        """Inside the caller's transaction: which of ``ids`` are live and still lack a vector of
        ``model``. On PostgreSQL it first waits for any other writer of the tenant's vectors."""
        if not ids:
            return set()
        with self._backend.transaction() as tx:
            if self._backend.dialect == "postgres":
                tx.query(
                    "SELECT pg_advisory_xact_lock(hashtext(?))", [f"memory_vectors:{tenant_id}"]
                )
            rows = tx.query(
                f"SELECT e.memory_id FROM memory_entries e WHERE e.tenant_id = ?"
                f" AND e.memory_id IN {in_list(ids)} AND e.status IN {in_list(LIVE)} AND NOT EXISTS"
                " (SELECT 1 FROM memory_vectors v WHERE v.tenant_id = e.tenant_id"
                " AND v.memory_id = e.memory_id AND v.model = ?)",
                [tenant_id, *ids, *LIVE, model],
            )
        return {str(r[0]) for r in rows}

    # -- episode summaries --------------------------------------------------------------------

    def episodes_to_summarise(
        self, tenants: Sequence[str], now: datetime, *, limit: int, max_attempts: int
    ) -> list[Record]:
        """Admin sweep: the extractive episodes of these tenants whose next provider attempt is
        due (fewer than ``max_attempts`` failed), oldest first."""
        if not tenants:
            return []
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(EPISODE_COLUMNS)}, summary_attempts FROM memory_episodes"
                f" WHERE summary_source = 'extractive' AND tenant_id IN {in_list(tenants)}"
                " AND summary_attempts < ? AND (summary_retry_at IS NULL OR summary_retry_at <= ?)"
                " ORDER BY created_at, episode_id LIMIT ?",
                [*tenants, int(max_attempts), now, int(limit)],
            )
        return [_record((*EPISODE_COLUMNS, "summary_attempts"), r) for r in rows]

    def summarised(self, tenant_id: str, episode_id: str, summary: str, at: datetime) -> bool:
        """Replace an extractive summary by the provider's (unless another process did)."""
        with self._backend.transaction() as tx:
            return (
                tx.execute(
                    "UPDATE memory_episodes SET summary = ?, summary_source = 'provider',"
                    " summary_retry_at = NULL, updated_at = ? WHERE tenant_id = ?"
                    " AND episode_id = ? AND summary_source = 'extractive'",
                    [summary, at, tenant_id, episode_id],
                )
                == 1
            )

    def summary_failed(
        self, tenant_id: str, episode_id: str, attempts: int, retry_at: datetime | None
    ) -> None:
        """Count a failed attempt; the next one waits until ``retry_at``."""
        with self._backend.transaction() as tx:
            tx.execute(
                "UPDATE memory_episodes SET summary_attempts = ?, summary_retry_at = ?"
                " WHERE tenant_id = ? AND episode_id = ?",
                [int(attempts), retry_at, tenant_id, episode_id],
            )


def _to_db(column: str, value: Any) -> Any:
    if column in _JSON:
        return None if value is None else json.dumps(value, default=str, ensure_ascii=False)
    return value


def _record(columns: Sequence[str], row: Sequence[Any]) -> Record:
    return decode(columns, row, _JSON)

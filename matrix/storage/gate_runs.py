"""SQL for gate history: one row per gate of every recorded gate run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matrix.storage.base import Backend, Row

COLUMNS = ("tenant_id", "run_id", "gate_id", "title", "verdict", "duration_seconds", "commit_sha", "started_at",
           "finished_at", "report_dir")  # fmt: skip


class SqlGateRuns:
    """The ``gate_runs`` table."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def add_new(self, rows: Sequence[Row]) -> int:
        """Insert the rows (in :data:`COLUMNS` order) whose tenant, run and gate are not stored
        yet; returns how many were added."""
        with self._backend.transaction() as tx:
            return tx.insert_rows(
                "gate_runs", COLUMNS, rows, skip_existing="tenant_id, run_id, gate_id"
            )

    def latest(
        self, tenant_id: str, *, limit: int = 50, gate_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The tenant's latest gate results, newest first (every column but the tenant)."""
        where, params = "tenant_id = ?", [tenant_id]
        if gate_id:
            where, params = where + " AND gate_id = ?", [*params, gate_id]
        with self._backend.transaction() as tx:
            rows = tx.query(f"SELECT {', '.join(COLUMNS[1:])} FROM gate_runs WHERE {where}"
                            " ORDER BY finished_at DESC, gate_id LIMIT ?", [*params, int(limit)])  # fmt: skip
        return [dict(zip(COLUMNS[1:], r, strict=True)) for r in rows]

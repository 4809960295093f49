"""Delivery records: commits, deployments, incidents, test results, and the work and cost logs.

The importers in ``matrix.sources`` (and the simulator) hand rows here as dicts keyed by column;
each table's rows are idempotent by their id, so importing the same thing twice adds nothing.
The DORA and test metrics read these tables through the metric engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matrix.errors import UsageError
from matrix.storage.base import Backend

# Each table's columns (in order) and its id column: the one list of them, for every writer.
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "commits": ("commit_id", ("commit_id", "tenant_id", "repo", "sha", "author", "authored_at",
                              "committed_at", "is_merge", "subject", "created_at", "parents")),
    "deployments": ("deployment_id", ("deployment_id", "tenant_id", "service", "version", "kind",
                                      "commit_sha", "deployed_at", "status", "simulated", "source",
                                      "created_at", "hotfix", "remediates")),
    "incidents": ("incident_id", ("incident_id", "tenant_id", "title", "severity", "started_at",
                                  "resolved_at", "deployment_id", "simulated", "created_at")),
    "test_results": ("result_id", ("result_id", "tenant_id", "run_id", "suite", "classname", "name",
                                   "status", "duration_s", "recorded_at", "created_at")),
    "worklog": ("entry_id", ("entry_id", "tenant_id", "work_date", "start_at", "end_at",
                             "duration_hours", "phase", "feature", "task_ref", "actor", "status",
                             "notes", "source", "created_at")),
    "costlog": ("entry_id", ("entry_id", "tenant_id", "cost_date", "provider", "service",
                             "environment", "amount_brl", "amount_usd", "category", "reference",
                             "source", "created_at")),
}  # fmt: skip


class DeliveryRecords:
    """Writes of the delivery tables, each idempotent by its id column."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def add(self, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Store ``rows`` (dicts keyed by column; a missing column is NULL) in ``table``,
        skipping ids already stored; how many were new.

        Raises:
            UsageError: an unknown table or column.
        """
        if table not in TABLES:
            raise UsageError(f"Unknown delivery table {table!r}; one of {sorted(TABLES)}.")
        key, columns = TABLES[table]
        unknown = {c for r in rows for c in r} - set(columns)
        if unknown:
            raise UsageError(
                f"Unknown {table} column(s) {sorted(unknown)}; known: {list(columns)}."
            )
        if not rows:
            return 0
        tuples = [tuple(r.get(c) for c in columns) for r in rows]
        with self._backend.transaction() as tx:
            return tx.insert_rows(table, columns, tuples, skip_existing=key)

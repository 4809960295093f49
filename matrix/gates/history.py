"""Gate history in the store: every gate of every run (verdict, duration, commit, report folder),
so delivery metrics and the dashboards can use it; a passing release dry run can be recorded as a
deployment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matrix import __version__
from matrix.envelopes import parse_timestamp
from matrix.sources.deliveries import record_deployment

PLATFORM = "platform"
COLUMNS = ("tenant_id", "run_id", "gate_id", "title", "verdict", "duration_seconds", "commit_sha", "started_at",
           "finished_at", "report_dir")  # fmt: skip


def record_run(store: Any, summary: dict[str, Any], report_dir: str) -> int:
    """Store each gate of a run's summary (a run id recorded again replaces nothing); rows added."""
    store.tenants.add(PLATFORM, "Platform")
    started, finished = (
        parse_timestamp(summary["started_at"]),
        parse_timestamp(summary["finished_at"]),
    )
    rows = [(PLATFORM, summary["run_id"], g["id"], g["title"], g["verdict"], float(g["duration_seconds"]),
             summary.get("commit"), started, finished, report_dir) for g in summary["gates"]]  # fmt: skip
    with store.backend.transaction() as tx:
        existing = {r[0] for r in tx.query(
            "SELECT gate_id FROM gate_runs WHERE tenant_id = ? AND run_id = ?", [PLATFORM, summary["run_id"]])}  # fmt: skip
        fresh = [r for r in rows if r[2] not in existing]
        return tx.insert_rows("gate_runs", COLUMNS, fresh) if fresh else 0


def history(store: Any, *, limit: int = 50, gate_id: str | None = None) -> list[dict[str, Any]]:
    """The latest gate results, newest first."""
    where, params = "tenant_id = ?", [PLATFORM]
    if gate_id:
        where, params = where + " AND gate_id = ?", [*params, gate_id]
    with store.backend.transaction() as tx:
        rows = tx.query(f"SELECT {', '.join(COLUMNS[1:])} FROM gate_runs WHERE {where}"
                        " ORDER BY finished_at DESC, gate_id LIMIT ?", [*params, int(limit)])  # fmt: skip
    return [dict(zip(COLUMNS[1:], r, strict=True)) for r in rows]


def record_release(store: Any, summary: dict[str, Any], *, at: datetime) -> dict[str, Any] | None:
    """When the run's release dry run passed, record the package version as a deployment."""
    dry_run = next((g for g in summary["gates"] if g["id"] == "g03_release_dry_run"), None)
    if dry_run is None or dry_run["verdict"] != "pass":
        return None
    store.tenants.add(PLATFORM, "Platform")
    row, _ = record_deployment(store, PLATFORM, service="matrix", version=__version__, at=at,
                               commit=summary.get("commit"))  # fmt: skip
    return row

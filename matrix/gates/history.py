"""Gate history in the store: every gate of every run (verdict, duration, commit, report folder),
so delivery metrics and the dashboards can use it; a passing release dry run can be recorded as a
deployment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matrix import __version__
from matrix.envelopes import parse_timestamp
from matrix.metrics.dora import PLATFORM
from matrix.sources.deliveries import record_deployment


def record_run(store: Any, summary: dict[str, Any], report_dir: str) -> int:
    """Store each gate of a run's summary (a run id recorded again replaces nothing); rows added."""
    store.tenants.add(PLATFORM, "Platform")
    started, finished = (
        parse_timestamp(summary["started_at"]),
        parse_timestamp(summary["finished_at"]),
    )
    # In the order of matrix.storage.gate_runs.COLUMNS.
    rows = [(PLATFORM, summary["run_id"], g["id"], g["title"], g["verdict"], float(g["duration_seconds"]),
             summary.get("commit"), started, finished, report_dir) for g in summary["gates"]]  # fmt: skip
    added: int = store.gate_runs.add_new(rows)
    return added


def history(store: Any, *, limit: int = 50, gate_id: str | None = None) -> list[dict[str, Any]]:
    """The latest gate results, newest first."""
    rows: list[dict[str, Any]] = store.gate_runs.latest(PLATFORM, limit=limit, gate_id=gate_id)
    return rows


def record_release(store: Any, summary: dict[str, Any], *, at: datetime) -> dict[str, Any] | None:
    """When the run's release dry run passed, record the package version as a deployment."""
    dry_run = next((g for g in summary["gates"] if g["id"] == "g03_release_dry_run"), None)
    if dry_run is None or dry_run["verdict"] != "pass":
        return None
    store.tenants.add(PLATFORM, "Platform")
    row, _ = record_deployment(store, PLATFORM, service="matrix", version=__version__, at=at,
                               commit=summary.get("commit"))  # fmt: skip
    return row

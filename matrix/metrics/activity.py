"""How busy each tenant is: the telemetry rows it recorded in a window (requests, tasks, AI
calls), so that a platform-wide face can open on the tenant with the most going on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from matrix.metrics.engine import check_window, query


def busiest(store: Any, tenants: Sequence[str], *, since: datetime, until: datetime) -> str | None:
    """The tenant of ``tenants`` with the most activity in ``[since, until)`` (ties: the first
    id); the first of ``tenants`` when none had any, None when ``tenants`` is empty."""
    if not tenants:
        return None
    check_window(since, until)
    with store.backend.transaction() as tx:
        rows = tx.query(query("activity.by_tenant"), [since, until])
    allowed = set(tenants)
    return next((str(t) for t, _ in rows if t in allowed), tenants[0])

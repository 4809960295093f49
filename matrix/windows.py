"""The one default time window that every face (CLI, notebooks, dashboards, gates) uses.

"The last 14 days" means 14 whole UTC days through the end of today: from midnight 13 days ago
to midnight tomorrow. Aligning the window to days makes a day-grain metric read the same in a
notebook, on a dashboard and in a gate run on the same day, whatever the hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

DEFAULT_DAYS = 14


@dataclass(frozen=True, kw_only=True)
class Window:
    """A half-open time window ``[since, until)`` in UTC."""

    since: datetime
    until: datetime


def default_window(
    now: datetime,
    *,
    days: int = DEFAULT_DAYS,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Window:
    """The window ending at ``until`` (default: midnight after ``now``) and ``days`` long
    (unless ``since`` is given)."""
    end = until or datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), UTC)
    return Window(since=since or end - timedelta(days=days), until=end)

"""The one source of "now": injectable, frozen in tests, virtual in simulations.

Code asks a :class:`Clock` for the time instead of calling ``datetime.now`` so that tests can
freeze it and the simulator can run weeks of traffic in seconds. Times are always timezone-aware
UTC.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

from matrix.errors import InvalidValueError


class Clock(Protocol):
    """Anything that can tell the current UTC time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at)

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by ``delta`` (a timedelta or seconds) and return the new time."""
        self._at += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        return self._at


class VirtualClock(FrozenClock):
    """A thread-safe frozen clock for simulations that drive many workers forward in time."""

    def __init__(self, at: datetime) -> None:
        super().__init__(at)
        self._lock = threading.Lock()

    def advance(self, delta: timedelta | float) -> datetime:
        with self._lock:
            return super().advance(delta)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidValueError(
            f"clock times must be timezone-aware; got naive {at.isoformat()}: add tzinfo=UTC."
        )
    return at.astimezone(UTC)


SYSTEM_CLOCK = SystemClock()

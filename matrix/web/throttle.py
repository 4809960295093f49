"""Sign-in backoff and lockout, per username and per client address.

The first ``free`` failures of a key (a username, or a client address) cost nothing; from then
on each failure locks the key for a window that doubles (2 s, 4 s, 8 s, ... up to 15 minutes).
While a key is locked every attempt is answered "wait" without checking the password, even a
right one, so guessing runs at the pace of the window. A success clears both keys; a key with no
failure for ``forget_after`` is forgotten. Every lockout is logged (the key and the window,
never a password) on the ``matrix.web`` logger.

The counts live in the store (``store.sign_ins``), so every process of a server started with
``--workers N`` counts the same failures: guesses spread over the workers lock the key alike.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from matrix.clock import SYSTEM_CLOCK, Clock

LOG = logging.getLogger("matrix.web")


class FailureCounts(Protocol):
    """Where the failures are counted (the store's ``sign_ins``)."""

    def count(self, subject: str, now: datetime, *, forget_before: datetime) -> int: ...

    def lock(self, subject: str, until: datetime) -> None: ...

    def locked_until(self, subjects: Sequence[str], now: datetime) -> datetime | None: ...

    def clear(self, subjects: Sequence[str]) -> None: ...

    def clear_all(self) -> None: ...


class SignInThrottle:
    """Counts failed sign-ins in ``counts`` and says how long a username or address must wait."""

    def __init__(self, counts: FailureCounts, clock: Clock = SYSTEM_CLOCK, *, free: int = 5,
                 first_window: float = 2.0, max_window: float = 900.0,
                 forget_after: timedelta = timedelta(minutes=30)) -> None:  # fmt: skip
        self._counts = counts
        self._clock = clock
        self._free, self._first, self._max = free, first_window, max_window
        self._forget = forget_after

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        return f"user:{(username or '').strip().lower()[:100]}", f"address:{(address or '?')[:100]}"

    def wait(self, username: str, address: str) -> int:
        """Whole seconds ``username`` from ``address`` must wait before trying again; 0 when it
        may try now."""
        now = self._clock.now()
        until = self._counts.locked_until(self._keys(username, address), now)
        return math.ceil((until - now).total_seconds()) if until else 0

    def failed(self, username: str, address: str) -> int:
        """Count a failed sign-in; the wait it now causes (0 while failures are still free)."""
        now = self._clock.now()
        for key in self._keys(username, address):
            failures = self._counts.count(key, now, forget_before=now - self._forget)
            over = failures - self._free
            if over >= 0:
                window = min(self._max, self._first * 2 ** min(over, 60))
                self._counts.lock(key, now + timedelta(seconds=window))
                LOG.warning("Sign-in locked for %d s after %d failures: %s",
                            math.ceil(window), failures, key)  # fmt: skip
        return self.wait(username, address)

    def succeeded(self, username: str, address: str) -> None:
        """A right password: both keys start again from nothing."""
        self._counts.clear(self._keys(username, address))

    def reset(self) -> None:
        """Forget every count (an admin unlocking everyone)."""
        self._counts.clear_all()

"""Sign-in backoff and lockout, per username and per client address.

The first ``free`` failures of a key (a username, or a client address) cost nothing; from then
on each failure locks the key for a window that doubles (2 s, 4 s, 8 s, ... up to 15 minutes).
While a key is locked every attempt is answered "wait" without checking the password, even a
right one, so guessing runs at the pace of the window. A success clears both keys; a key with no
failure for ``forget_after`` is forgotten. Every lockout is logged (the key and the window,
never a password) on the ``matrix.web`` logger.

The counts live in the process: a server with several worker processes counts per process.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from matrix.clock import SYSTEM_CLOCK, Clock

LOG = logging.getLogger("matrix.web")
MAX_KEYS = 10_000  # unknown usernames are keys too: bound the memory an attacker can fill


@dataclass
class _Record:
    failures: int
    last: datetime
    locked_until: datetime | None = None


class SignInThrottle:
    """Counts failed sign-ins and says how long a username or address must wait."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK, *, free: int = 5, first_window: float = 2.0,
                 max_window: float = 900.0, forget_after: timedelta = timedelta(minutes=30)) -> None:  # fmt: skip
        self._clock = clock
        self._free, self._first, self._max = free, first_window, max_window
        self._forget = forget_after
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        return f"user:{(username or '').strip().lower()[:100]}", f"address:{address or '?'}"

    def wait(self, username: str, address: str) -> int:
        """Whole seconds ``username`` from ``address`` must wait before trying again; 0 when it
        may try now."""
        now = self._clock.now()
        with self._lock:
            longest = 0.0
            for key in self._keys(username, address):
                record = self._records.get(key)
                if record and record.locked_until and record.locked_until > now:
                    longest = max(longest, (record.locked_until - now).total_seconds())
            return math.ceil(longest)

    def failed(self, username: str, address: str) -> int:
        """Count a failed sign-in; the wait it now causes (0 while failures are still free)."""
        now = self._clock.now()
        with self._lock:
            self._prune(now)
            for key in self._keys(username, address):
                record = self._records.get(key)
                if record is None or now - record.last > self._forget:
                    record = self._records[key] = _Record(failures=0, last=now)
                record.failures += 1
                record.last = now
                over = record.failures - self._free
                if over >= 0:
                    window = min(self._max, self._first * 2**over)
                    record.locked_until = now + timedelta(seconds=window)
                    LOG.warning("Sign-in locked for %d s after %d failures: %s",
                                math.ceil(window), record.failures, key)  # fmt: skip
        return self.wait(username, address)

    def succeeded(self, username: str, address: str) -> None:
        """A right password: both keys start again from nothing."""
        with self._lock:
            for key in self._keys(username, address):
                self._records.pop(key, None)

    def reset(self) -> None:
        """Forget every count (an admin unlocking everyone)."""
        with self._lock:
            self._records.clear()

    def _prune(self, now: datetime) -> None:
        if len(self._records) < MAX_KEYS:
            return
        for key, record in list(self._records.items()):
            if now - record.last > self._forget or len(self._records) >= MAX_KEYS:
                del self._records[key]

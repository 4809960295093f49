"""A cross-process lease on an embedded store file, handed back when idle or when asked.

DuckDB lets one process at a time open a database file for writing. The server, a notebook and a
CLI command all want the same file, so each process takes this lease before opening the file and
gives it back as soon as it is idle or another process asks for it:

- ``<file>.lock`` holds the lease (an exclusive ``flock``).
- ``<file>.want`` is where waiters say they are waiting (a shared ``flock`` each). A holder checks
  it after every operation and hands the file back at once when someone waits.
- A holder that handed the file back lets the waiter in before it asks again, so a busy writer
  cannot starve a short CLI command.

``flock`` locks die with their process, so a crashed holder never leaves the store locked.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from matrix.errors import StoreLockedError


class FileLease:
    """An exclusive, fair, cross-process lease on one store file."""

    def __init__(self, path: Path, *, timeout: float) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._lock_fd: int | None = None
        self._want_probe_fd: int | None = None
        self._handed_back = False

    @property
    def held(self) -> bool:
        return self._lock_fd is not None

    def acquire(self) -> None:
        """Wait for the lease, at most ``timeout`` seconds.

        Raises:
            StoreLockedError: another process kept the store longer than the timeout.
        """
        if self._lock_fd is not None:
            return
        deadline = time.monotonic() + self.timeout
        if self._handed_back:
            # Let whoever we handed the file to go first (they drop their "want" once in).
            polite_until = min(deadline, time.monotonic() + 0.5)
            while self.others_waiting() and time.monotonic() < polite_until:
                time.sleep(0.001)
            self._handed_back = False
        want_fd = os.open(self._side("want"), os.O_RDWR | os.O_CREAT, 0o666)
        lock_fd = os.open(self._side("lock"), os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(want_fd, fcntl.LOCK_SH)
            delay = 0.0005
            while True:
                try:
                    fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        os.close(lock_fd)
                        raise StoreLockedError(
                            f"The store {str(self.path)!r} stayed busy in another process for"
                            f" {self.timeout:g} s. Wait for that process, raise MATRIX_LOCK_TIMEOUT,"
                            " or use PostgreSQL when many processes write at once."
                        ) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.01)
        finally:
            os.close(want_fd)  # closing drops our shared "want" lock
        self._lock_fd = lock_fd

    def release(self, *, handed_back: bool = False) -> None:
        """Give the lease back. ``handed_back`` marks that a waiter asked for it."""
        if self._lock_fd is None:
            return
        os.close(self._lock_fd)  # closing drops the flock
        self._lock_fd = None
        self._handed_back = handed_back

    def others_waiting(self) -> bool:
        """True when another process is waiting for this lease."""
        if self._want_probe_fd is None:
            self._want_probe_fd = os.open(self._side("want"), os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(self._want_probe_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._want_probe_fd, fcntl.LOCK_UN)
        return False

    def close(self) -> None:
        self.release()
        if self._want_probe_fd is not None:
            os.close(self._want_probe_fd)
            self._want_probe_fd = None

    def _side(self, suffix: str) -> str:
        return f"{self.path}.{suffix}"

"""Server-side sign-in sessions and the secret that signs their cookies.

A cookie carries a random session id; the store keeps only its hash, the user and the expiry.
Every request looks the id up, so signing out (or the expiry, or a password change) ends the
session for every copy of the cookie. The signing secret must be at least 32 random bytes; when
none is configured, one is generated once and kept in the store, sealed like the store's other
secrets (``matrix secrets rotate-key`` reseals it), so sign-ins survive a restart and every worker
process signs alike.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import timedelta
from typing import Any

from matrix.errors import ConfigError

SECRET_VARIABLE = "MATRIX_SESSION_SECRET"
MIN_SECRET_BYTES = 32
MIN_SECRET_BITS = 128
KEY_NAME = "session_secret"
MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


class Sessions:
    """Open, check and close sign-in sessions in ``store`` (``store.sessions`` and its clock)."""

    def __init__(self, store: Any, *, hours: float) -> None:
        self._store = store
        self._lifetime = timedelta(hours=hours)

    def open(self, username: str) -> str:
        """A new session of ``username``: the id to put in the cookie (shown nowhere else)."""
        now = self._store.clock.now()
        self._store.sessions.purge(now)
        session_id = secrets.token_urlsafe(32)
        self._store.sessions.open(_digest(session_id), username, created_at=now,
                                  expires_at=now + self._lifetime)  # fmt: skip
        return session_id

    def user(self, session_id: object) -> str | None:
        """The username of a live session; None for a missing, unknown, revoked or expired id."""
        if not isinstance(session_id, str) or not session_id or len(session_id) > 200:
            return None
        found = self._store.sessions.get(_digest(session_id))
        if found is None:
            return None
        username, expires_at = found
        if expires_at <= self._store.clock.now():
            self._store.sessions.revoke(_digest(session_id))
            return None
        return str(username)

    def close(self, session_id: object) -> None:
        """End the session (signing out); nothing happens for an unknown id."""
        if isinstance(session_id, str) and session_id:
            self._store.sessions.revoke(_digest(session_id))


def check_secret(value: str, variable: str = SECRET_VARIABLE) -> str:
    """``value`` when it is strong enough to sign cookies.

    Strength is at least 32 bytes and at least 128 bits by a plain estimate (length times the
    bits of its variety of characters), which refuses short, repeated or word-like values.

    Raises:
        ConfigError: the value is too weak (the message names the variable and how to make one,
            never the value).
    """
    size = len(value.encode("utf-8"))
    bits = len(value) * math.log2(len(set(value))) if value else 0.0
    if size < MIN_SECRET_BYTES or bits < MIN_SECRET_BITS:
        raise ConfigError(
            f"{variable} is too weak to sign the sign-in cookies ({size} bytes, about {bits:.0f} bits):"
            f" it needs at least {MIN_SECRET_BYTES} random bytes. Make one with {MAKE_ONE}, or"
            " leave it unset to have one generated and kept in the store."
        )
    return value


def session_secret(store: Any, configured: str | None = None) -> str:
    """The secret that signs sign-in cookies: ``configured`` (or the settings' value) checked
    with :func:`check_secret`, else the one kept in ``store`` (generated on first use)."""
    value = configured if configured else store.settings.session_secret
    if value:
        return check_secret(value)
    try:
        return str(store.secrets.server_key(KEY_NAME, make=lambda: secrets.token_urlsafe(48),
                                            at=store.clock.now()))  # fmt: skip
    except ConfigError as exc:  # no key to seal it with (PostgreSQL without MATRIX_SECRET_KEY)
        raise ConfigError(
            f"{exc} The generated sign-in secret is kept sealed in the store; alternatively set"
            f" {SECRET_VARIABLE} (make one with {MAKE_ONE})."
        ) from None

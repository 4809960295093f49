"""SQL for API bearer tokens: each stored only as a keyed hash, never the token itself.

The hash is HMAC-SHA256 under the store's token pepper: 32 random bytes made when the first token
is issued and kept sealed among the platform secrets (``matrix.storage.secrets``), so a copy of
the table alone cannot be checked against guessed tokens, and rotating the secret key leaves
every token valid. A token is found by its hash (an index lookup) and the stored hash is then
compared in constant time.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from matrix.clock import Clock
from matrix.storage.base import Backend, Row
from matrix.storage.secrets import SqlSecrets, new_key, parse_key

PEPPER = "api_token_pepper"
_MAX_REMEMBERED = 10_000

_COLUMNS = (
    "token_id", "tenant_id", "admin", "name", "prefix", "last_four", "created_at", "created_by",
    "expires_at", "revoked_at",
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class TokenRecord:
    """What the store keeps of a token: who it is for and its state, never the token."""

    token_id: str
    tenant_id: str | None
    """None for an admin token (bound to the platform)."""
    admin: bool
    name: str
    prefix: str
    last_four: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None


class SqlApiTokens:
    """The ``api_tokens`` table."""

    def __init__(self, backend: Backend, secrets: SqlSecrets, clock: Clock) -> None:
        self._backend = backend
        self._secrets = secrets
        self._clock = clock
        self._pepper: bytes | None = None
        # Found records by hash, on an embedded DuckDB store only: no other process can write
        # while this one holds the file, so they stay true until it lets go (``held_since``) or
        # this repository changes a token. On PostgreSQL other processes write at any time.
        self._found: dict[str, TokenRecord] = {}
        self._found_during: int | None = None

    def digest(self, token: str, *, make_pepper: bool = False) -> str | None:
        """The keyed hash of ``token``; None when no token was ever issued (no pepper yet)."""
        pepper = self._load_pepper(make=make_pepper)
        if pepper is None:
            return None
        return hmac.new(pepper, token.encode("ascii"), hashlib.sha256).hexdigest()

    def insert(self, record: TokenRecord, token: str) -> None:
        digest = self.digest(token, make_pepper=True)
        assert digest is not None  # made just above
        values = [getattr(record, c) for c in _COLUMNS]
        with self._backend.transaction() as tx:
            tx.execute(
                f"INSERT INTO api_tokens (token_hash, {', '.join(_COLUMNS)})"
                f" VALUES (?, {', '.join('?' * len(_COLUMNS))})",
                [digest, *values],
            )

    def find(self, token: str) -> TokenRecord | None:
        """The record of ``token`` (revoked and expired ones included), by its keyed hash."""
        digest = self.digest(token)
        if digest is None:
            return None
        held = self._backend.held_since
        if held is not None and held == self._found_during and digest in self._found:
            return self._found[digest]
        found = self._select("token_hash = ?", [digest])
        if not found:
            return None
        self._remember(held, digest, found[0])
        return found[0]

    def get(self, token_id: str) -> TokenRecord | None:
        found = self._select("token_id = ?", [token_id])
        return found[0] if found else None

    def list(self, tenant_id: str | None = None) -> builtins.list[TokenRecord]:
        """Every token, or a tenant's, oldest first."""
        if tenant_id is None:
            return self._select("1 = 1", [])
        return self._select("tenant_id = ?", [tenant_id])

    def revoke(self, token_id: str, at: datetime) -> bool:
        """Revoke a token; False when it is unknown or already revoked."""
        self._found = {}
        with self._backend.transaction() as tx:
            changed = tx.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                [at, token_id],
            )
        return changed == 1

    def forget(self) -> None:
        """Drop the records found so far (the next lookups read the store)."""
        self._found = {}
        self._found_during = None

    def _remember(self, held: int | None, digest: str, record: TokenRecord) -> None:
        if held is None:
            return
        if held != self._found_during or len(self._found) >= _MAX_REMEMBERED:
            self._found = {}
            self._found_during = held
        self._found[digest] = record

    def _select(self, where: str, params: builtins.list[object]) -> builtins.list[TokenRecord]:
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(_COLUMNS)} FROM api_tokens WHERE {where}"
                " ORDER BY created_at, token_id",
                params,
            )
        return [_record(r) for r in rows]

    def _load_pepper(self, *, make: bool) -> bytes | None:
        if self._pepper is None:
            text = self._secrets.platform(
                PEPPER, make=new_key if make else None, at=self._clock.now()
            )
            if text is not None:
                self._pepper = parse_key(text, "The stored token pepper")
        return self._pepper


def _record(row: Row) -> TokenRecord:
    data = dict(zip(_COLUMNS, row, strict=True))
    for key in ("created_at", "expires_at", "revoked_at"):
        if data[key] is not None:
            data[key] = data[key].astimezone(UTC)
    data["admin"] = bool(data["admin"])
    return TokenRecord(**data)

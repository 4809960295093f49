"""API bearer tokens: issue, list, revoke, and authenticate a request's ``Authorization`` header.

A token reads ``mxt_`` (a tenant's) or ``mxa_`` (the platform's admin) followed by 43 base62
characters (32 random bytes) and a 6-character base62 CRC32 of everything before it, so a
secret scanner recognises it and a mistyped one is refused without a lookup. The store keeps only
a keyed hash (``matrix.storage.tokens``); the token is shown once, when it is made.
"""

from __future__ import annotations

import hmac
import re
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from matrix.errors import AuthenticationError, NotFoundError, UsageError
from matrix.storage.tokens import TokenRecord

if TYPE_CHECKING:
    from matrix.storage import Store

TENANT_PREFIX = "mxt_"
ADMIN_PREFIX = "mxa_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_RANDOM_CHARS = 43  # 62**43 > 2**256: room for 32 random bytes
_CHECK_CHARS = 6  # 62**6 > 2**32: room for a CRC32
_SHAPE = re.compile(rf"^(mx[ta]_)([0-9A-Za-z]{{{_RANDOM_CHARS}}})([0-9A-Za-z]{{{_CHECK_CHARS}}})$")
MAX_EXPIRES_DAYS = 3650
REFUSAL_CODES = (
    "missing_token", "malformed_token", "bad_checksum", "unknown_token", "revoked_token",
    "expired_token",
)  # fmt: skip
"""Every :attr:`AuthenticationError.code` that :func:`authenticate` raises (each a 401)."""
HOW_TO_SEND = (
    "send `Authorization: Bearer <token>` (make one with `matrix token create --tenant T`)"
)


@dataclass(frozen=True, kw_only=True)
class TokenIdentity:
    """Who a request acts as, once its token is accepted."""

    token_id: str
    tenant_id: str | None
    """The one tenant the token may act for; None for an admin token."""
    admin: bool
    name: str
    expires_at: datetime | None

    def allows(self, tenant_id: str) -> bool:
        """Whether the token may read or write ``tenant_id``'s data (admin: every tenant)."""
        # As bytes: compare_digest refuses str with non-ASCII characters, which anyone may send.
        own = (self.tenant_id or "").encode("utf-8")
        return self.admin or hmac.compare_digest(own, tenant_id.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True, kw_only=True)
class IssuedToken:
    """A token just made: the only time the token itself is at hand."""

    token: str = field(repr=False)
    record: TokenRecord

    def as_dict(self) -> dict[str, Any]:
        return {"token": self.token, **describe(self.record, self.record.created_at)}


def create_token(
    store: Store, *, tenant_id: str | None, name: str | None = None,
    expires_days: int | None = None, admin: bool = False, actor: str = "operator",
) -> IssuedToken:  # fmt: skip
    """Issue a token bound to ``tenant_id`` (or, with ``admin``, to the platform).

    Raises:
        UsageError: both or neither of a tenant and ``admin``; an out-of-range expiry.
        NotFoundError: unknown tenant.
    """
    if admin == (tenant_id is not None):
        raise UsageError(
            "A token is for one tenant (--tenant T) or for the platform (--admin), not"
            f" {'both' if admin else 'neither'}."
        )
    if tenant_id is not None:
        store.tenants.require(tenant_id)
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise UsageError(
            f"--expires-days {expires_days} is out of range: use 1 to {MAX_EXPIRES_DAYS} days,"
            " or leave it out for a token that does not expire."
        )
    token = make_token(ADMIN_PREFIX if admin else TENANT_PREFIX)
    now = store.clock.now()
    record = TokenRecord(
        token_id=f"tok_{secrets.token_hex(8)}", tenant_id=tenant_id, admin=admin,
        name=name or ("admin" if admin else "api"), prefix=token[:4], last_four=token[-4:],
        created_at=now, created_by=actor,
        expires_at=now + timedelta(days=expires_days) if expires_days else None, revoked_at=None,
    )  # fmt: skip
    store.api_tokens.insert(record, token)
    return IssuedToken(token=token, record=record)


def list_tokens(store: Store, tenant_id: str | None = None) -> list[dict[str, Any]]:
    """Every token (or a tenant's) as shown to people: prefix and last four, never the token."""
    if tenant_id is not None:
        store.tenants.require(tenant_id)
    now = store.clock.now()
    return [describe(r, now) for r in store.api_tokens.list(tenant_id)]


def revoke_token(store: Store, token_id: str) -> dict[str, Any]:
    """Revoke a token at once (the next request with it is refused); revoking twice is a no-op.

    Raises:
        NotFoundError: no token has that id.
    """
    found = store.api_tokens.get(token_id)
    if found is None:
        raise NotFoundError(
            f"There is no token {token_id!r}; `matrix token list` shows every token's id."
        )
    changed = store.api_tokens.revoke(token_id, store.clock.now())
    record = store.api_tokens.get(token_id)
    assert record is not None  # found above; tokens are never deleted
    return {**describe(record, store.clock.now()), "already_revoked": not changed}


def authenticate(store: Store, authorization: str | None) -> TokenIdentity:
    """The identity of a request's ``Authorization`` header.

    Raises:
        AuthenticationError: with ``code`` missing_token, malformed_token, bad_checksum,
            unknown_token, revoked_token or expired_token (the API answers 401 with it).
    """
    token = bearer_token(authorization)
    check_token(token)
    record = store.api_tokens.find(token)
    if record is None or record.admin != token.startswith(ADMIN_PREFIX):
        raise AuthenticationError(
            f"The bearer token is not known (it may belong to another store); {HOW_TO_SEND}.",
            code="unknown_token",
        )
    shown = shown_as(record)
    if record.revoked_at is not None:
        raise AuthenticationError(
            f"The bearer token {shown} ({record.token_id}) was revoked at"
            f" {record.revoked_at.isoformat()}; make a new one with `matrix token create`.",
            code="revoked_token",
        )
    if record.expires_at is not None and record.expires_at <= store.clock.now():
        raise AuthenticationError(
            f"The bearer token {shown} ({record.token_id}) expired at"
            f" {record.expires_at.isoformat()}; make a new one with `matrix token create`.",
            code="expired_token",
        )
    return TokenIdentity(token_id=record.token_id, tenant_id=record.tenant_id,
                         admin=record.admin, name=record.name, expires_at=record.expires_at)  # fmt: skip


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header value.

    Raises:
        AuthenticationError: ``missing_token`` or ``malformed_token``.
    """
    if authorization is None or not authorization.strip():
        raise AuthenticationError(
            f"The request has no bearer token; {HOW_TO_SEND}.", code="missing_token"
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(
            f"The Authorization header is not a bearer token; {HOW_TO_SEND}.",
            code="malformed_token",
        )
    return token.strip()


def check_token(token: str) -> None:
    """Refuse a token of the wrong shape or whose checksum does not match (a typo), unlooked-up.

    Raises:
        AuthenticationError: ``malformed_token`` or ``bad_checksum``.
    """
    match = _SHAPE.fullmatch(token) if token.isascii() else None
    if match is None:
        raise AuthenticationError(
            f"The bearer token is not a matrix token (they read mxt_ or mxa_ and"
            f" {_RANDOM_CHARS + _CHECK_CHARS} letters and digits; this one has {len(token)}"
            f" characters); {HOW_TO_SEND}.",
            code="malformed_token",
        )
    prefix, body, check = match.groups()
    if not hmac.compare_digest(check, _checksum(prefix + body)):
        raise AuthenticationError(
            "The bearer token's checksum does not match: it was mistyped or cut; copy it again.",
            code="bad_checksum",
        )


def make_token(prefix: str) -> str:
    """A new token: ``prefix``, 32 random bytes in base62, and the checksum."""
    body = _base62(int.from_bytes(secrets.token_bytes(32), "big"), _RANDOM_CHARS)
    return prefix + body + _checksum(prefix + body)


def shown_as(record: TokenRecord) -> str:
    """How a token is shown once made: its prefix and last four characters."""
    return f"{record.prefix}…{record.last_four}"


def describe(record: TokenRecord, now: datetime) -> dict[str, Any]:
    """A token's record for output (never the token), with its state at ``now``."""
    if record.revoked_at is not None:
        state = "revoked"
    elif record.expires_at is not None and record.expires_at <= now:
        state = "expired"
    else:
        state = "active"
    return {
        "token_id": record.token_id, "tenant_id": record.tenant_id, "admin": record.admin,
        "name": record.name, "shown_as": shown_as(record), "prefix": record.prefix,
        "last_four": record.last_four, "state": state,
        "created_at": record.created_at.isoformat(), "created_by": record.created_by,
        "expires_at": record.expires_at.isoformat() if record.expires_at else None,
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
    }  # fmt: skip


def _checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode("ascii")), _CHECK_CHARS)


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits)).rjust(width, "0")

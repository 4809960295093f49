"""Who a request acts for: its bearer token, the tenant it may touch, and its rate limit.

A tenant token acts for its own tenant only. A request that names another tenant is answered
exactly as one that names a tenant that does not exist (404 ``tenant_not_found``, the same
message), so a token cannot learn which tenants exist. Admin tokens act for every tenant and must
name the one they mean.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from matrix.api.errors import ApiError
from matrix.errors import AuthenticationError
from matrix.tokens import TokenIdentity, authenticate

if TYPE_CHECKING:
    from matrix.app import App

UNKNOWN_TENANT = "No such tenant for this token; check tenant_id (a token acts for its own tenant)."


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute on average, bursts up to a
    tenth of a minute's worth (at least 10). Counts are per server process."""

    def __init__(self, per_minute: float, *, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(10.0, per_minute / 10.0)
        self._now = now
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, key: str) -> int:
        """0 when the request may go on (and is counted), else whole seconds to wait."""
        if self.rate <= 0:
            return 0
        now = self._now()
        with self._lock:
            level, at = self._buckets.get(key, (self.burst, now))
            level = min(self.burst, level + (now - at) * self.rate)
            if level >= 1.0:
                self._buckets[key] = (level - 1.0, now)
                return 0
            self._buckets[key] = (level, now)
            return max(1, math.ceil((1.0 - level) / self.rate))


@dataclass(frozen=True, kw_only=True)
class Caller:
    """An authenticated request: the application it runs against and the token's identity."""

    app: App
    identity: TokenIdentity | None
    """None on a public route (health, the signed webhook), which acts for no tenant."""

    def tenant(self, tenant_id: object) -> str:
        """The tenant this request acts for: ``tenant_id`` if the token may act for it and it
        exists, the token's own tenant when none is named.

        Raises:
            ApiError: 400 ``missing_tenant_id`` (an admin token named none), 404
                ``tenant_not_found`` (unknown, or not the token's: the same answer).
        """
        if self.identity is None:
            raise ApiError(status=401, code="missing_token", message="This route needs a token.")
        if tenant_id is None or tenant_id == "":
            if self.identity.tenant_id is None:
                raise ApiError(status=400, code="missing_tenant_id",
                               message="An admin token must name the tenant: add tenant_id.")  # fmt: skip
            return self.identity.tenant_id
        if not isinstance(tenant_id, str) or not self.identity.allows(tenant_id):
            raise ApiError(status=404, code="tenant_not_found", message=UNKNOWN_TENANT)
        if self.identity.admin and self.app.store.tenants.get(tenant_id) is None:
            raise ApiError(status=404, code="tenant_not_found", message=UNKNOWN_TENANT)
        return tenant_id

    def require_admin(self) -> None:
        if self.identity is None or not self.identity.admin:
            raise ApiError(status=403, code="admin_required",
                           message="This operation needs an admin token (matrix token create --admin).")  # fmt: skip


def caller(app: App, limiter: RateLimiter, authorization: str | None) -> Caller:
    """Authenticate ``authorization`` and count the request against its token's rate limit.

    Raises:
        ApiError: 401 with the token's refusal code; 429 ``rate_limited`` with Retry-After.
    """
    try:
        identity = authenticate(app.store, authorization)
    except AuthenticationError as exc:
        raise ApiError(status=401, code=exc.code, message=str(exc),
                       headers={"WWW-Authenticate": exc.www_authenticate}) from None  # fmt: skip
    wait = limiter.wait_seconds(identity.token_id)
    if wait:
        raise ApiError(
            status=429, code="rate_limited", headers={"Retry-After": str(wait)},
            message=f"Too many requests for this token; retry in {wait} s.",
        )  # fmt: skip
    return Caller(app=app, identity=identity)

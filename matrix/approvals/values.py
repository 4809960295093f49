"""Approval values: statuses, actions, limits and the confirmation itself.

Limits follow the origin: at most 20 pending approvals per tenant by default (capped at 500) and
a time to live of 900 s (capped at 7 days). A tenant's config refuses a value outside these
(``matrix.concierge.runtime_config``); one read from elsewhere that is non-numeric or non-positive
falls back to the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from matrix import envelopes as env
from matrix.clock import Clock

DEFAULT_MAX_PENDING = 20
MAX_PENDING_CAP = 500
DEFAULT_TTL_SECONDS = 900
TTL_CAP_SECONDS = 7 * 24 * 3600
DEFAULT_LIST_LIMIT = 50
LIST_LIMIT_CAP = 200


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


def max_pending(value: Any) -> int:
    """The per-tenant limit: default 20 when missing, non-numeric or ≤ 0; capped at 500."""
    return _bounded(value, DEFAULT_MAX_PENDING, MAX_PENDING_CAP)


def ttl_seconds(value: Any) -> int:
    """The time to live: default 900 s when missing, non-numeric or < 1; capped at 7 days."""
    return _bounded(value, DEFAULT_TTL_SECONDS, TTL_CAP_SECONDS)


def _bounded(value: Any, default: int, cap: int) -> int:
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default
    if number < 1:
        return default
    return min(number, cap)


@dataclass(frozen=True, kw_only=True)
class Approval:
    """One confirmation the owner must give before a task runs."""

    confirmation_id: str
    tenant_id: str
    status: Status
    reason_code: str | None
    task_type: str
    target_module: str
    priority: str
    route_rule_id: str
    policy_rule_id: str
    correlation_id: str
    trace_id: str
    owner_command_id: str
    request_snapshot: dict[str, Any] = field(default_factory=dict)
    created_at: datetime
    expires_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution_reason: str | None = None
    task_id: str | None = None

    def is_expired(self, now: datetime) -> bool:
        return self.status is Status.PENDING and now >= self.expires_at

    def chain(self, clock: Clock) -> env.Chain:
        """The owner request's chain: what the approval leads to is caused by its command."""
        return env.Chain(
            tenant_id=self.tenant_id, clock=clock, correlation_id=self.correlation_id,
            trace_id=self.trace_id, causation_id=self.owner_command_id,
        )  # fmt: skip

    def summary(self) -> dict[str, Any]:
        """The origin's confirmation summary shape (plus expiry and resolution)."""
        return {
            "confirmation_id": self.confirmation_id,
            "status": self.status.value,
            "task_type": self.task_type,
            "target_module": self.target_module,
            "reason_code": self.reason_code,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "resolved_at": _iso(self.resolved_at),
            "resolved_by": self.resolved_by,
            "resolution_reason": self.resolution_reason,
            "task_id": self.task_id,
            "correlation_id": self.correlation_id,
        }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")

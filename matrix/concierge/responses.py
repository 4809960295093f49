"""The interaction's response body and its receipts, as typed values.

:class:`InteractionResult` is what ``Concierge.interact`` returns; its ``as_dict()`` is the
origin's body (``owner_command``, ``session_state``, ``avatar_state``, ``assistant_output``,
``policy_decision``, ``execution_receipts``, then ``confirmation`` and ``downstream_tasks`` when
there are any).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from matrix import envelopes as env
from matrix.approvals import Approval, Body, QueuedTask, RequestStatus
from matrix.concierge.planner import Plan
from matrix.concierge.ports import AssistantOutput, ProviderWarning
from matrix.concierge.requests import Operation
from matrix.policy import Decision, Outcome

ENDPOINT = "/v1/owner-concierge/interaction"


class ReceiptStatus(StrEnum):
    PERSISTED = "persisted"
    QUEUED = "queued"
    PENDING = "pending"
    BLOCKED = "blocked"


class SessionMode(StrEnum):
    ONE_SHOT = "one-shot"
    CONTINUOUS = "continuous"


class SessionStatus(StrEnum):
    AWAITING_USER = "awaiting_user"
    ACTIVE_CONTINUOUS = "active_continuous"
    PAUSED = "paused"
    IDLE = "idle"


class AvatarStatus(StrEnum):
    READY = "ready"
    DISABLED = "disabled"


@dataclass(frozen=True, kw_only=True)
class Receipt(Body):
    """One thing the request did, with where it is recorded (``reference``)."""

    receipt: str
    status: ReceiptStatus
    reference: str
    target_module: str
    occurred_at: datetime
    tenant_id: str
    correlation_id: str
    trace_id: str
    endpoint: str = ENDPOINT
    method: str = "POST"

    def as_dict(self) -> dict[str, Any]:
        return {
            "receipt": self.receipt, "status": self.status.value, "reference": self.reference,
            "endpoint": self.endpoint, "method": self.method, "target_module": self.target_module,
            "occurred_at": env.timestamp(self.occurred_at), "tenant_id": self.tenant_id,
            "correlation_id": self.correlation_id, "trace_id": self.trace_id,
        }  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class OwnerCommandRef(Body):
    command_id: str
    correlation_id: str
    name: str = "owner.command.create"

    def as_dict(self) -> dict[str, Any]:
        return {"command_id": self.command_id, "correlation_id": self.correlation_id,
                "name": self.name}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class SessionState(Body):
    mode: SessionMode
    state: SessionStatus

    @classmethod
    def after(cls, operation: str, enabled: bool | None) -> SessionState:
        """The session's state once ``operation`` is done."""
        if operation == Operation.SEND_MESSAGE:
            return cls(mode=SessionMode.ONE_SHOT, state=SessionStatus.AWAITING_USER)
        if operation == Operation.TOGGLE_CONTINUOUS_MODE:
            if enabled:
                return cls(mode=SessionMode.CONTINUOUS, state=SessionStatus.ACTIVE_CONTINUOUS)
            return cls(mode=SessionMode.ONE_SHOT, state=SessionStatus.PAUSED)
        return cls(mode=SessionMode.ONE_SHOT, state=SessionStatus.IDLE)

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "state": self.state.value}


@dataclass(frozen=True, kw_only=True)
class AvatarState(Body):
    enabled: bool
    state: AvatarStatus
    voice_profile: str | None = None

    @classmethod
    def after(cls, operation: str, enabled: bool | None) -> AvatarState:
        """The avatar is on only when an avatar or continuous-mode operation turned it on."""
        avatar_ops = (Operation.AVATAR_CONFIG_UPSERT, Operation.TOGGLE_CONTINUOUS_MODE)
        if bool(enabled) and operation in avatar_ops:
            return cls(enabled=True, state=AvatarStatus.READY, voice_profile="owner-default")
        return cls(enabled=False, state=AvatarStatus.DISABLED)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"enabled": self.enabled, "state": self.state.value}
        if self.voice_profile is not None:
            out["voice_profile"] = self.voice_profile
        return out


@dataclass(frozen=True, kw_only=True)
class PolicyView(Body):
    """The route and policy decision as the response reports them (``none`` without a route)."""

    route_rule_id: str | None
    policy_rule_id: str | None
    execution_decision: Outcome | None
    requires_confirmation: bool
    reason_code: str | None

    @classmethod
    def of(cls, operation: str, planned: Plan | None, decision: Decision | None) -> PolicyView:
        no_route = "no_route" if operation == Operation.SEND_MESSAGE else None
        return cls(
            route_rule_id=planned.route_rule_id if planned else None,
            policy_rule_id=decision.policy_rule_id if decision else None,
            execution_decision=decision.outcome if decision else None,
            requires_confirmation=bool(decision and decision.requires_confirmation),
            reason_code=decision.reason_code if decision else no_route,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "route_rule_id": self.route_rule_id,
            "policy_rule_id": self.policy_rule_id,
            "execution_decision": self.execution_decision.value
            if self.execution_decision
            else "none",
            "requires_confirmation": self.requires_confirmation,
            "reason_code": self.reason_code,
        }


@dataclass(frozen=True, kw_only=True)
class InteractionResult(Body):
    """The origin's response body of one owner interaction."""

    request_id: str
    owner_command: OwnerCommandRef
    session_state: SessionState
    avatar_state: AvatarState
    assistant_output: AssistantOutput
    policy_decision: PolicyView
    execution_receipts: tuple[Receipt, ...]
    confirmation: Approval | None = None
    downstream_tasks: tuple[QueuedTask, ...] = ()
    status: RequestStatus = RequestStatus.ACCEPTED
    provider_error: ProviderWarning | None = None
    """Set when the reply could not be written by the provider (the outcome above still holds)."""

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "request_id": self.request_id,
            "status": self.status.value,
            "owner_command": self.owner_command.as_dict(),
            "session_state": self.session_state.as_dict(),
            "avatar_state": self.avatar_state.as_dict(),
            "assistant_output": self.assistant_output.as_dict(),
            "policy_decision": self.policy_decision.as_dict(),
            "execution_receipts": [r.as_dict() for r in self.execution_receipts],
        }
        if self.confirmation is not None:
            body["confirmation"] = self.confirmation.summary()
        if self.downstream_tasks:
            body["downstream_tasks"] = [t.as_dict() for t in self.downstream_tasks]
        if self.provider_error is not None:
            body["provider_error"] = self.provider_error.as_dict()
        return body


def receipt(
    name: str, status: ReceiptStatus, reference: str, target: str, chain: env.Chain, at: datetime
) -> Receipt:
    """A receipt of ``name`` on the request's chain."""
    return Receipt(receipt=name, status=status, reference=reference, target_module=target,
                   occurred_at=at, tenant_id=chain.tenant_id, correlation_id=chain.correlation_id,
                   trace_id=chain.trace_id)  # fmt: skip

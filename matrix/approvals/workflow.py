"""The approval state machine: request, approve, reject, expire (pending → one end state, once).

Every transition is a conditional update of a *pending* row, so of several concurrent approvals,
rejections or expiries exactly one wins; the others change nothing and say why. Each transition
appends its event on the owner request's correlation, trace and causation, and a telemetry row
with the time the confirmation waited.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from matrix import envelopes as env
from matrix.approvals.ports import ApprovalStore, TaskFactory
from matrix.approvals.results import ConfirmationList, QueuedTask, Resolution
from matrix.approvals.values import (
    DEFAULT_LIST_LIMIT,
    LIST_LIMIT_CAP,
    Action,
    Approval,
    Status,
    max_pending,
    ttl_seconds,
)
from matrix.clock import Clock
from matrix.errors import ApprovalLimitError, ApprovalStateError, UsageError
from matrix.modules.tasks import Task

EXPIRY_SWEEP_LIMIT = 500


class ApprovalWorkflow:
    """The approval queue of every tenant of one store."""

    def __init__(self, store: ApprovalStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- request ----------------------------------------------------------------------------

    def ensure_room(self, tenant_id: str, configured_limit: Any) -> None:
        """Refuse a new confirmation when the tenant's queue is full (call inside the request's
        transaction, before anything is stored).

        Raises:
            ApprovalLimitError: the tenant has ``max_pending`` pending confirmations already.
        """
        limit = max_pending(configured_limit)
        pending = self.store.approvals.count_pending(tenant_id)
        if pending >= limit:
            raise ApprovalLimitError(
                f"Tenant {tenant_id!r} already has {pending} pending confirmations (the limit"
                f" is {limit}); approve, reject or let some expire first. Nothing was stored.",
                pending_count=pending, max_pending=limit,
            )  # fmt: skip

    def request(
        self, chain: env.Chain, *, reason_code: str | None, task_type: str, target_module: str,
        priority: str, route_rule_id: str, policy_rule_id: str, request_snapshot: dict[str, Any],
        configured_ttl: Any, at: datetime,
    ) -> tuple[Approval, env.Envelope]:  # fmt: skip
        """Store a pending confirmation on ``chain`` (caused by the owner command); returns it and
        its ``owner.confirmation.requested`` event for the caller to append with its own."""
        assert chain.causation_id is not None, "a confirmation is caused by an owner command"
        approval = Approval(
            confirmation_id=env.new_id(), tenant_id=chain.tenant_id, status=Status.PENDING,
            reason_code=reason_code, task_type=task_type, target_module=target_module,
            priority=priority, route_rule_id=route_rule_id, policy_rule_id=policy_rule_id,
            correlation_id=chain.correlation_id, trace_id=chain.trace_id,
            owner_command_id=chain.causation_id, request_snapshot=request_snapshot, created_at=at,
            expires_at=at + timedelta(seconds=ttl_seconds(configured_ttl)),
        )  # fmt: skip
        self.store.approvals.insert(approval)
        requested = chain.event(
            "owner.confirmation.requested", env.OWNER, env.OWNER, status="info",
            payload={"confirmation_id": approval.confirmation_id, "task_type": task_type,
                     "target_module": target_module, "reason_code": reason_code},
        )  # fmt: skip
        return approval, requested

    # -- read -------------------------------------------------------------------------------

    def list(
        self, tenant_id: str, status: str = "all", limit: int = DEFAULT_LIST_LIMIT
    ) -> ConfirmationList:
        """The origin's listing: newest first, ``status`` all|pending|approved|rejected|expired."""
        self.store.tenants.require(tenant_id)
        allowed = ["all", *[s.value for s in Status]]
        status = status or "all"
        if status not in allowed:
            raise UsageError(f"status {status!r} is not one of {allowed} (invalid_status_filter).")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise UsageError(
                f"limit must be a whole number of at least 1, got {limit!r} (invalid_limit)."
            )
        items = self.store.approvals.list(
            tenant_id,
            status=None if status == "all" else Status(status),
            limit=min(limit, LIST_LIMIT_CAP),
        )
        return ConfirmationList(tenant_id=tenant_id, status_filter=status, items=tuple(items))

    # -- approve / reject -------------------------------------------------------------------

    def resolve(
        self, tenant_id: str, confirmation_id: str, decision: str, *, actor: str,
        reason: str | None, request_id: str | None, build_task: TaskFactory,
    ) -> Resolution:  # fmt: skip
        """Approve or reject a pending confirmation, once (see ``Concierge.resolve_confirmation``).

        Approving queues the task ``build_task`` makes on the original chain.
        """
        if decision not in tuple(Action):
            raise UsageError(f'decision must be "approve" or "reject", got {decision!r}.')
        if not isinstance(actor, str) or not actor.strip():
            raise UsageError(
                "Name who resolves the confirmation (actor), e.g. the owner's session id."
            )
        request_id = request_id or env.new_id()
        now = self.clock.now()
        task: Task | None = None
        # One transaction from the read of the pending row to the resolution's telemetry: no
        # provider is called here, so nothing slow is held open, and one commit is all it costs.
        with self.store.transaction():
            self.store.tenants.require(tenant_id)
            approval = self._pending(tenant_id, confirmation_id)
            if approval.is_expired(now):
                self.expire(approval, now)
            else:
                envelopes: list[env.Envelope] = []
                if decision == Action.APPROVE:
                    task, envelopes = build_task(approval, actor)
                status = Status.APPROVED if task is not None else Status.REJECTED
                won = self.store.approvals.resolve(
                    tenant_id, confirmation_id, status=status, at=now, actor=actor,
                    reason=reason, task_id=task.task_id if task else None,
                )  # fmt: skip
                if not won:
                    current = self.store.approvals.get(tenant_id, confirmation_id)
                    raise ApprovalStateError(
                        f"Confirmation {confirmation_id} was resolved by someone else just now"
                        f" ({current.status.value if current else 'unknown'}); nothing changed.",
                        code="confirmation_not_pending",
                        status=current.status.value if current else None,
                    )
                envelopes.append(self._resolved_event(approval, task, actor, reason))
                self.store.events.append_many(envelopes)
                if task is not None:
                    self.store.tasks.enqueue(task)
                self._record(approval, status, now)
                resolved = self.store.approvals.get(tenant_id, confirmation_id)
        if approval.is_expired(now):
            # Raised after the transaction, so that the expiry it recorded is kept.
            raise ApprovalStateError(
                f"Confirmation {confirmation_id} expired at {env.timestamp(approval.expires_at)}"
                " and can no longer be approved; ask again.",
                code="confirmation_expired", status=Status.EXPIRED.value,
            )  # fmt: skip
        assert resolved is not None
        return Resolution(
            request_id=request_id,
            confirmation=resolved,
            downstream_task=QueuedTask.of(task) if task is not None else None,
        )

    def _pending(self, tenant_id: str, confirmation_id: str) -> Approval:
        approval = self.store.approvals.get(tenant_id, confirmation_id)
        if approval is None:
            raise ApprovalStateError(
                f"No confirmation {confirmation_id!r} for tenant {tenant_id!r}.",
                code="confirmation_not_found",
            )
        if approval.status is not Status.PENDING:
            raise ApprovalStateError(
                f"Confirmation {confirmation_id} is already {approval.status.value}; nothing changed.",
                code="confirmation_not_pending", status=approval.status.value,
            )  # fmt: skip
        return approval

    def _resolved_event(
        self, approval: Approval, task: Task | None, actor: str, reason: str | None
    ) -> env.Envelope:
        chain = approval.chain(self.clock)
        if task is not None:
            return chain.event(
                "owner.confirmation.approved", env.OWNER, env.OWNER, status="accepted",
                payload={"confirmation_id": approval.confirmation_id, "task_id": task.task_id,
                         "task_type": approval.task_type, "target_module": approval.target_module,
                         "actor_id": actor, "resolution_reason": reason},
            )  # fmt: skip
        return chain.event(
            "owner.confirmation.rejected", env.OWNER, env.OWNER, status="info",
            payload={"confirmation_id": approval.confirmation_id, "task_type": approval.task_type,
                     "target_module": approval.target_module, "reason_code": approval.reason_code,
                     "actor_id": actor, "resolution_reason": reason},
        )  # fmt: skip

    # -- expire -----------------------------------------------------------------------------

    def expire_due(self, *, limit: int = EXPIRY_SWEEP_LIMIT) -> int:
        """Expire every pending confirmation past its time to live (run by the scheduler)."""
        now = self.clock.now()
        expired = 0
        for approval in self.store.approvals.due_for_expiry(now, limit=limit):
            expired += self.expire(approval, now)
        return expired

    def expire(self, approval: Approval, now: datetime) -> int:
        """Expire one confirmation: 1 when this call expired it, 0 when it was no longer pending."""
        with self.store.transaction():
            if not self.store.approvals.resolve(
                approval.tenant_id, approval.confirmation_id, status=Status.EXPIRED, at=now,
                actor="scheduler", reason="expired_ttl",
            ):  # fmt: skip
                return 0
            ttl = max(1, int((approval.expires_at - approval.created_at).total_seconds()))
            self.store.events.append_many([approval.chain(self.clock).event(
                "owner.confirmation.expired", env.OWNER, env.OWNER, status="info",
                payload={"confirmation_id": approval.confirmation_id, "task_type": approval.task_type,
                         "target_module": approval.target_module, "ttl_seconds": ttl},
            )])  # fmt: skip
            self._record(approval, Status.EXPIRED, now)
        return 1

    def _record(self, approval: Approval, status: Status, now: datetime) -> None:
        # The wait from request to resolution feeds approval_wait_p95_seconds.
        self.store.telemetry.insert_many([{
            "tenant_id": approval.tenant_id, "recorded_at": now, "kind": "approval",
            "name": f"owner.confirmation.{status.value}", "module": env.OWNER, "status": status.value,
            "latency_ms": (now - approval.created_at).total_seconds() * 1000,
            "correlation_id": approval.correlation_id, "feature": approval.task_type,
        }])  # fmt: skip

"""The task an owner's request queues: its ``module.task.create`` command and
``module.task.created`` event on the chain the owner command caused — at once for an allowed
request, or when its confirmation is approved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matrix import envelopes as env
from matrix.approvals import Approval
from matrix.clock import Clock
from matrix.concierge.planner import Plan
from matrix.modules.tasks import DEFAULT_MAX_ATTEMPTS, Task, TaskStatus


def build_task(
    caused: env.Chain, planned: Plan, snapshot: dict[str, Any], actor: dict[str, str],
    now: datetime,
) -> tuple[Task, list[env.Envelope]]:  # fmt: skip
    """The queued task for ``planned``, with its command and event on ``caused``."""
    task_id = env.new_id()
    task_input = {
        "request_id": snapshot["request_id"], "session_id": snapshot["session_id"],
        "text": snapshot["text"], "attachments_count": snapshot["attachments_count"],
        "planning_rule": planned.route_rule_id,
    }  # fmt: skip
    if snapshot.get("persona_overrides"):
        task_input["persona_overrides"] = snapshot["persona_overrides"]
    if snapshot.get("routing"):
        task_input["routing"] = snapshot["routing"]
    command = caused.command(
        "module.task.create", env.OWNER, planned.target_module, actor=actor,
        payload={"task_id": task_id, "task_type": planned.task_type,
                 "priority": planned.priority, "input": task_input},
    )  # fmt: skip
    created = caused.event(
        "module.task.created", env.OWNER, planned.target_module,
        causation_id=command["command_id"],
        payload={"task_id": task_id, "task_type": planned.task_type,
                 "target_module": planned.target_module},
    )  # fmt: skip
    task = Task(
        task_id=task_id, tenant_id=caused.tenant_id, task_type=planned.task_type,
        target_module=planned.target_module, priority=planned.priority,
        status=TaskStatus.QUEUED, attempts=0, max_attempts=DEFAULT_MAX_ATTEMPTS,
        available_at=now, correlation_id=caused.correlation_id, trace_id=caused.trace_id,
        command_id=command["command_id"], command=command, created_at=now,
    )  # fmt: skip
    return task, [command, created]


def approved_task(approval: Approval, actor: str, clock: Clock) -> tuple[Task, list[env.Envelope]]:
    """The task an approved confirmation queues, on the original request's chain."""
    snapshot = approval.request_snapshot
    planned = Plan(route_rule_id=approval.route_rule_id or "confirmation_resume",
                   target_module=approval.target_module, task_type=approval.task_type,
                   priority=approval.priority)  # fmt: skip
    owner = {
        "actor_id": actor,
        "actor_type": "owner",
        "channel": snapshot.get("channel") or "ui-chat",
    }
    return build_task(approval.chain(clock), planned, snapshot, owner, clock.now())

"""Small builders of valid envelopes for tests."""

from __future__ import annotations

from typing import Any

from matrix import envelopes as env
from matrix.clock import Clock, FrozenClock


def task_chain(
    tenant_id: str, clock: Clock, *, correlation_id: str | None = None
) -> list[dict[str, Any]]:
    """A valid owner command → task → accepted → completed chain on one correlation id."""
    corr = correlation_id or env.new_id()
    trace = env.new_id()
    task_id = env.new_id()
    tick = clock.advance if isinstance(clock, FrozenClock) else (lambda _s: None)
    owner = env.command(
        "owner.command.create", tenant_id=tenant_id, source_module=env.OWNER,
        target_module=env.OWNER, correlation_id=corr, trace_id=trace, clock=clock,
        actor={"actor_id": "owner", "actor_type": "owner", "channel": "ui-chat"},
        payload={"owner_command_id": env.new_id(), "text": "follow up with Ana", "mode": "one-shot"},
    )  # fmt: skip
    chain = [owner]
    tick(0.5)
    chain.append(env.command(
        "module.task.create", tenant_id=tenant_id, source_module=env.OWNER,
        target_module=env.CRM, correlation_id=corr, trace_id=trace, clock=clock,
        causation_id=owner["command_id"],
        actor={"actor_id": "owner-concierge", "actor_type": "agent", "channel": "api"},
        payload={"task_id": task_id, "task_type": "crm.followup.send", "priority": "normal",
                 "input": {"text": "follow up with Ana"}},
    ))  # fmt: skip
    for name, status, payload in (
        ("module.task.accepted", "accepted", {"task_id": task_id, "accepted_by": "crm-worker"}),
        ("module.task.completed", "completed", {"task_id": task_id, "result_summary": "sent"}),
        ("crm.delegation.sent", "completed", {"task_id": task_id, "result_summary": "sent"}),
    ):
        tick(0.5)
        chain.append(env.event(
            name, tenant_id=tenant_id, source_module=env.CRM, target_module=env.OWNER,
            status=status, correlation_id=corr, trace_id=trace, clock=clock,
            causation_id=chain[1]["command_id"], payload=payload,
        ))  # fmt: skip
    return chain


def lead_created(tenant_id: str, clock: Clock, phone: str = "+5511999990000") -> dict[str, Any]:
    return env.event(
        "crm.lead.created", tenant_id=tenant_id, source_module=env.CRM, target_module=env.OWNER,
        clock=clock, payload={"lead_id": env.new_id(), "source_channel": "whatsapp",
                              "phone_e164": phone, "stage": "new"},
    )  # fmt: skip

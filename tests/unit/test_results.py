"""Typed results: ``as_dict()`` is the origin's body; envelopes come from one builder."""

from __future__ import annotations

from datetime import UTC, datetime

from matrix import envelopes as env
from matrix.approvals import Approval, ConfirmationList, QueuedTask, Resolution, Status
from matrix.clock import FrozenClock
from matrix.concierge import InteractionResult, PolicyView, Receipt
from matrix.concierge.ports import AssistantOutput
from matrix.concierge.responses import (
    AvatarState,
    OwnerCommandRef,
    ReceiptStatus,
    SessionState,
)
from matrix.concierge.voice import Speech, Transcription
from matrix.policy import Decision, Outcome

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _approval() -> Approval:
    return Approval(
        confirmation_id="c1", tenant_id="acme", status=Status.PENDING, reason_code="financial_writeoff",
        task_type="billing.debt.write_off", target_module=env.BILLING, priority="high",
        route_rule_id="billing_writeoff", policy_rule_id="writeoff_confirm", correlation_id="corr",
        trace_id="trace", owner_command_id="cmd", created_at=AT, expires_at=AT,
    )  # fmt: skip


def _receipt() -> Receipt:
    return Receipt(receipt="owner.command.persisted", status=ReceiptStatus.PERSISTED, reference="cmd",
                   target_module=env.OWNER, occurred_at=AT, tenant_id="acme", correlation_id="corr",
                   trace_id="trace")  # fmt: skip


def test_interaction_result_as_dict_is_the_origins_body() -> None:
    output = AssistantOutput(text="Ok.", provider="local", model=None, latency_ms=3)
    result = InteractionResult(
        request_id="r1",
        owner_command=OwnerCommandRef(command_id="cmd", correlation_id="corr"),
        session_state=SessionState.after("send_message", None),
        avatar_state=AvatarState.after("send_message", None),
        assistant_output=output,
        policy_decision=PolicyView.of("send_message", None, None),
        execution_receipts=(_receipt(),),
    )
    assert result.as_dict() == {
        "request_id": "r1",
        "status": "accepted",
        "owner_command": {"command_id": "cmd", "correlation_id": "corr", "name": "owner.command.create"},
        "session_state": {"mode": "one-shot", "state": "awaiting_user"},
        "avatar_state": {"enabled": False, "state": "disabled"},
        "assistant_output": output.as_dict(),
        "policy_decision": {"route_rule_id": None, "policy_rule_id": None, "execution_decision": "none",
                            "requires_confirmation": False, "reason_code": "no_route"},
        "execution_receipts": [{
            "receipt": "owner.command.persisted", "status": "persisted", "reference": "cmd",
            "endpoint": "/v1/owner-concierge/interaction", "method": "POST", "target_module": env.OWNER,
            "occurred_at": "2026-11-02T09:00:00.000000Z", "tenant_id": "acme", "correlation_id": "corr",
            "trace_id": "trace",
        }],
    }  # fmt: skip
    assert result["session_state"] == {"mode": "one-shot", "state": "awaiting_user"}
    assert "confirmation" not in result and "downstream_tasks" not in result


def test_session_and_avatar_states_follow_the_operation() -> None:
    on = ("toggle_continuous_mode", True)
    assert SessionState.after(*on).as_dict() == {"mode": "continuous", "state": "active_continuous"}
    assert SessionState.after("toggle_continuous_mode", False).as_dict()["state"] == "paused"
    assert SessionState.after("avatar_config_upsert", True).as_dict()["state"] == "idle"
    assert AvatarState.after(*on).as_dict() == {
        "enabled": True, "state": "ready", "voice_profile": "owner-default",
    }  # fmt: skip
    assert AvatarState.after("send_message", True).as_dict() == {
        "enabled": False,
        "state": "disabled",
    }


def test_policy_view_reports_the_decision() -> None:
    decision = Decision(outcome=Outcome.CONFIRM_REQUIRED, policy_rule_id="p", reason_code="why")
    view = PolicyView.of("toggle_continuous_mode", None, decision)
    assert view.as_dict()["execution_decision"] == "confirm_required"
    assert view.requires_confirmation is True
    assert PolicyView.of("toggle_continuous_mode", None, None).reason_code is None


def test_approval_results_as_dict() -> None:
    approval = _approval()
    task = QueuedTask(task_id="t1", target_module=env.BILLING, task_type="billing.debt.write_off")
    resolution = Resolution(request_id="r1", confirmation=approval, downstream_task=task)
    assert resolution.as_dict() == {
        "request_id": "r1", "status": "accepted", "confirmation": approval.summary(),
        "downstream_task": {"task_id": "t1", "target_module": env.BILLING,
                            "task_type": "billing.debt.write_off", "status": "queued"},
    }  # fmt: skip
    assert "downstream_task" not in Resolution(request_id="r1", confirmation=approval)
    listing = ConfirmationList(tenant_id="acme", status_filter="all", items=(approval,))
    assert listing.count == 1
    assert listing.as_dict() == {
        "tenant_id": "acme", "status_filter": "all", "count": 1, "items": [approval.summary()],
    }  # fmt: skip


def test_voice_results_as_dict() -> None:
    assert Transcription(text="oi", model="whisper-1", latency_ms=5).as_dict() == {
        "text": "oi", "provider": "openai", "model": "whisper-1", "latency_ms": 5,
    }  # fmt: skip
    assert Speech(model="tts", voice="shimmer", speed=1.5, latency_ms=7).as_dict() == {
        "provider": "openai", "model": "tts", "voice": "shimmer", "speed": 1.5, "latency_ms": 7,
    }  # fmt: skip


def test_chain_builds_what_the_builders_build() -> None:
    clock = FrozenClock(AT)
    chain = env.Chain(tenant_id="acme", clock=clock, correlation_id="corr", trace_id="trace",
                      causation_id="cause")  # fmt: skip
    made = chain.event("owner.command.created", env.OWNER, env.OWNER, {"x": 1}, "info")
    direct = env.event("owner.command.created", tenant_id="acme", source_module=env.OWNER,
                       target_module=env.OWNER, payload={"x": 1}, status="info",
                       correlation_id="corr", causation_id="cause", trace_id="trace", clock=clock)  # fmt: skip
    assert list(made) == list(direct)
    assert {**made, "event_id": ""} == {**direct, "event_id": ""}
    actor = {"actor_id": "o", "actor_type": "owner", "channel": "ui-chat"}
    command = chain.command(
        "module.task.create", env.OWNER, env.AGENDA, {}, actor, causation_id="c2"
    )
    assert list(command) == [
        "schema_version", "kind", "command_id", "name", "tenant_id", "source_module",
        "target_module", "created_at", "correlation_id", "trace_id", "actor", "payload",
        "causation_id",
    ]  # fmt: skip
    assert (
        command["causation_id"] == "c2" and command["created_at"] == "2026-11-02T09:00:00.000000Z"
    )
    assert "causation_id" not in env.Chain(tenant_id="a", clock=clock, correlation_id="c",
                                           trace_id="t").event("e", "s", "t", {})  # fmt: skip

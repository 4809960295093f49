"""Persona 1 on both backends: the origin's shapes, defaults and limits, and each fixed quirk."""

from __future__ import annotations

import pytest

from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.errors import (
    ApprovalLimitError,
    ApprovalStateError,
    NotFoundError,
    PolicyError,
    ProviderError,
    UsageError,
)
from matrix.storage import Store

WRITE_OFF = "Write off Pedro's debt"


def _names(store: Store, tenant: str, corr: str) -> list[str]:
    return [e["name"] for e in store.events.trace(tenant, corr)]


def _counts(store: Store) -> tuple[int, int, dict[str, int]]:
    with store.backend.transaction() as tx:
        approvals = tx.query("SELECT count(*) FROM approvals")[0][0]
    return store.events.count("acme"), approvals, store.tasks.counts("acme")


def test_greeting_creates_no_task(concierge: Concierge, store: Store) -> None:
    result = concierge.interact("acme", "s1", "Oi, tudo bem?")
    assert result["status"] == "accepted"
    assert result["policy_decision"] == {
        "route_rule_id": None, "policy_rule_id": None, "execution_decision": "none",
        "requires_confirmation": False, "reason_code": "no_route",
    }  # fmt: skip
    assert "downstream_tasks" not in result and "confirmation" not in result
    assert [r["receipt"] for r in result["execution_receipts"]] == ["owner.command.persisted"]
    assert store.tasks.counts("acme") == {}
    corr = result["owner_command"]["correlation_id"]
    assert _names(store, "acme", corr) == [
        "owner.command.create", "owner.command.created", "owner.response.sent",
    ]  # fmt: skip


def test_allowed_request_queues_one_task_on_the_same_correlation(
    concierge: Concierge, store: Store
) -> None:
    result = concierge.interact("acme", "s1", "Agendar reunião com a Ana sexta às 10h")
    decision = result["policy_decision"]
    assert (
        decision["execution_decision"] == "allow"
        and decision["route_rule_id"] == "agenda_commitment"
    )
    [task] = result["downstream_tasks"]
    assert task["task_type"] == "agenda.commitment.schedule" and task["status"] == "queued"
    assert [r["receipt"] for r in result["execution_receipts"]] == [
        "owner.command.persisted",
        "module.task.queued",
    ]
    corr = result["owner_command"]["correlation_id"]
    assert _names(store, "acme", corr) == [
        "owner.command.create", "owner.command.created", "owner.decision.made", "module.task.create",
        "module.task.created", "owner.response.sent",
    ]  # fmt: skip
    trace = store.events.trace("acme", corr)
    assert len({e["trace_id"] for e in trace}) == 1
    assert trace[2]["causation_id"] == trace[0]["command_id"]
    stored = store.tasks.get("acme", task["task_id"])
    assert stored is not None and stored.correlation_id == corr and stored.status.value == "queued"
    output = result["assistant_output"]
    assert output["provider"] == "local" and output["model"] == "deterministic-rule-v1"
    assert "Ana" not in output["text"]  # the local provider never echoes the owner's text


def test_denied_request_stores_the_command_but_no_task(concierge: Concierge, store: Store) -> None:
    result = concierge.interact("acme", "s1", "Excluir o cliente Pedro")
    assert result["policy_decision"]["execution_decision"] == "deny"
    assert result["policy_decision"]["reason_code"] == "sensitive_customer_delete"
    assert store.tasks.counts("acme") == {}
    assert "downstream_tasks" not in result


def test_confirmation_required_creates_a_pending_approval(
    concierge: Concierge, store: Store
) -> None:
    result = concierge.interact("acme", "s1", WRITE_OFF)
    confirmation = result["confirmation"]
    assert (
        confirmation["status"] == "pending" and confirmation["reason_code"] == "financial_writeoff"
    )
    assert result["policy_decision"]["requires_confirmation"] is True
    assert store.tasks.counts("acme") == {}
    corr = result["owner_command"]["correlation_id"]
    assert _names(store, "acme", corr)[-2:] == [
        "owner.confirmation.requested",
        "owner.response.sent",
    ]
    listing = concierge.list_confirmations("acme", "pending")
    assert (
        listing["count"] == 1
        and listing["items"][0]["confirmation_id"] == confirmation["confirmation_id"]
    )


def test_approve_queues_the_task_once_on_the_original_chain(
    concierge: Concierge, store: Store
) -> None:
    result = concierge.interact("acme", "s1", WRITE_OFF)
    cid, corr = result["confirmation"]["confirmation_id"], result["owner_command"]["correlation_id"]
    approved = concierge.resolve_confirmation(
        "acme", cid, "approve", actor="owner-1", reason="agreed by phone"
    )
    assert approved["confirmation"]["status"] == "approved"
    assert approved["confirmation"]["resolved_by"] == "owner-1"
    assert approved["confirmation"]["resolution_reason"] == "agreed by phone"
    assert approved["downstream_task"]["status"] == "queued"
    with pytest.raises(ApprovalStateError) as info:
        concierge.resolve_confirmation("acme", cid, "approve", actor="owner-1")
    assert info.value.code == "confirmation_not_pending" and info.value.status == "approved"
    assert store.tasks.counts("acme") == {"queued": 1}
    names = _names(store, "acme", corr)
    assert names[-3:] == [
        "module.task.create",
        "module.task.created",
        "owner.confirmation.approved",
    ]
    task_command = store.events.trace("acme", corr)[-3]
    assert task_command["causation_id"] == result["owner_command"]["command_id"]


def test_reject_records_who_and_why(concierge: Concierge, store: Store) -> None:
    cid = concierge.interact("acme", "s1", WRITE_OFF)["confirmation"]["confirmation_id"]
    rejected = concierge.resolve_confirmation(
        "acme", cid, "reject", actor="owner-2", reason="not now"
    )
    assert "downstream_task" not in rejected
    summary = rejected["confirmation"]
    assert (summary["status"], summary["resolved_by"], summary["resolution_reason"]) == (
        "rejected",
        "owner-2",
        "not now",
    )
    assert store.tasks.counts("acme") == {}


def test_unknown_or_foreign_confirmation_is_not_found(concierge: Concierge, store: Store) -> None:
    store.tenants.add("globex")
    cid = concierge.interact("acme", "s1", WRITE_OFF)["confirmation"]["confirmation_id"]
    with pytest.raises(ApprovalStateError) as info:
        concierge.resolve_confirmation("globex", cid, "approve", actor="mallory")
    assert info.value.code == "confirmation_not_found"
    assert concierge.list_confirmations("globex")["count"] == 0
    assert store.approvals.get("acme", cid).status.value == "pending"  # type: ignore[union-attr]


def test_expiry_is_done_by_the_scheduler_not_on_read(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    cid = concierge.interact("acme", "s1", WRITE_OFF)["confirmation"]["confirmation_id"]
    clock.advance(899)
    assert concierge.expire_due() == 0
    clock.advance(2)
    assert concierge.list_confirmations("acme", "pending")["count"] == 1  # reading changes nothing
    assert concierge.expire_due() == 1
    assert concierge.expire_due() == 0
    assert concierge.list_confirmations("acme", "expired")["items"][0]["confirmation_id"] == cid
    corr = store.approvals.get("acme", cid).correlation_id  # type: ignore[union-attr]
    assert _names(store, "acme", corr)[-1] == "owner.confirmation.expired"
    with pytest.raises(ApprovalStateError) as info:
        concierge.resolve_confirmation("acme", cid, "approve", actor="owner")
    assert info.value.code == "confirmation_not_pending" and info.value.status == "expired"


def test_approving_past_the_ttl_before_the_sweep_expires_it(
    concierge: Concierge, clock: FrozenClock
) -> None:
    cid = concierge.interact("acme", "s1", WRITE_OFF)["confirmation"]["confirmation_id"]
    clock.advance(901)
    with pytest.raises(ApprovalStateError) as info:
        concierge.resolve_confirmation("acme", cid, "approve", actor="owner")
    assert info.value.code == "confirmation_expired"
    assert concierge.list_confirmations("acme", "expired")["count"] == 1


def test_pending_limit_refuses_and_stores_nothing(concierge: Concierge, store: Store) -> None:
    concierge.save_config("acme", {"execution": {"max_pending_confirmations": 2}})
    concierge.interact("acme", "s1", WRITE_OFF)
    concierge.interact("acme", "s1", WRITE_OFF)
    before = _counts(store)
    with pytest.raises(ApprovalLimitError) as info:
        concierge.interact("acme", "s1", WRITE_OFF)
    assert (info.value.pending_count, info.value.max_pending) == (2, 2)
    assert info.value.code == "confirmation_queue_limit_reached"
    assert _counts(store) == before
    assert concierge.interact("acme", "s1", "Oi!")["status"] == "accepted"  # other work goes on


def test_strict_openai_without_a_key_refuses_and_stores_nothing(
    concierge: Concierge, store: Store
) -> None:
    concierge.save_config("acme", {"provider": {"mode": "openai"}})
    before = _counts(store)
    with pytest.raises(ProviderError) as info:
        concierge.interact("acme", "s1", "Agendar reunião com a Ana")
    assert info.value.code == "openai_api_key_missing"
    assert _counts(store) == before


def test_default_limits_are_the_origins(concierge: Concierge) -> None:
    summary = concierge.config_summary("acme")
    assert summary["execution"]["confirmations_enabled"] is True
    assert summary["execution"]["max_pending_confirmations"] == 20
    assert summary["execution"]["confirmation_ttl_seconds"] == 900
    concierge.save_config("acme", {"execution": {"confirmation_ttl_seconds": 600}})
    with pytest.raises(UsageError) as info:  # refused, never clamped nor reset to the default
        concierge.save_config(
            "acme",
            {"execution": {"max_pending_confirmations": 10_000, "confirmation_ttl_seconds": 0}},
        )
    assert str(info.value) == (
        "Invalid runtime config: execution.max_pending_confirmations must be a whole number from"
        " 1 to 500, got 10000; execution.confirmation_ttl_seconds must be a whole number from 1 to"
        " 604800, got 0."
    )
    summary = concierge.config_summary("acme")
    assert summary["execution"]["max_pending_confirmations"] == 20
    assert summary["execution"]["confirmation_ttl_seconds"] == 600


def test_saving_unrelated_config_keeps_confirmations_on(concierge: Concierge) -> None:
    """The origin silently turned confirmations off for any tenant that saved its config."""
    concierge.save_config("acme", {"personas": {"owner_concierge_prompt": "Seja breve."}})
    assert (
        concierge.interact("acme", "s1", WRITE_OFF)["policy_decision"]["execution_decision"]
        == "confirm_required"
    )
    concierge.save_config("acme", {"execution": {"confirmations_enabled": False}})
    result = concierge.interact("acme", "s1", WRITE_OFF)
    assert result["policy_decision"]["execution_decision"] == "allow"
    assert result["policy_decision"]["reason_code"] == "tenant_runtime_confirmations_disabled"


def test_config_changes_are_recorded_as_config_deployments(
    concierge: Concierge, store: Store
) -> None:
    concierge.save_config(
        "acme", {"openai": {"model": "gpt-4.1-mini"}, "personas": {"owner_concierge_prompt": "Olá"}}
    )
    changes = store.events.list("acme", name="tenant.config.changed")
    kinds = sorted(e["payload"]["config_kind"] for e in changes)
    assert kinds == ["model", "prompt"]
    assert {e["payload"]["version"] for e in changes} == {"1"}


def test_tenant_key_is_kept_when_omitted_and_never_shown(
    concierge: Concierge, store: Store
) -> None:
    key = "sk-test-SECRET-0123456789abcdef"
    summary = concierge.save_config("acme", {"openai": {"api_key": f"{key} trailing-junk"}})
    assert summary["openai"]["api_key_configured"] is True and key not in str(summary)
    concierge.save_config("acme", {"openai": {"model": "gpt-5-mini"}})
    assert store.runtime_config.secret("acme", "openai.api_key") == key
    concierge.save_config("acme", {"openai": {"api_key": ""}})
    assert store.runtime_config.secret("acme", "openai.api_key") is None
    assert concierge.config_summary("acme")["openai"]["api_key_configured"] is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": ""}, "payload.text must not be empty"),
        ({"text": "   "}, "payload.text must not be empty"),
        ({"text": "x" * 20_001}, "payload.text is 20,001 characters"),
        (
            {"text": "hi", "attachments": [{"type": "image", "data_base64": "A" * 8_000_001}]},
            "data_base64 is 8,000,001 characters",
        ),
        ({"text": "hi", "attachments": [{"type": "video"}]}, "attachments[0].type must be one of"),
        ({"text": "hi", "operation": "dance"}, "operation must be one of"),
        ({"text": "hi", "persona_overrides": {}}, "at least one non-blank prompt"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(
    concierge: Concierge, store: Store, kwargs: dict, message: str
) -> None:  # type: ignore[type-arg]
    before = _counts(store)
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
        concierge.interact("acme", "s1", **kwargs)
    assert _counts(store) == before


def test_unknown_tenant_is_refused(concierge: Concierge, store: Store) -> None:
    with pytest.raises(NotFoundError, match="Unknown tenant 'nobody'"):
        concierge.interact("nobody", "s1", "hello")
    assert store.events.count("nobody") == 0


def test_malformed_tenant_rules_are_refused_at_save(concierge: Concierge, store: Store) -> None:
    bad = {"version": "1", "rules": [{"rule_id": "x", "all": [["pay"]], "route": {"target_module": "mod-05-faturamento-cobranca", "task_type": "billing.refund", "priority": "normal"}}]}  # fmt: skip
    with pytest.raises(
        UsageError, match=r"tenant policy.routing: rules\[0\] \(x\).route.task_type"
    ):
        concierge.save_config("acme", {"policy": {"routing": bad}})
    assert store.runtime_config.get("acme") is None


def test_tenant_rule_override_replaces_the_shipped_rules(concierge: Concierge) -> None:
    routing = {"version": "t1", "rules": [{"rule_id": "pizza", "all": [["pizza"]], "route": {"target_module": "mod-04-agenda", "task_type": "agenda.commitment.schedule", "priority": "low"}}]}  # fmt: skip
    policy = {
        "version": "t1",
        "default_decision": {"decision": "deny", "reason_code": "locked_down"},
        "rules": [],
    }
    concierge.save_config("acme", {"policy": {"routing": routing, "execution": policy}})
    result = concierge.interact("acme", "s1", "order a pizza for the meeting")
    assert result["policy_decision"]["route_rule_id"] == "pizza"
    assert result["policy_decision"]["execution_decision"] == "deny"
    assert (
        concierge.interact("acme", "s1", "Schedule a meeting")["policy_decision"]["route_rule_id"]
        is None
    )


def test_unknown_decision_and_missing_actor_are_usage_errors(concierge: Concierge) -> None:
    cid = concierge.interact("acme", "s1", WRITE_OFF)["confirmation"]["confirmation_id"]
    with pytest.raises(UsageError, match="approve"):
        concierge.resolve_confirmation("acme", cid, "maybe", actor="owner")
    with pytest.raises(UsageError, match="actor"):
        concierge.resolve_confirmation("acme", cid, "approve", actor=" ")
    with pytest.raises(UsageError, match="invalid_status_filter"):
        concierge.list_confirmations("acme", "waiting")
    with pytest.raises(UsageError, match="invalid_limit"):
        concierge.list_confirmations("acme", "all", 0)
    assert concierge.list_confirmations("acme", "all", 10_000)["count"] == 1


def test_every_interaction_writes_telemetry(concierge: Concierge, store: Store) -> None:
    concierge.interact("acme", "s1", "Oi")
    concierge.interact("acme", "s1", "Schedule a meeting with Ana")
    with store.backend.transaction() as tx:
        rows = tx.query(
            "SELECT kind, name, status, provider, model, input_tokens > 0, output_tokens > 0"
            " FROM telemetry WHERE tenant_id = 'acme' ORDER BY kind, recorded_at"
        )
    kinds = [r[0] for r in rows]
    assert kinds.count("provider_call") == 2 and kinds.count("request") == 2
    provider_rows = [r for r in rows if r[0] == "provider_call"]
    assert all(
        r[3] == "local" and r[4] == "deterministic-rule-v1" and r[5] and r[6] for r in provider_rows
    )


def test_toggle_and_avatar_operations_have_the_origins_states(
    concierge: Concierge, store: Store
) -> None:
    on = concierge.interact("acme", "s1", operation="toggle_continuous_mode", enabled=True)
    assert on["session_state"] == {"mode": "continuous", "state": "active_continuous"}
    assert on["avatar_state"]["state"] == "ready"
    assert on["assistant_output"]["fallback_reason"] == "non_message_operation"
    off = concierge.interact("acme", "s1", operation="toggle_continuous_mode", enabled=False)
    assert off["session_state"] == {"mode": "one-shot", "state": "paused"}
    assert store.tasks.counts("acme") == {}


def test_invalid_rules_file_error_type(concierge: Concierge) -> None:
    with pytest.raises(PolicyError):
        from matrix.policy import parse_routing

        parse_routing({"version": "1", "rules": []}, "x")


def test_audio_through_the_tenant_key_with_usage_rows(
    concierge: Concierge, store: Store, openai_server
) -> None:  # type: ignore[no-untyped-def]
    from matrix.errors import ProviderError

    with pytest.raises(ProviderError) as info:
        concierge.transcribe("acme", b"voice")
    assert info.value.code == "openai_not_configured"
    concierge.save_config(
        "acme", {"openai": {"api_key": "sk-audio-0123456789", "base_url": openai_server.base_url}}
    )
    assert concierge.transcribe("acme", b"voice")["text"]
    audio, meta = concierge.speak("acme", "Olá", speed=10)
    assert audio and meta["speed"] == 4.0
    concierge.save_config("acme", {"openai": {"voice_enabled": False}})
    with pytest.raises(ProviderError) as info:
        concierge.speak("acme", "Olá")
    assert info.value.code == "voice_disabled_by_tenant"
    with store.backend.transaction() as tx:
        features = sorted(
            r[0]
            for r in tx.query(
                "SELECT feature FROM telemetry WHERE kind = 'provider_call' AND tenant_id = 'acme'"
            )
        )
    assert features == ["speech", "transcription"]

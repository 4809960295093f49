"""A tenant with its own AI key: the intent classifier proposes the task through the real openai
client (against the OpenAI-compatible server on 127.0.0.1), the rules guard it, and the policy
decides on what is chosen — on both backends."""

from __future__ import annotations

import json
from typing import Any

import pytest

from matrix.concierge import Concierge
from matrix.storage import Store
from matrix.testing.openai_server import Behavior, OpenAIServer

WRITE_OFF = "dê baixa como perda na fatura vencida do cliente Pedro"


@pytest.fixture
def keyed(concierge: Concierge, openai_server: OpenAIServer) -> Concierge:
    concierge.save_config(
        "acme", {"openai": {"api_key": "sk-acme-0123456789", "base_url": openai_server.base_url}}
    )
    return concierge


def _says(task_type: str) -> Behavior:
    return Behavior(reply=json.dumps({"task_type": task_type, "language": "pt", "customer_name": "Pedro",
                                      "phone": None, "amount": None, "when": None}))  # fmt: skip


def _calls(store: Store, corr: str) -> list[tuple[Any, ...]]:
    with store.backend.transaction() as tx:
        return tx.query(
            "SELECT name, status, error_code, feature FROM telemetry"
            " WHERE correlation_id = ? AND kind = 'provider_call'"
            # the turn's memory embedding is its own priced call, counted in the memory tests
            " AND feature <> 'memory_embedding' ORDER BY name",
            [corr],
        )


def test_a_model_saying_collection_cannot_skip_the_write_off_approval(
    keyed: Concierge, store: Store, openai_server: OpenAIServer
) -> None:
    openai_server.script("responses", _says("billing.collection.request"))
    result = keyed.interact("acme", "s1", WRITE_OFF)
    assert result["policy_decision"]["execution_decision"] == "confirm_required"
    assert result["policy_decision"]["route_rule_id"] == "billing_writeoff"
    assert result["confirmation"]["status"] == "pending" and store.tasks.counts("acme") == {}
    approval = store.approvals.get("acme", result["confirmation"]["confirmation_id"])
    assert approval is not None and approval.request_snapshot["routing"] == {
        "source": "rules", "reason": "guard_rules_stricter", "rules_task_type": "billing.writeoff.request",
        "model_task_type": "billing.collection.request", "fields": {"customer_name": "Pedro"},
    }  # fmt: skip
    # Approved, the task carries how it was routed.
    resolution = keyed.resolve_confirmation(
        "acme", approval.confirmation_id, "approve", actor="owner"
    )
    task = store.tasks.get("acme", resolution["downstream_task"]["task_id"])
    assert task is not None and task.task_type == "billing.writeoff.request"
    assert task.command["payload"]["input"]["routing"]["reason"] == "guard_rules_stricter"
    corr = result["owner_command"]["correlation_id"]
    assert _calls(store, corr) == [("owner.classify", "ok", None, "intent_routing"),
                                   ("owner.respond", "ok", None, "owner_chat")]  # fmt: skip


def test_a_model_proposing_a_forbidden_action_is_refused(
    keyed: Concierge, store: Store, openai_server: OpenAIServer
) -> None:
    openai_server.script("responses", _says("customer.delete.request"))
    result = keyed.interact("acme", "s1", "atualiza o telefone do Pedro pra 21 99999-1234")
    decision = result["policy_decision"]
    assert (decision["execution_decision"], decision["reason_code"]) == (
        "deny",
        "sensitive_customer_delete",
    )
    assert decision["route_rule_id"] == "intent_model"
    assert store.tasks.counts("acme") == {} and result.confirmation is None


def test_the_model_routes_what_the_rules_miss(
    keyed: Concierge, store: Store, openai_server: OpenAIServer
) -> None:
    openai_server.script("responses", _says("crm.followup.send"))
    result = keyed.interact("acme", "s1", "dá um alô pra Fabiana, faz tempo que ela não aparece")
    assert result["policy_decision"]["route_rule_id"] == "intent_model"
    [queued] = result["downstream_tasks"]
    task = store.tasks.get("acme", queued["task_id"])
    assert task is not None and task.task_type == "crm.followup.send"
    assert task.command["payload"]["input"]["routing"]["source"] == "model"


def test_garbage_from_the_model_falls_back_to_the_rules(
    keyed: Concierge, store: Store, openai_server: OpenAIServer
) -> None:
    openai_server.script("responses", Behavior(reply="Claro, já cobrei o Pedro!"))
    result = keyed.interact("acme", "s1", "cobra o Pedro, a fatura dele venceu ontem")
    assert result["policy_decision"]["route_rule_id"] == "billing_collection"
    [queued] = result["downstream_tasks"]
    task = store.tasks.get("acme", queued["task_id"])
    assert task is not None
    assert (
        task.command["payload"]["input"]["routing"]["reason"]
        == "fallback:openai_classify_invalid_payload"
    )
    corr = result["owner_command"]["correlation_id"]
    assert _calls(store, corr)[0] == (
        "owner.classify",
        "error",
        "openai_classify_invalid_payload",
        "intent_routing",
    )
    with store.backend.transaction() as tx:  # priced as the model asked, never an unnamed model
        rows = tx.query("SELECT provider, model FROM telemetry WHERE name = 'owner.classify'")
    assert rows == [("openai", "gpt-5-mini")]


def test_a_tenant_without_a_key_is_routed_by_the_rules_alone(
    concierge: Concierge, store: Store, openai_server: OpenAIServer
) -> None:
    result = concierge.interact("acme", "s1", WRITE_OFF)
    assert result["policy_decision"]["route_rule_id"] == "billing_writeoff"
    assert openai_server.count("responses") == 0
    corr = result["owner_command"]["correlation_id"]
    assert _calls(store, corr) == [("owner.respond", "ok", None, "owner_chat")]

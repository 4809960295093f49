"""The intent classifier through the real openai client against the OpenAI-compatible server on
127.0.0.1: structured output, the rules as its fallback and its guard, the policy deciding last."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from matrix.concierge.intent import (
    MODEL_RULE_ID,
    RouteSource,
    intent_schema,
    read_proposal,
    routable,
    route,
)
from matrix.config import Settings
from matrix.policy import TASK_TYPES, Outcome, decide, shipped_policy, shipped_routing
from matrix.providers import TenantAI, selector
from matrix.providers.openai import OpenAIProvider
from matrix.testing.openai_server import Behavior, OpenAIServer

ROUTING = shipped_routing()
POLICY = shipped_policy()
KEY = "sk-tenant-0123456789abcdefSECRET"
AT = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _classifier(server: OpenAIServer) -> OpenAIProvider:
    return OpenAIProvider(
        api_key=KEY, model="gpt-5-mini", base_url=server.base_url, timeout=2.0, max_retries=0
    )


def _says(task_type: str, **fields: Any) -> Behavior:
    answer = {"task_type": task_type, "language": "pt", "customer_name": None, "phone": None,
              "amount": None, "when": None} | fields  # fmt: skip
    return Behavior(reply=json.dumps(answer))


def test_the_request_asks_for_strict_structured_output(openai_server: OpenAIServer) -> None:
    openai_server.script("responses", _says("crm.followup.send", customer_name="Ana"))
    routed = route("manda um zap pra Ana", ROUTING, POLICY, _classifier(openai_server), "acme")
    body = openai_server.requests[-1]["json"]
    schema_format = body["text"]["format"]
    assert schema_format["type"] == "json_schema" and schema_format["strict"] is True
    schema = schema_format["schema"]
    assert schema["properties"]["task_type"]["enum"] == [*TASK_TYPES, "none"]
    assert (
        set(schema["required"]) == set(schema["properties"]) and not schema["additionalProperties"]
    )
    assert body["input"][0]["content"][0]["text"] == "manda um zap pra Ana"
    assert "crm.campaign.send" in body["instructions"] and KEY not in json.dumps(body)
    assert (
        routed.reason == "model_agrees"
        and routed.plan
        and routed.plan.route_rule_id == "crm_followup"
    )
    assert routed.output and routed.output.usage.input > 0
    assert routed.audit()["fields"] == {"customer_name": "Ana"}


def test_the_model_routes_what_the_rules_miss(openai_server: OpenAIServer) -> None:
    text = "dá um alô pra Fabiana, faz tempo que ela não aparece"
    assert route(text, ROUTING, POLICY, None, "acme").plan is None  # the rules see nothing
    openai_server.script("responses", _says("crm.followup.send"))
    routed = route(text, ROUTING, POLICY, _classifier(openai_server), "acme")
    assert routed.source is RouteSource.MODEL and routed.reason == "model"
    assert routed.plan and routed.plan.route_rule_id == MODEL_RULE_ID
    assert (
        routed.plan.task_type == "crm.followup.send"
        and routed.plan.target_module == "mod-02-whatsapp-crm"
    )


@pytest.mark.parametrize(
    ("text", "model_says", "kept", "outcome"),
    [
        # The rules see a write-off (held for approval): a model saying "collection" cannot send
        # the customer a collection message instead.
        ("dê baixa como perda na fatura vencida do cliente Pedro", "billing.collection.request",
         "billing.writeoff.request", Outcome.CONFIRM_REQUIRED),
        # The rules see a delete (refused): nor "update", nor no task at all, unrefuses it.
        ("apaga o cadastro do cliente Pedro", "customer.upsert", "customer.delete.request", Outcome.DENY),
        ("apaga o cadastro do cliente Pedro", "none", "customer.delete.request", Outcome.DENY),
        # A campaign (held for approval) is not turned into one message sent now.
        ("manda pra todos os clientes a promoção de natal", "crm.followup.send", "crm.campaign.send",
         Outcome.CONFIRM_REQUIRED),
    ],
)  # fmt: skip
def test_no_model_output_turns_a_refusal_or_an_approval_into_allow(
    openai_server: OpenAIServer, text: str, model_says: str, kept: str, outcome: Outcome
) -> None:
    openai_server.script("responses", _says(model_says))
    routed = route(text, ROUTING, POLICY, _classifier(openai_server), "acme")
    assert routed.reason == "guard_rules_stricter" and routed.source is RouteSource.RULES
    assert routed.plan and routed.plan.task_type == kept
    assert decide(kept, routed.plan.target_module, POLICY).outcome is outcome
    assert routed.audit()["model_task_type"] == (None if model_says == "none" else model_says)


def test_a_model_proposing_a_forbidden_action_is_refused_by_the_policy(
    openai_server: OpenAIServer,
) -> None:
    text = "atualiza o telefone do Pedro pra 21 99999-1234"
    openai_server.script("responses", _says("customer.delete.request"))
    routed = route(text, ROUTING, POLICY, _classifier(openai_server), "acme")
    assert routed.source is RouteSource.MODEL and routed.plan is not None
    decision = decide(routed.plan.task_type, routed.plan.target_module, POLICY)
    assert (decision.outcome, decision.policy_rule_id) == (Outcome.DENY, "deny_customer_delete")


def test_the_model_may_hold_back_an_allowed_task(openai_server: OpenAIServer) -> None:
    """No task is never milder than a task that runs: the model may answer a question the rules
    took for a collection."""
    text = "o Pedro ainda tá devendo aquela fatura?"
    assert route(text, ROUTING, POLICY, None, "acme").plan is not None
    openai_server.script("responses", _says("none"))
    routed = route(text, ROUTING, POLICY, _classifier(openai_server), "acme")
    assert routed.plan is None and routed.reason == "model"


@pytest.mark.parametrize(
    ("behavior", "reason"),
    [
        (Behavior(reply="Claro! Vou cobrar o Pedro agora mesmo."), "fallback:openai_classify_invalid_payload"),
        (Behavior(reply="[1, 2, 3]"), "fallback:openai_classify_invalid_payload"),
        (Behavior(body="not json at all"), "fallback:openai_classify_invalid_payload"),
        (Behavior(status=500), "fallback:openai_classify_http_500"),
        (Behavior(status=429), "fallback:openai_classify_http_429"),
        (Behavior(delay=2.5), "fallback:openai_classify_timeout"),
        (_says("billing.refund.request"), "fallback:invalid_output"),  # not one of the task types
        (_says("crm.followup.send", amount="dez"), "fallback:invalid_output"),  # a field of the wrong type
        (Behavior(reply=json.dumps({"task_type": "none"})), "fallback:invalid_output"),  # fields missing
    ],
)  # fmt: skip
def test_garbage_or_a_failure_falls_back_to_the_rules(
    openai_server: OpenAIServer, behavior: Behavior, reason: str
) -> None:
    openai_server.script("responses", behavior)
    text = "cobra o Rui, a fatura dele venceu ontem"
    routed = route(text, ROUTING, POLICY, _classifier(openai_server), "acme")
    assert routed.reason == reason and routed.source is RouteSource.RULES
    assert routed.plan and routed.plan.task_type == "billing.collection.request"
    row = routed.call_row("acme", "corr", AT)
    assert row is not None and row["status"] == "error" and row["name"] == "owner.classify"
    assert openai_server.count("responses") == 1 and openai_server.count("chat") == 0  # no retry


def test_no_key_no_classifier() -> None:
    providers = selector(Settings.load(provider_mode="local"))
    assert providers.classifier(TenantAI(mode="local")) is None
    with_key = providers.classifier(TenantAI(api_key=KEY, base_url="http://127.0.0.1:9/v1"))
    assert isinstance(with_key, OpenAIProvider)
    routed = route("cobra o Rui", ROUTING, POLICY, None, "acme")
    assert routed.reason == "rules_only" and routed.call_row("acme", "c", AT) is None


def test_the_schema_follows_the_tenants_routing() -> None:
    from matrix.policy import parse_routing

    table = parse_routing({"version": "t", "rules": [{"rule_id": "pizza", "all": [["pizza"]], "route": {
        "target_module": "mod-04-agenda", "task_type": "agenda.commitment.schedule", "priority": "low"}}]})  # fmt: skip
    assert routable(table) == ("agenda.commitment.schedule",)
    schema = intent_schema(routable(table))
    assert schema["properties"]["task_type"]["enum"] == ["agenda.commitment.schedule", "none"]
    fine = {"task_type": "agenda.commitment.schedule", "language": "en", "customer_name": None,
            "phone": None, "amount": None, "when": "friday 10am"}  # fmt: skip
    assert read_proposal(fine, routable(table)) is not None
    assert read_proposal(fine | {"task_type": "crm.followup.send"}, routable(table)) is None
    assert read_proposal(fine | {"amount": True}, routable(table)) is None


def test_the_test_server_answers_structured_output_like_the_rules(
    openai_server: OpenAIServer,
) -> None:
    """Unscripted, the stand-in model agrees with the shipped rules (what the simulator relies on)."""
    routed = route("Write off Pedro's debt", ROUTING, POLICY, _classifier(openai_server), "acme")
    assert routed.reason == "model_agrees" and routed.proposal is not None
    assert routed.proposal.language == "en"


def test_every_task_type_is_described_to_the_classifier() -> None:
    from matrix.concierge.intent import TASK_DESCRIPTIONS, instructions

    assert set(TASK_DESCRIPTIONS) == set(TASK_TYPES)
    assert all(t in instructions(TASK_TYPES) for t in TASK_TYPES)

"""Routing and policy rules: bilingual routing, every shipped decision reachable, strict loading."""

from __future__ import annotations

import json

import pytest

from matrix.concierge.planner import plan
from matrix.errors import PolicyError
from matrix.policy import (
    CONFIRMATIONS_DISABLED,
    TASK_TYPES,
    Outcome,
    decide,
    parse_policy,
    parse_routing,
    shipped_policy,
    shipped_routing,
)
from tests.conftest import ROOT

ROUTING = shipped_routing()
POLICY = shipped_policy()


@pytest.mark.parametrize(
    ("text", "task_type"),
    [
        ("Oi, tudo bem?", None),
        ("Hello!", None),
        ("good morning, how are you?", None),
        ("Obrigado!", None),
        ("What is my revenue this month?", None),
        ("Agendar reunião com a Ana sexta às 10h", "agenda.commitment.schedule"),
        ("Schedule a meeting with Ana on Friday", "agenda.commitment.schedule"),
        ("Cobrar a fatura vencida do João", "billing.collection.request"),
        ("Collect the overdue invoice from John", "billing.collection.request"),
        ("Crie uma cobrança de R$ 300 para a Ana", "billing.charge.create"),
        ("Create an invoice for Ana, 300 reais", "billing.charge.create"),
        ("Excluir o cliente Pedro", "customer.delete.request"),
        ("Please delete the customer Pedro", "customer.delete.request"),
        ("Dar baixa na dívida do Pedro", "billing.writeoff.request"),
        ("Write off Pedro's debt", "billing.writeoff.request"),
        ("Disparar a campanha de Black Friday", "crm.campaign.send"),
        ("Send the Black Friday campaign to everyone", "crm.campaign.send"),
        ("Cadastrar cliente Maria Souza", "customer.upsert"),
        ("Register a new customer, Maria", "customer.upsert"),
        ("Novo lead: Carla, da padaria", "lead_capture"),
        ("Send a follow-up to Ana on WhatsApp", "crm.followup.send"),
        ("Mande uma mensagem para a Ana", "crm.followup.send"),
    ],
)
def test_routing_understands_portuguese_and_english(text: str, task_type: str | None) -> None:
    planned = plan(text, ROUTING)
    if task_type is None:
        assert planned is None
    elif task_type == "lead_capture":
        assert planned is not None and planned.task_type == "crm.lead.capture"
    else:
        assert planned is not None and planned.task_type == task_type


def test_substring_is_not_a_keyword_match() -> None:
    """The origin matched substrings ("contato" inside "contatos" fine, but also "fail" in "failsafe")."""
    assert plan("A agenda de hoje está livre?", ROUTING) is not None  # agend* is a stem on purpose
    assert plan("the dealership called", ROUTING) is None  # "deal" alone is no keyword


def test_shipped_routing_reaches_every_shipped_policy_decision() -> None:
    outcomes = {}
    for text in (
        "delete the customer Pedro",
        "write off Pedro's debt",
        "send the Black Friday campaign",
    ):
        planned = plan(text, ROUTING)
        assert planned is not None
        decision = decide(planned.task_type, planned.target_module, POLICY)
        outcomes[decision.policy_rule_id] = decision.outcome
    assert outcomes == {
        "deny_customer_delete": Outcome.DENY,
        "confirm_billing_writeoff": Outcome.CONFIRM_REQUIRED,
        "confirm_campaign_blast": Outcome.CONFIRM_REQUIRED,
    }


def test_unmatched_task_gets_the_default_decision() -> None:
    decision = decide("agenda.commitment.schedule", "mod-04-agenda", POLICY)
    assert (decision.outcome, decision.policy_rule_id, decision.reason_code) == (
        Outcome.ALLOW, "default_decision", "default_allow",
    )  # fmt: skip


def test_confirmations_off_only_when_the_tenant_says_so() -> None:
    on = decide("billing.writeoff.request", "mod-05-faturamento-cobranca", POLICY)
    assert on.outcome is Outcome.CONFIRM_REQUIRED and on.requires_confirmation
    off = decide(
        "billing.writeoff.request",
        "mod-05-faturamento-cobranca",
        POLICY,
        confirmations_enabled=False,
    )
    assert off.outcome is Outcome.ALLOW and off.reason_code == CONFIRMATIONS_DISABLED
    deny = decide("customer.delete.request", "mod-03-clientes", POLICY, confirmations_enabled=False)
    assert deny.outcome is Outcome.DENY


def test_task_types_match_the_contract() -> None:
    schema = json.loads((ROOT / "contracts/commands/module.task.create.schema.json").read_text())
    assert sorted(schema["properties"]["payload"]["properties"]["task_type"]["enum"]) == sorted(
        TASK_TYPES
    )


def test_malformed_routing_lists_every_issue_with_rule_and_field() -> None:
    doc = {
        "version": "1",
        "rules": [
            {"rule_id": "a", "all": [["ok"]], "route": {"target_module": "mod-09", "task_type": "crm.followup.send", "priority": "urgent"}},
            {"rule_id": "a", "all": [[""]], "route": {"target_module": "mod-04-agenda", "task_type": "agenda.commitment.schedule", "priority": "normal"}},
            {"all": "x", "route": None},
        ],
    }  # fmt: skip
    with pytest.raises(PolicyError) as info:
        parse_routing(doc, "tenant-routing.json")
    issues = info.value.issues
    assert (
        "tenant-routing.json: rules[0] (a).route.target_module: 'mod-09' is not one of" in issues[0]
    )
    assert any("rules[0] (a).route.priority: 'urgent'" in i for i in issues)
    assert any("rules[1] (a).rule_id: duplicate rule id 'a'" in i for i in issues)
    assert any("rules[1] (a).all[0]: blank" in i for i in issues)
    assert any(i.startswith("tenant-routing.json: rules[2].rule_id: is required") for i in issues)
    assert any("rules[2].all" in i for i in issues) and any("rules[2].route" in i for i in issues)
    assert len(issues) == 7


def test_unknown_decision_in_policy_is_named() -> None:
    doc = {
        "version": "1",
        "default_decision": {"decision": "maybe", "reason_code": "x"},
        "rules": [{"rule_id": "r1", "task_type": "crm.campaign.send", "target_module": "mod-02-whatsapp-crm",
                   "decision": "ask_later", "reason_code": "why"}],
    }  # fmt: skip
    with pytest.raises(PolicyError) as info:
        parse_policy(doc, "policy.json")
    assert info.value.issues[0].startswith("policy.json: default_decision.decision: must be one of")
    assert "policy.json: rules[0] (r1).decision: 'ask_later' is not one of" in info.value.issues[1]


def test_rule_file_that_is_not_json_names_the_line() -> None:
    from matrix.policy.rules import load_json

    with pytest.raises(PolicyError, match=r"rules\.json: line 2 column"):
        load_json('{"version": "1",\n "rules": [,]}', "rules.json")

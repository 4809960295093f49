"""The routing rules' format: anchored keywords, exceptions, rules that plan no task, misspelt
keywords, and the near-misses the shipped rules tell apart."""

from __future__ import annotations

import pytest

from matrix.concierge.planner import plan
from matrix.errors import PolicyError
from matrix.policy import parse_routing, shipped_routing

ROUTING = shipped_routing()
AGENDA = {
    "target_module": "mod-04-agenda",
    "task_type": "agenda.commitment.schedule",
    "priority": "normal",
}


def _task(text: str, table: object = ROUTING) -> str | None:
    planned = plan(text, table)  # type: ignore[arg-type]
    return planned.task_type if planned else None


def test_anchor_unless_and_no_task_rules() -> None:
    table = parse_routing({"version": "t", "rules": [
        {"rule_id": "ask", "all": [["^when"]], "route": "none"},
        {"rule_id": "book", "all": [["meeting"]], "unless": ["cancel"], "route": AGENDA},
    ]})  # fmt: skip
    assert _task("meeting with Ana on Friday", table) == "agenda.commitment.schedule"
    assert _task("when is my meeting with Ana?", table) is None  # answered, no task
    assert (
        _task("so when is that meeting?", table) == "agenda.commitment.schedule"
    )  # not at the start
    assert _task("cancel the meeting", table) is None


def test_rule_format_errors_are_named() -> None:
    doc = {"version": "t", "rules": [
        {"rule_id": "a", "all": [["x"]], "unless": [], "route": AGENDA},
        {"rule_id": "b", "all": [["^"]], "route": AGENDA},
        {"rule_id": "c", "all": [["x"]], "route": AGENDA, "when": "always"},
        {"rule_id": "d", "all": [["x"]], "route": None},
    ]}  # fmt: skip
    with pytest.raises(PolicyError) as info:
        parse_routing(doc, "r.json")
    issues = info.value.issues
    assert any("rules[0] (a).unless: must be a non-empty list" in i for i in issues)
    assert any("rules[1] (b).all[0]: blank or bare-wildcard keyword(s) ['^']" in i for i in issues)
    assert any("rules[2] (c): unknown field(s) ['when']" in i for i in issues)
    assert any("rules[3] (d).route: must be an object" in i and '"none"' in i for i in issues)


@pytest.mark.parametrize(
    ("text", "task_type"),
    [
        ("deleet the customer Mia", "customer.delete.request"),  # two letters swapped
        ("register a new customr, Ana", "customer.upsert"),  # a letter missing
        ("schedulle a meeting with Ana", "agenda.commitment.schedule"),  # a letter too many
        (
            "change Tom's phone number to 555-0142",
            "customer.upsert",
        ),  # not "charge": no wrong letter
    ],
)
def test_misspelt_keywords_are_put_right(text: str, task_type: str) -> None:
    assert _task(text) == task_type


@pytest.mark.parametrize(
    ("text", "task_type"),
    [
        ("dê baixa como perda na fatura vencida do cliente Pedro", "billing.writeoff.request"),
        ("cobra a Neusa, o boleto dela venceu sexta", "billing.collection.request"),
        ("cobra 50 reais da Neusa pela aula de hoje", "billing.charge.create"),
        ("a Neusa já pagou, dá baixa na fatura dela", None),
        ("exclui o cadastro da cliente Neusa", "customer.delete.request"),
        ("apaga o telefone velho da Neusa, o novo é 11 91234-0000", "customer.upsert"),
        ("manda pra todos os clientes o horário de fim de ano", "crm.campaign.send"),
        ("manda uma mensagem pra Neusa sobre o horário de fim de ano", "crm.followup.send"),
        ("me lembra sexta às 9h de cobrar a Neusa", "agenda.commitment.schedule"),
        ("send Neil a payment reminder, his invoice is overdue", "billing.collection.request"),
        ("quantas parcelas a Neusa ainda tem?", None),
        ("cancel tomorrow's call with the supplier", None),
        (
            "O contrato já foi criado pelo advogado, pode agendar a assinatura?",
            "agenda.commitment.schedule",
        ),
    ],
)
def test_near_misses(text: str, task_type: str | None) -> None:
    assert _task(text) == task_type

"""What a tenant pack's parts become, without a store: Persona 2's style and handoff rules, the
lead fields a qualification needs, the policy rules' mapping, and masked personal data."""

from __future__ import annotations

from typing import Any

import pytest

from matrix.agent import drafts, rules
from matrix.agent.context import ThreadMessage, ThreadPack
from matrix.agent.models import missing_fields
from matrix.agent.service import handoff_rules
from matrix.concierge import pack_rules
from matrix.concierge.privacy import redact
from matrix.issues import Issues


def test_a_draft_is_cut_to_the_tenant_length_and_loses_its_emoji() -> None:
    style = drafts.Style(max_chars=60, emoji="none", cta=True)
    text = drafts.trim(
        "Olá Ana! 😊 " + "Temos horários livres na semana que vem, pode escolher. " * 3, style
    )
    assert len(text) <= 60 and "😊" not in text and text.endswith("...")
    assert "Use no emoji." in style.guide() and "next step" in style.guide()
    assert drafts.trim("Oi 😊", drafts.PLAIN) == "Oi 😊"


def _pack(text: str, lead: dict[str, Any] | None = None) -> ThreadPack:
    return ThreadPack(tenant_id="acme", conversation={"conversation_id": "c1"}, lead=lead,
                      messages=(ThreadMessage(direction="inbound", text=text),),
                      latest_inbound=text, latest_outbound="")  # fmt: skip


def test_only_the_tenant_handoff_rules_are_in_force() -> None:
    messages = _pack("Vou processar vocês, vou chamar meu advogado").messages
    assert rules.handoff(messages, handoff_rules(None)) is not None
    assert rules.handoff(messages, handoff_rules(("human_requested",))) is None


def test_missing_lead_fields_are_named() -> None:
    reading = rules.qualify(_pack("Quero contratar o plano").messages, "new")
    lead = {
        "lead_id": "l1",
        "stage": "new",
        "display_name": "Ana",
        "phone_e164": "",
        "metadata": {},
    }
    assert missing_fields(_pack("x", lead), reading, ("full_name", "phone_e164", "cpf")) == [
        "phone_e164",
        "cpf",
    ]


def _policy(mode: str, *items: tuple[str, Any]) -> pack_rules.PolicyFile:
    return pack_rules.PolicyFile(name="policies/p.json", document={
        "enforcement_mode": mode,
        "rules": [{"key": k, "value": v, "priority": 1, "enabled": True} for k, v in items],
    })  # fmt: skip


def test_an_unknown_key_is_an_error_when_blocking_and_a_warning_when_advisory() -> None:
    issues = Issues()
    pack_rules.map_policies([_policy("blocking", ("x.y.z", 1))], issues)
    assert [i.pointer for i in issues.errors] == ["/rules/0/key"]
    issues = Issues()
    chosen, report = pack_rules.map_policies(
        [_policy("advisory", ("x.y.z", 1), ("privacy.pii_redaction", True))], issues
    )
    assert not issues.errors and len(issues.warnings) == 1
    assert chosen == {} and report[0]["status"] == "advisory"


def test_one_key_set_twice_is_an_error() -> None:
    issues = Issues()
    pack_rules.map_policies([_policy("blocking", ("privacy.pii_redaction", True)),
                             _policy("blocking", ("privacy.pii_redaction", False))], issues)  # fmt: skip
    assert "is set again" in issues.errors[0].message


@pytest.mark.parametrize(("text", "marker"), [
    ("write to ana@example.com today", "[e-mail]"),
    ("call +55 11 99999-1234", "[phone]"),
    ("CNPJ 12.345.678/0001-90", "[tax id]"),
    ("CPF 123.456.789-09", "[tax id]"),
])  # fmt: skip
def test_personal_data_is_masked(text: str, marker: str) -> None:
    masked = redact(text)
    assert marker in masked and not any(c.isdigit() for c in masked)

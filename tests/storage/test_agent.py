"""Persona 2 on both backends: suggest, qualify and execute with their codes; the tenant's modes
and minimum confidence; executions idempotent in the store, across a restart; the audit and
``crm.ai.*`` events valid against their schemas; replies through the outbound queue once; and the
scheduler's automatic reading of inbound messages, crash included."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from matrix.agent import inbound
from matrix.app import App, build
from matrix.clock import FrozenClock
from matrix.config import Settings
from matrix.contracts import Catalog
from matrix.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UsageError,
    WebhookRejectedError,
)
from matrix.modules.crm import handling, inbox
from matrix.modules.crm.outbound import RecordingTransport
from matrix.storage import Store
from tests.conftest import ROOT

CATALOG = Catalog(ROOT / "contracts")
SECRET = "whsec-acme-0123456789"
PHONE = "+5511988887777"


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def app(store: Store, clock: FrozenClock, transport: RecordingTransport) -> App:
    store.tenants.add("acme", "ACME")
    store.tenants.add("globex", "Globex")
    settings = Settings.load(storage_url=store.settings.storage_url, provider_mode="local")
    return build(settings, store=store, clock=clock, transport=transport)


def receive(app: App, text: str, *, phone: str = PHONE, tenant: str = "acme", name: str = "Ana Souza") -> str:
    """An inbound WhatsApp text through the signed webhook; returns the conversation id."""
    doc = json.loads((ROOT / "contracts/examples/valid/evolution-webhook.json").read_text())["instance"]
    doc |= {"event_id": str(uuid.uuid4()), "tenant_id": tenant}
    doc["payload"] = {**doc["payload"], "message_id": f"wamid-{uuid.uuid4().hex[:12]}", "from_e164": phone,
                      "text": text, "push_name": name}  # fmt: skip
    body = json.dumps(doc).encode()
    result = inbox.ingest(app.store, app.clock, CATALOG, tenant_id=tenant, body=body,
                          signature=inbox.sign(body, SECRET), secret=SECRET)  # fmt: skip
    app.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    return str(result["inbound"]["conversation_id"])


def configure(app: App, tenant: str = "acme", **execution: Any) -> None:
    evolution = execution.pop("evolution", None)
    update: dict[str, Any] = {"execution": execution}
    if evolution is not None:
        update["integrations"] = {"crm_evolution": evolution}
    app.concierge.save_config(tenant, update)


def events(store: Store, prefix: str) -> list[dict[str, Any]]:
    found = [e for e in store.events.list("acme", limit=1000) if e["name"].startswith(prefix)]
    for envelope in found:
        CATALOG.validate(CATALOG.schema_id("event", envelope["name"]), envelope)
    return found


def test_suggest_reply_drafts_offline_with_its_confidence_and_is_audited(app: App) -> None:
    conversation = receive(app, "Oi, tenho interesse no serviço, como funciona?")
    answer = app.agent.suggest_reply("acme", conversation, tone="direto")
    assert answer["status"] == "ok" and answer["conversation_id"] == conversation
    assert answer["draft_reply"].startswith("Olá, Ana!") and answer["source"] == "rules"
    assert 0 < answer["confidence"] <= 1 and answer["reasoning_summary"]
    assert answer["policy"] == {"enabled": True, "mode": "assist_execute", "min_confidence": 0.7}
    assert answer["provider"] == {"name": "rules", "model": None}
    [row] = [r for r in handling.actions(app.store, "acme", conversation) if r["action"] == "suggest_reply"]
    assert row["status"] == "ok" and row["draft"] == answer["draft_reply"]
    [event] = events(app.store, "crm.ai.reply.suggested")
    assert event["payload"]["tone"] == "direto" and event["correlation_id"] == answer["correlation_id"]
    with pytest.raises(UsageError, match="tone must be one of"):
        app.agent.suggest_reply("acme", conversation, tone="rude")


def test_unknown_and_other_tenants_conversations_are_not_found(app: App) -> None:
    conversation = receive(app, "Oi")
    for tenant, conv in (("acme", "no-such-id"), ("globex", conversation)):
        with pytest.raises(NotFoundError) as caught:
            app.agent.suggest_reply(tenant, conv)
        assert caught.value.code == "conversation_not_found"


def test_persona_2_off_refuses_every_action_and_records_the_block(app: App) -> None:
    conversation = receive(app, "Oi")
    configure(app, whatsapp_ai_enabled=False)
    calls = [lambda: app.agent.suggest_reply("acme", conversation), lambda: app.agent.qualify("acme", conversation),
             lambda: app.agent.execute("acme", conversation, action="send_reply", client_request_id="req-0001",
                                       reply_text="Olá")]  # fmt: skip
    for call in calls:
        with pytest.raises(ForbiddenError) as caught:
            call()
        assert caught.value.code == "crm_ai_disabled"
    blocked = [r for r in handling.actions(app.store, "acme", conversation) if r["status"] == "blocked"]
    assert sorted(r["action"] for r in blocked) == ["qualify", "send_reply", "suggest_reply"]
    assert {e["payload"]["reason_code"] for e in events(app.store, "crm.ai.action.blocked")} == {"crm_ai_disabled"}
    assert app.store.modules.outbound.find("acme") == []


def test_qualify_suggests_an_allowed_stage_and_holds_below_the_minimum(app: App) -> None:
    conversation = receive(app, "Tenho interesse sim, quero saber mais sobre o plano")
    answer = app.agent.qualify("acme", conversation)
    assert answer["current_stage"] == "new" and answer["suggested_stage"] in ("contacted", "new")
    assert set(answer) >= {"confidence", "reason", "required_trigger", "policy", "provider", "lead_id"}
    configure(app, whatsapp_ai_min_confidence=1.0)
    held = app.agent.qualify("acme", conversation)
    if held["confidence"] < 1.0:
        assert held["suggested_stage"] == "new" and held["held_below_threshold"] is True
        assert held["required_trigger"] is None and "below" in held["reason"]
    assert len(events(app.store, "crm.ai.lead.qualified")) == 2


def test_qualify_without_a_lead_is_lead_not_found(app: App) -> None:
    conversation = receive(app, "Oi")
    lead_id = app.store.modules.conversations.get("acme", conversation)["lead_id"]
    app.store.modules.conversations.update("acme", conversation, {"lead_id": None})
    app.store.modules.leads.update("acme", lead_id, {"phone_e164": "+5511900000000"})
    with pytest.raises(NotFoundError) as caught:
        app.agent.qualify("acme", conversation)
    assert caught.value.code == "lead_not_found_for_conversation"


def test_suggest_only_blocks_execution_with_409(app: App) -> None:
    conversation = receive(app, "Oi")
    configure(app, whatsapp_ai_mode="suggest_only")
    with pytest.raises(ConflictError) as caught:
        app.agent.execute("acme", conversation, action="send_reply", client_request_id="req-0001", reply_text="Olá")
    assert caught.value.code == "crm_ai_execute_blocked"
    assert app.store.modules.outbound.find("acme") == []
    assert [e["payload"]["reason_code"] for e in events(app.store, "crm.ai.action.blocked")] == ["crm_ai_execute_blocked"]


def test_send_reply_is_queued_once_and_idempotent_across_a_restart(
    app: App, store: Store, clock: FrozenClock, transport: RecordingTransport
) -> None:
    conversation = receive(app, "Oi, vocês abrem sábado?")
    first = app.agent.execute("acme", conversation, action="send_reply", client_request_id="req-abcd",
                              reply_text="Abrimos sim, das 9h às 13h.")  # fmt: skip
    assert first["status"] == "ok" and first["executed_action"] == "send_reply"
    assert first["provider_result"] == {"status": "queued", "provider_message_id": None}
    again = app.agent.execute("acme", conversation, action="send_reply", client_request_id="req-abcd",
                              reply_text="a different text")  # fmt: skip
    assert again == {**first, "status": "idempotent"}
    # A new process over the same store: the stored result, not a second message.
    restarted = build(app.settings, store=store, clock=clock, transport=transport)
    after = restarted.agent.execute("acme", conversation, action="send_reply", client_request_id="req-abcd",
                                    reply_text="Abrimos sim, das 9h às 13h.")  # fmt: skip
    assert after == again
    restarted.scheduler().run(until_idle=True)
    assert [m["text"] for m in transport.sent] == ["Abrimos sim, das 9h às 13h."]
    assert len(store.modules.outbound.find("acme")) == 1
    [executed] = events(store, "crm.ai.action.executed")
    assert executed["payload"]["action"] == "send_reply" and executed["payload"]["automatic"] is False
    with pytest.raises(UsageError) as caught:
        app.agent.execute("acme", conversation, action="send_reply", client_request_id="req-other")
    assert getattr(caught.value, "code", None) == "missing_reply_text"


def test_update_stage_moves_the_lead_once_and_refuses_what_the_funnel_forbids(app: App, store: Store) -> None:
    conversation = receive(app, "Quero uma proposta")
    lead_id = store.modules.conversations.get("acme", conversation)["lead_id"]
    moved = app.agent.execute("acme", conversation, action="update_stage", client_request_id="move-1",
                              to_stage="contacted")  # fmt: skip
    assert moved["lead_result"]["from_stage"] == "new" and moved["lead_result"]["to_stage"] == "contacted"
    assert moved["lead_result"]["trigger"] == "first_contact_attempt"
    assert app.agent.execute("acme", conversation, action="update_stage", client_request_id="move-1",
                             to_stage="contacted")["status"] == "idempotent"  # fmt: skip
    lead = store.modules.leads.get("acme", lead_id)
    assert lead["stage"] == "contacted" and lead["metadata"]["ai"]["client_request_id"] == "move-1"
    with pytest.raises(ConflictError) as caught:  # a business refusal: exit 1, not a usage error
        app.agent.execute("acme", conversation, action="update_stage", client_request_id="move-2", to_stage="won")
    assert getattr(caught.value, "code", None) == "transition_error"
    assert store.modules.leads.get("acme", lead_id)["stage"] == "contacted"
    refused = [r for r in handling.actions(store, "acme", conversation) if r["status"] == "blocked"]
    assert [(r["action"], r["reason_code"]) for r in refused] == [("update_stage", "transition_not_allowed")]
    with pytest.raises(UsageError) as missing:
        app.agent.execute("acme", conversation, action="update_stage", client_request_id="move-3")
    assert getattr(missing.value, "code", None) == "missing_to_stage"
    with pytest.raises(UsageError, match="client_request_id"):
        app.agent.execute("acme", conversation, action="update_stage", client_request_id="x", to_stage="lost")


# -- automatic handling of inbound messages ------------------------------------------------------


def answering(app: App, **execution: Any) -> None:
    """Let acme's Persona 2 answer by itself."""
    configure(app, **execution, evolution={"auto_reply_enabled": True, "auto_reply_use_ai": True})


def test_an_inbound_message_is_answered_by_itself_when_the_tenant_allows_it(
    app: App, store: Store, transport: RecordingTransport
) -> None:
    answering(app, whatsapp_ai_min_confidence=0.0)
    conversation = receive(app, "Oi! Tenho interesse, como funciona o serviço de vocês?")
    app.scheduler().run(until_idle=True)
    assert len(transport.sent) == 1 and transport.sent[0]["phone_e164"] == PHONE
    row = store.modules.conversations.get("acme", conversation)
    assert row["handler"] == "agent"
    [auto] = [r for r in handling.actions(store, "acme", conversation) if r["action"] == "auto_handle"]
    assert auto["details"]["decision"] == "send"
    [executed] = [e for e in events(store, "crm.ai.action.executed") if e["payload"]["action"] == "send_reply"]
    assert executed["payload"]["automatic"] is True
    received = [e for e in store.events.list("acme", limit=1000) if e["name"] == "crm.message.received"]
    assert executed["correlation_id"] == received[0]["correlation_id"]  # one trace from message to reply


def test_a_contact_asking_for_a_person_is_handed_over_not_answered(
    app: App, store: Store, transport: RecordingTransport
) -> None:
    answering(app, whatsapp_ai_min_confidence=0.0)
    conversation = receive(app, "Quero falar com um atendente humano, por favor")
    app.scheduler().run(until_idle=True)
    assert transport.sent == []
    row = store.modules.conversations.get("acme", conversation)
    assert row["handler"] == "waiting_human" and row["handoff_reason"] == "human_requested"
    [handoff] = events(store, "crm.handoff.required")
    assert handoff["payload"]["reason_code"] == "human_requested"
    assert [r["conversation_id"] for r in handling.waiting(store, "acme")] == [conversation]


def test_without_auto_reply_the_draft_waits_for_a_person(app: App, store: Store, transport: RecordingTransport) -> None:
    conversation = receive(app, "Oi, tenho interesse")
    app.scheduler().run(until_idle=True)
    assert transport.sent == []
    assert store.modules.conversations.get("acme", conversation)["handoff_reason"] == "review_required"
    [auto] = [r for r in handling.actions(store, "acme", conversation) if r["action"] == "auto_handle"]
    assert auto["draft"] and auto["details"]["decision"] == "handoff"


def test_suggest_only_never_sends_nor_moves(app: App, store: Store, transport: RecordingTransport) -> None:
    answering(app, whatsapp_ai_mode="suggest_only", whatsapp_ai_min_confidence=0.0)
    conversation = receive(app, "Fechado, quero contratar!")
    app.scheduler().run(until_idle=True)
    assert transport.sent == []
    row = store.modules.conversations.get("acme", conversation)
    assert row["handoff_reason"] == "suggest_only"
    assert store.modules.leads.get("acme", row["lead_id"])["stage"] == "new"


def test_a_burst_is_read_once_and_a_person_who_took_over_is_left_alone(
    app: App, store: Store, transport: RecordingTransport
) -> None:
    answering(app, whatsapp_ai_min_confidence=0.0)
    for text in ("Oi", "tudo bem?", "tenho interesse no serviço"):
        conversation = receive(app, text)
    app.scheduler().run(until_idle=True)
    assert len(transport.sent) == 1
    outcomes = sorted(i["outcome"] for i in store.modules.ai_inbox.find("acme"))
    assert outcomes.count("superseded_by_a_later_message") == 2
    app.agent.hand_over("acme", conversation, to="human", user="maria")
    receive(app, "mais uma pergunta")
    app.scheduler().run(until_idle=True)
    assert len(transport.sent) == 1
    assert store.modules.conversations.get("acme", conversation)["handler_user"] == "maria"
    changed = events(store, "crm.conversation.handler.changed")
    assert [(e["payload"]["from_handler"], e["payload"]["to_handler"]) for e in changed] == [("agent", "human")]


def test_a_crash_before_the_commit_reads_the_message_again_and_answers_once(
    app: App, store: Store, clock: FrozenClock, transport: RecordingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst moment: the model answered and the reply was queued in the open transaction,
    then the process died before it committed. The claim times out, the message is read again,
    and the contact gets one reply."""
    answering(app, whatsapp_ai_min_confidence=0.0)
    receive(app, "Tenho interesse, me conta mais")
    real = handling.finish

    def die(store_: Any, item: Any, status: str, outcome: str, now: Any) -> None:
        if status == "done":
            raise KeyboardInterrupt("the process died before its commit")
        real(store_, item, status, outcome, now)

    monkeypatch.setattr(handling, "finish", die)
    with pytest.raises(KeyboardInterrupt):
        inbound.run_due(app.agent)
    monkeypatch.setattr(handling, "finish", real)
    assert store.modules.outbound.find("acme") == []  # rolled back with the rest
    assert inbound.run_due(app.agent) == 0  # still claimed by the dead process
    clock.advance(handling.CLAIM_TIMEOUT + timedelta(seconds=1))
    assert inbound.run_due(app.agent) == 1
    inbound.run_due(app.agent)
    app.scheduler().run(until_idle=True)
    assert len(transport.sent) == 1
    assert [i["status"] for i in store.modules.ai_inbox.find("acme")] == ["done"]


def test_an_item_is_claimed_by_one_process_only(app: App, store: Store, clock: FrozenClock) -> None:
    receive(app, "Oi")
    [item] = handling.due_items(store, clock.now(), limit=10)
    assert handling.claim(store, item, clock.now()) is True
    assert handling.claim(store, item, clock.now()) is False


def test_persona_2_off_sends_the_static_acknowledgement_once(
    app: App, store: Store, transport: RecordingTransport
) -> None:
    configure(app, whatsapp_ai_enabled=False, evolution={"auto_reply_enabled": True})
    receive(app, "Oi")
    app.scheduler().run(until_idle=True)
    receive(app, "Alguém aí?")
    app.scheduler().run(until_idle=True)
    assert [m["text"] for m in transport.sent] == ["Recebemos sua mensagem e responderemos em breve."]


def test_a_message_whose_reading_keeps_dying_is_given_up(app: App, store: Store, clock: FrozenClock) -> None:
    receive(app, "Oi")
    for _ in range(handling.MAX_ATTEMPTS):
        [item] = handling.due_items(store, clock.now(), limit=10)
        assert handling.claim(store, item, clock.now())
        clock.advance(handling.CLAIM_TIMEOUT + timedelta(seconds=1))  # the claimant died each time
    assert inbound.run_due(app.agent) == 0
    [item] = store.modules.ai_inbox.find("acme")
    assert item["status"] == "failed" and item["outcome"] == f"gave up after {handling.MAX_ATTEMPTS} attempts"
    assert handling.due_items(store, clock.now(), limit=10) == []


def test_a_webhook_with_a_nul_character_is_refused_and_stores_nothing(app: App, store: Store) -> None:
    with pytest.raises(WebhookRejectedError) as caught:
        receive(app, "Oi\x00")
    assert caught.value.code == "invalid_text" and "/payload/text" in str(caught.value)
    assert store.modules.messages.find("acme") == [] and store.modules.ai_inbox.find("acme") == []

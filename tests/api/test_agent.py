"""Persona 2 over HTTP (origin §g 55–57): the shapes and codes of suggest-reply, qualify and
execute, who handles a conversation, the audit; and the provider path through the real openai
client against the OpenAI-compatible server on 127.0.0.1 — a draft that invents a price is
blocked, a stage the funnel forbids is refused, and both are recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from matrix.testing.gateway import EvolutionGateway
from matrix.testing.openai_server import Behavior, OpenAIServer
from tests.api import evolution
from tests.api.conftest import ApiWorld
from tests.api.evolution import SECRETS, event, signed

UNKNOWN = "00000000-0000-0000-0000-000000000000"



def inbound(api: ApiWorld, text: str, n: int = 1, tenant: str = "acme", phone: str = "+5511900000001") -> str:
    answer = signed(api, event(tenant_id=tenant, occurred_at=f"2026-11-02T12:00:{n:02d}Z",
                               payload={"message_id": f"wamid-{tenant}-{n}", "from_e164": phone, "text": text}),
                    SECRETS[tenant])  # fmt: skip
    assert answer.status_code == 200, answer.json()
    return str(answer.json()["inbound"]["conversation_id"])


def ai(api: ApiWorld, conversation: str, what: str, tenant: str = "acme", **request: Any) -> Any:
    return api.post(f"/v1/crm/conversations/{conversation}/ai/{what}", {"request_id": "req-1", **request}, tenant)


def execute(api: ApiWorld, conversation: str, **request: Any) -> Any:
    return ai(api, conversation, "execute", **{"client_request_id": "client-0001", **request})


def test_suggest_reply_and_qualify_answer_the_origins_shapes(gateway: EvolutionGateway, api: ApiWorld) -> None:
    conversation = inbound(api, "Olá, tenho interesse, quanto custa o plano mensal?")
    suggested = ai(api, conversation, "suggest-reply", tone="followup")
    assert suggested.status_code == 200, suggested.json()
    body = suggested.json()["response"]
    assert body["request_id"] == "req-1" and body["status"] == "ok" and body["draft_reply"]
    assert body["policy"]["mode"] == "assist_execute" and body["provider"]["name"] == "rules"
    qualified = ai(api, conversation, "qualify").json()["response"]
    assert qualified["current_stage"] == "new" and qualified["suggested_stage"] in ("new", "contacted", "lost", "disqualified")
    assert qualified["lead_id"]
    bad_tone = ai(api, conversation, "suggest-reply", tone="rude")
    assert bad_tone.status_code == 400 and bad_tone.json()["details"][0]["path"] == "/request/tone"


def test_codes_404_403_409_400(gateway: EvolutionGateway, api: ApiWorld) -> None:
    conversation = inbound(api, "Oi")
    assert ai(api, UNKNOWN, "suggest-reply").json()["error"] == "conversation_not_found"
    other = ai(api, conversation, "qualify", tenant="globex")  # acme's conversation, globex's token
    assert other.status_code == 404 and other.json()["error"] == "conversation_not_found"
    missing = execute(api, conversation, action="send_reply")
    assert missing.status_code == 400 and missing.json()["error"] == "missing_reply_text"
    assert execute(api, conversation, action="update_stage").json()["error"] == "missing_to_stage"
    refused = execute(api, conversation, action="update_stage", to_stage="won")
    assert refused.status_code == 400 and refused.json()["error"] == "transition_error"
    short = execute(api, conversation, action="update_stage", to_stage="lost", client_request_id="ab")
    assert short.status_code == 400 and short.json()["details"][0]["path"] == "/request/client_request_id"
    api.app.concierge.save_config("acme", {"execution": {"whatsapp_ai_mode": "suggest_only"}})
    blocked = execute(api, conversation, action="update_stage", to_stage="contacted")
    assert blocked.status_code == 409 and blocked.json()["error"] == "crm_ai_execute_blocked"
    api.app.concierge.save_config("acme", {"execution": {"whatsapp_ai_enabled": False}})
    off = ai(api, conversation, "suggest-reply")
    assert off.status_code == 403 and off.json()["error"] == "crm_ai_disabled"


def test_execute_send_reply_goes_through_the_queue_once(gateway: EvolutionGateway, api: ApiWorld) -> None:
    conversation = inbound(api, "Vocês atendem aos sábados?")
    first = execute(api, conversation, action="send_reply", reply_text="Atendemos sim, das 9h às 13h.")
    assert first.status_code == 200, first.json()
    again = execute(api, conversation, action="send_reply", reply_text="Atendemos sim, das 9h às 13h.")
    assert again.json()["response"] == {**first.json()["response"], "status": "idempotent"}
    api.app.scheduler().run(until_idle=True)
    assert [m.text for m in gateway.delivered] == ["Atendemos sim, das 9h às 13h."]
    messages = api.get(f"/v1/crm/conversations/{conversation}/messages").json()["items"]
    assert messages[-1]["direction"] == "outbound" and messages[-1]["delivery_state"] == "sent"


def test_execute_send_reply_without_a_gateway_is_503(api: ApiWorld) -> None:
    evolution.configure(api)  # webhook secrets only: no gateway
    conversation = inbound(api, "Oi")
    answer = execute(api, conversation, action="send_reply", reply_text="Olá!")
    assert answer.status_code == 503 and answer.json()["error"] == "evolution_not_configured"
    assert execute(api, UNKNOWN, action="send_reply", reply_text="Olá!").status_code == 404


def test_take_over_and_hand_back_with_the_audit(gateway: EvolutionGateway, api: ApiWorld) -> None:
    conversation = inbound(api, "Oi")
    taken = api.post(f"/v1/crm/conversations/{conversation}/handler", {"handler": "human", "user": "maria"})
    assert taken.status_code == 200, taken.json()
    assert taken.json()["conversation"]["handler"] == "human"
    assert taken.json()["conversation"]["handler_user"] == "maria"
    nobody = api.post(f"/v1/crm/conversations/{conversation}/handler", {"handler": "human"})
    assert nobody.status_code == 400
    back = api.post(f"/v1/crm/conversations/{conversation}/handler", {"handler": "agent"}).json()
    assert back["conversation"]["handler"] == "agent" and back["conversation"]["handler_user"] is None
    audit = api.get(f"/v1/crm/conversations/{conversation}/ai/actions").json()
    assert [i["action"] for i in audit["items"]][:2] == ["hand_back", "take_over"]
    assert api.get(f"/v1/crm/conversations/{conversation}/ai/actions", "globex").status_code == 404
    listed = api.get("/v1/crm/conversations").json()["items"][0]
    assert listed["handler"] == "agent" and listed["handoff_reason"] is None


# -- the provider path: the tenant's own model ---------------------------------------------------


@pytest.fixture
def keyed(gateway: EvolutionGateway, api: ApiWorld, openai_server: OpenAIServer) -> OpenAIServer:
    api.app.concierge.save_config(
        "acme", {"openai": {"api_key": "sk-acme-0123456789", "base_url": openai_server.base_url}}
    )
    return openai_server


def calls(api: ApiWorld, correlation: str) -> list[tuple[Any, ...]]:
    with api.app.store.backend.transaction() as tx:
        return tx.query("SELECT name, status, error_code, feature FROM telemetry WHERE correlation_id = ?"
                        " AND kind = 'provider_call' ORDER BY recorded_at", [correlation])  # fmt: skip


def test_the_models_draft_is_used_when_it_states_nothing_new(api: ApiWorld, keyed: OpenAIServer) -> None:
    conversation = inbound(api, "Oi, quero saber como funciona")
    keyed.script("responses", Behavior(reply=json.dumps(
        {"reply": "Olá! Posso te explicar tudo. Qual serviço te interessa?", "reasoning_summary": "asks the need"})))
    body = ai(api, conversation, "suggest-reply").json()["response"]
    assert body["source"] == "provider" and body["draft_reply"].startswith("Olá! Posso te explicar")
    assert body["provider"]["name"] == "openai" and body["guard"] == {"blocked": False, "reason_code": None}
    assert calls(api, body["correlation_id"]) == [("crm.ai.draft", "ok", None, "crm_ai")]
    sent = keyed.requests[-1]["json"]
    assert "Never state a price" in sent["instructions"] and sent["text"]["format"]["name"] == "whatsapp_reply"


def test_a_draft_that_invents_a_price_is_blocked_and_recorded(api: ApiWorld, keyed: OpenAIServer) -> None:
    conversation = inbound(api, "Quanto custa a limpeza de pele?")
    keyed.script("responses", Behavior(reply=json.dumps(
        {"reply": "A limpeza de pele custa R$ 180,00 e tem 10% de desconto hoje!", "reasoning_summary": "price"})))
    body = ai(api, conversation, "suggest-reply").json()["response"]
    assert body["guard"] == {"blocked": True, "reason_code": "invented_price"}
    assert body["source"] == "rules" and "180" not in body["draft_reply"]
    [row] = [i for i in api.get(f"/v1/crm/conversations/{conversation}/ai/actions").json()["items"]
             if i["action"] == "suggest_reply"]  # fmt: skip
    assert row["status"] == "blocked" and row["reason_code"] == "invented_price"
    [suggested] = [e for e in api.app.store.events.list("acme", limit=200) if e["name"] == "crm.ai.reply.suggested"]
    assert suggested["payload"]["guard_reason_code"] == "invented_price"


def test_a_stage_the_funnel_forbids_is_refused_and_recorded(api: ApiWorld, keyed: OpenAIServer) -> None:
    conversation = inbound(api, "Fechado! Pode mandar o contrato")
    keyed.script("responses", Behavior(reply=json.dumps(
        {"suggested_stage": "won", "confidence": 0.97, "reason": "the contact accepted"})))
    body = ai(api, conversation, "qualify").json()["response"]
    assert body["current_stage"] == "new" and body["refused_stage"] == "won"
    assert body["suggested_stage"] in ("new", "contacted", "lost", "disqualified") and body["source"] == "rules"
    assert "does not allow" in body["reason"]
    assert calls(api, body["correlation_id"]) == [("crm.ai.qualify", "error", "crm_ai_stage_not_allowed", "crm_ai")]
    [row] = [i for i in api.get(f"/v1/crm/conversations/{conversation}/ai/actions").json()["items"]
             if i["action"] == "qualify"]  # fmt: skip
    assert row["status"] == "refused" and row["reason_code"] == "stage_not_allowed"
    lead = api.get("/v1/crm/leads").json()["items"][0]
    assert lead["stage"] == "new"  # a suggestion moves nothing


def test_an_allowed_stage_from_the_model_is_suggested(api: ApiWorld, keyed: OpenAIServer) -> None:
    conversation = inbound(api, "Tenho interesse, me liga amanhã")
    keyed.script("responses", Behavior(reply=json.dumps(
        {"suggested_stage": "contacted", "confidence": 0.9, "reason": "the contact answered"})))
    body = ai(api, conversation, "qualify").json()["response"]
    assert (body["suggested_stage"], body["source"], body["required_trigger"]) == (
        "contacted", "provider", "first_contact_attempt")
    keyed.script("responses", Behavior(reply=json.dumps(
        {"suggested_stage": "contacted", "confidence": 0.5, "reason": "unsure"})))
    held = ai(api, conversation, "qualify").json()["response"]
    assert held["suggested_stage"] == "new" and held["held_below_threshold"] is True


def test_a_failing_model_of_the_tenants_own_key_is_502(api: ApiWorld, keyed: OpenAIServer) -> None:
    conversation = inbound(api, "Oi")
    keyed.script("responses", Behavior(status=500))
    answer = ai(api, conversation, "suggest-reply")
    assert answer.status_code == 502 and answer.json()["error"] == "ai_provider_error"
    assert "sk-acme" not in answer.text
    with api.app.store.backend.transaction() as tx:
        rows = tx.query("SELECT status, error_code FROM telemetry WHERE name = 'crm.ai.draft'")
    assert rows == [("error", "openai_classify_http_500")]


def test_persona_1_sees_what_persona_2_did(api: ApiWorld, keyed: OpenAIServer) -> None:
    inbound(api, "Quero falar com um atendente humano")
    keyed.script("responses", Behavior(status=500))  # the draft's model call fails: the offline draft
    api.app.scheduler().run(until_idle=True)
    said = api.post("/v1/owner-concierge/interaction", {
        "request_id": "00000000-0000-4000-8000-000000000001", "session_id": "00000000-0000-4000-8000-000000000002",
        "operation": "send_message", "channel": "ui-chat", "payload": {"text": "Como estão as conversas?"}})  # fmt: skip
    assert said.status_code == 200, said.json()
    asked = [r["json"]["instructions"] for r in keyed.requests if r["endpoint"] == "responses"
             and "Operational context" in (r["json"] or {}).get("instructions", "")]  # fmt: skip
    assert asked and "1 WhatsApp conversation(s) wait for a human (human_requested: 1)" in asked[-1]


def test_a_failing_model_hands_the_conversation_over_with_that_reason(api: ApiWorld, keyed: OpenAIServer) -> None:
    api.app.concierge.save_config("acme", {"integrations": {"crm_evolution": {
        "auto_reply_enabled": True, "auto_reply_use_ai": True}}})  # fmt: skip
    conversation = inbound(api, "Tenho interesse no plano, como funciona?")
    keyed.script("responses", Behavior(status=500), Behavior(status=500))
    api.app.scheduler().run(until_idle=True)
    listed = {c["conversation_id"]: c for c in api.get("/v1/crm/conversations").json()["items"]}
    assert listed[conversation]["handoff_reason"] == "provider_error"
    assert api.get(f"/v1/crm/conversations/{conversation}/messages").json()["items"][-1]["direction"] == "inbound"


def test_a_nul_character_anywhere_is_a_400_naming_where(gateway: EvolutionGateway, api: ApiWorld) -> None:
    conversation = inbound(api, "Oi")
    sent = execute(api, conversation, action="send_reply", reply_text="Olá\x00!")
    assert sent.status_code == 400 and sent.json()["error"] == "invalid_text"
    assert sent.json()["details"] == [{"path": "/request/reply_text", "problem": "contains a NUL character (\\u0000)"}]
    in_path = api.get("/v1/crm/conversations/abc%00def/messages")
    assert in_path.status_code == 400 and in_path.json()["details"][0]["path"] == "/path/conversation_id"
    in_query = api.get("/v1/crm/conversations", params={"tenant_id": "ac\x00me"})
    assert in_query.status_code == 400 and in_query.json()["details"][0]["path"] == "/query/tenant_id"
    assert api.app.store.modules.outbound.find("acme") == []

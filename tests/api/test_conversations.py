"""/v1/crm/conversations over HTTP: the inbox list, a conversation's messages, mark read, and a
reply that is queued at once and delivered once by the scheduler."""

from __future__ import annotations

from typing import Any

import pytest

from matrix.testing.gateway import EvolutionGateway
from tests.api.conftest import ApiWorld
from tests.api.evolution import SECRETS, event, signed

UNKNOWN = "00000000-0000-0000-0000-000000000000"



def _inbound(api: ApiWorld, phone: str, n: int, *, tenant: str = "acme", text: str = "Oi") -> str:
    """Message ``n`` from ``phone`` (sent at 12:00:n); returns its conversation's id."""
    answer = signed(api, event(tenant_id=tenant, occurred_at=f"2026-11-02T12:00:{n:02d}Z",
                               payload={"message_id": f"wamid-{tenant}-{n}", "from_e164": phone, "text": text}),
                    SECRETS[tenant])  # fmt: skip
    assert answer.status_code == 200, answer.json()
    return str(answer.json()["inbound"]["conversation_id"])


def _send(api: ApiWorld, conversation_id: str, tenant: str = "acme", **request: Any) -> Any:
    return api.post(
        f"/v1/crm/conversations/{conversation_id}/send", {"text": "Olá!", **request}, tenant
    )


def _messages(api: ApiWorld, conversation_id: str, **params: Any) -> Any:
    return api.get(f"/v1/crm/conversations/{conversation_id}/messages", params=params)


def test_conversations_list_newest_activity_first_with_the_lead_stage(
    gateway: EvolutionGateway, api: ApiWorld
) -> None:
    first = _inbound(api, "+5511900000001", 1)
    second = _inbound(api, "+5511900000002", 2)
    _inbound(api, "+5511900000001", 3)
    answer = api.get("/v1/crm/conversations")
    assert answer.status_code == 200
    body = answer.json()
    assert body["tenant_id"] == "acme" and body["count"] == 2
    assert [c["conversation_id"] for c in body["items"]] == [first, second]
    assert [c["unread_count"] for c in body["items"]] == [2, 1]
    assert all(c["lead_id"] and c["lead_stage"] == "new" for c in body["items"])
    assert api.get("/v1/crm/conversations", params={"limit": 1}).json()["count"] == 1


@pytest.mark.parametrize("limit", [0, 501, -1, "many"])
def test_conversations_list_refuses_a_limit_out_of_bounds(api: ApiWorld, limit: Any) -> None:
    answer = api.get("/v1/crm/conversations", params={"limit": limit})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_limit"


def test_messages_are_the_latest_n_oldest_first(gateway: EvolutionGateway, api: ApiWorld) -> None:
    for n in (3, 1, 2):  # filed out of order: the provider's time decides
        conversation = _inbound(api, "+5511900000001", n, text=f"m{n}")
    answer = _messages(api, conversation, limit=2)
    assert answer.status_code == 200
    body = answer.json()
    assert body["conversation"]["conversation_id"] == conversation and body["count"] == 2
    assert [m["text"] for m in body["items"]] == ["m2", "m3"]
    assert [m["text"] for m in _messages(api, conversation).json()["items"]] == ["m1", "m2", "m3"]


def test_another_tenants_conversation_answers_as_unknown(
    gateway: EvolutionGateway, api: ApiWorld
) -> None:
    theirs = _inbound(api, "+5511900000001", 1)
    for method, path in (("get", "/messages"), ("post", "/read"), ("post", "/send")):
        answers = []
        for conversation in (theirs, UNKNOWN):
            url = f"/v1/crm/conversations/{conversation}{path}"
            answers.append(api.get(url, tenant="globex") if method == "get"
                           else api.client.post(url, json={"request": {"text": "x"}}, headers=api.headers("globex")))  # fmt: skip
        assert answers[0].status_code == answers[1].status_code == 404
        assert answers[0].json() == answers[1].json()
        assert answers[0].json()["error"] == "conversation_not_found"
    assert _messages(api, theirs).json()["conversation"]["unread_count"] == 1
    assert (
        api.get("/v1/crm/conversations", tenant="globex", params={"tenant_id": "acme"}).status_code
        == 404
    )


def test_read_sets_the_unread_count_to_zero(gateway: EvolutionGateway, api: ApiWorld) -> None:
    conversation = _inbound(api, "+5511900000001", 1)
    _inbound(api, "+5511900000001", 2)
    answer = api.client.post(f"/v1/crm/conversations/{conversation}/read", headers=api.headers())
    assert answer.status_code == 200
    assert (
        answer.json()["status"] == "updated" and answer.json()["conversation"]["unread_count"] == 0
    )
    assert api.get("/v1/crm/conversations").json()["items"][0]["unread_count"] == 0


def test_send_answers_queued_and_the_scheduler_delivers_it_once(
    gateway: EvolutionGateway, api: ApiWorld
) -> None:
    conversation = _inbound(api, "+5511900000001", 1)
    answer = _send(api, conversation, text="Olá, Carla! O preço é R$ 90.")
    assert answer.status_code == 200
    sent = answer.json()
    assert sent["status"] == "queued" and sent["provider_message_id"] is None
    assert (
        sent["message"]["direction"] == "outbound" and sent["message"]["delivery_state"] == "queued"
    )
    assert sent["outbound"]["status"] == "queued" and gateway.delivered == []
    scheduler = api.app.scheduler()
    scheduler.tick(force=True)
    scheduler.tick(force=True)
    assert all(job.errors == 0 for job in scheduler.jobs)
    [delivered] = gateway.delivered
    assert delivered.number == "5511900000001" and delivered.text == "Olá, Carla! O preço é R$ 90."
    [_, reply] = _messages(api, conversation).json()["items"]
    assert reply["message_row_id"] == sent["message"]["message_row_id"]
    assert (
        reply["delivery_state"] == "sent" and reply["provider_message_id"] == delivered.message_id
    )
    [listed] = api.get("/v1/crm/conversations").json()["items"]
    assert (
        listed["last_message_preview"] == "Olá, Carla! O preço é R$ 90."
        and listed["unread_count"] == 1
    )


def test_send_with_the_same_request_id_queues_once(
    gateway: EvolutionGateway, api: ApiWorld
) -> None:
    conversation = _inbound(api, "+5511900000001", 1)
    first = _send(api, conversation, request_id="reply-1").json()
    again = _send(api, conversation, request_id="reply-1", text="Outro texto").json()
    assert again["status"] == "idempotent" and again["message"] == first["message"]
    api.app.scheduler().tick(force=True)
    assert [m.text for m in gateway.delivered] == ["Olá!"]
    assert len(_messages(api, conversation).json()["items"]) == 2


def test_read_report_moves_a_sent_reply_to_read(gateway: EvolutionGateway, api: ApiWorld) -> None:
    conversation = _inbound(api, "+5511900000001", 1)
    _send(api, conversation)
    api.app.scheduler().tick(force=True)
    [delivered] = gateway.delivered
    report = signed(
        api, event(event_type="message.read_update", payload={"message_id": delivered.message_id})
    )
    assert report.json()["delivery_update"]["status"] == "updated"
    assert _messages(api, conversation).json()["items"][-1]["delivery_state"] == "read"


def test_reply_the_gateway_refuses_is_marked_failed(
    gateway: EvolutionGateway, api: ApiWorld
) -> None:
    conversation = _inbound(api, "+5511900000001", 1)
    gateway.fail(400, error="number not on WhatsApp")
    _send(api, conversation)
    api.app.scheduler().tick(force=True)
    assert gateway.delivered == []
    assert _messages(api, conversation).json()["items"][-1]["delivery_state"] == "failed"


def test_send_without_a_gateway_is_503_and_queues_nothing(
    gateway: EvolutionGateway, api: ApiWorld
) -> None:
    conversation = _inbound(api, "+5511900000009", 1, tenant="globex")
    answer = _send(api, conversation, tenant="globex")
    assert answer.status_code == 503 and answer.json()["error"] == "evolution_not_configured"
    assert "integrations.crm_evolution" in answer.json()["message"]
    assert api.app.store.modules.outbound.find("globex") == []


@pytest.mark.parametrize(("request_body", "path"), [
    ({"text": ""}, "/request/text"),
    ({"text": "   \n "}, "/request/text"),
    ({"text": "x" * 2001}, "/request/text"),
    ({"text": "Olá", "to": "+5511900000002"}, "/request/to"),
    ({"text": "Olá", "correlation_id": "not-a-uuid"}, "/request/correlation_id"),
])  # fmt: skip
def test_send_refuses_a_bad_body_naming_the_field(gateway: EvolutionGateway, api: ApiWorld,
                                                  request_body: dict[str, Any], path: str) -> None:  # fmt: skip
    conversation = _inbound(api, "+5511900000001", 1)
    answer = api.post(f"/v1/crm/conversations/{conversation}/send", request_body)
    assert answer.status_code == 400 and answer.json()["error"] == "validation_error"
    assert path in [d["path"] for d in answer.json()["details"]]
    assert api.app.store.modules.outbound.find("acme") == []


def test_send_to_a_contact_without_a_valid_number_is_invalid_recipient(
    gateway: EvolutionGateway, api: ApiWorld
) -> None:
    conversation = _inbound(api, "+5511900000001", 1)
    # A conversation kept from before numbers were checked.
    api.app.store.modules.conversations.update(
        "acme", conversation, {"contact_e164": "5511900000001@lid"}
    )
    answer = _send(api, conversation)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_recipient"
    assert api.app.store.modules.outbound.find("acme") == []


@pytest.mark.parametrize("tenant_id", ["acmé", "ácme", "团队", "acme\u0301"])
def test_non_ascii_tenant_id_answers_as_an_unknown_tenant(api: ApiWorld, tenant_id: str) -> None:
    answer = api.get("/v1/crm/conversations", params={"tenant_id": tenant_id})
    assert answer.status_code == 404 and answer.json()["error"] == "tenant_not_found"

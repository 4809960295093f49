"""Persona 2's conversations on both backends: the list with the lead's stage, the latest
messages, read, and a reply queued once and settled by the outbound dispatcher."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from matrix import envelopes as env
from matrix.clock import FrozenClock
from matrix.contracts import Catalog
from matrix.modules import registry
from matrix.modules.context import Work
from matrix.modules.crm import conversations, inbox, leads, outbound
from matrix.modules.crm.outbound import RecordingTransport
from matrix.storage import Store
from tests.conftest import ROOT

SECRET = "whsec-acme-0123456789"
CATALOG = Catalog(ROOT / "contracts")


def _sent_at(clock: FrozenClock, n: int) -> datetime:
    """When inbound message ``n`` was sent: an hour ago, plus ``n`` seconds."""
    return clock.now() - timedelta(hours=1) + timedelta(seconds=n)


def _inbound(store: Store, clock: FrozenClock, phone: str, n: int) -> str:
    doc = {"event_id": env.new_id(), "tenant_id": "acme", "provider": "evolution-api", "instance_id": "acme-main",
           "event_type": "message.inbound", "occurred_at": env.timestamp(_sent_at(clock, n)),
           "trace_id": f"trace-{n:08d}", "payload": {"message_id": f"wamid-{n}", "from_e164": phone,
                                                    "text": f"m{n}", "raw": {}}}  # fmt: skip
    body = json.dumps(doc).encode()
    result = inbox.ingest(store, clock, CATALOG, tenant_id="acme", body=body,
                          signature=inbox.sign(body, SECRET), secret=SECRET)  # fmt: skip
    return str(result["inbound"]["conversation_id"])


def _work(clock: FrozenClock) -> Work:
    return Work.new("acme", clock)


def test_recent_lists_the_latest_activity_first_with_the_lead_stage(
    store: Store, clock: FrozenClock
) -> None:
    first = _inbound(store, clock, "+5511900000001", 1)
    second = _inbound(store, clock, "+5511900000002", 2)
    _inbound(store, clock, "+5511900000001", 3)
    [lead] = [
        c["lead_id"]
        for c in conversations.recent(store, "acme", limit=10)
        if c["conversation_id"] == second
    ]
    leads.move(
        store,
        _work(clock),
        lead,
        to_stage="contacted",
        trigger="first_contact_attempt",
        actor="test",
    )
    listed = conversations.recent(store, "acme", limit=10)
    assert [(c["conversation_id"], c["lead_stage"]) for c in listed] == [
        (first, "new"),
        (second, "contacted"),
    ]
    assert listed[0]["last_message_at"] == _sent_at(clock, 3)
    assert conversations.recent(store, "acme", limit=1)[0]["conversation_id"] == first
    assert conversations.recent(store, "globex", limit=10) == []


def test_last_messages_are_the_latest_oldest_first(store: Store, clock: FrozenClock) -> None:
    for n in (2, 3, 1):
        conversation = _inbound(store, clock, "+5511900000001", n)
    texts = [m["text"] for m in conversations.last_messages(store, "acme", conversation, limit=2)]
    assert texts == ["m2", "m3"]


def test_mark_read_clears_unread_of_the_tenants_conversation_only(
    store: Store, clock: FrozenClock
) -> None:
    conversation = _inbound(store, clock, "+5511900000001", 1)
    assert conversations.mark_read(store, Work.new("globex", clock), conversation) is None
    assert conversations.find(store, "acme", conversation)["unread_count"] == 1  # type: ignore[index]
    assert conversations.mark_read(store, _work(clock), conversation)["unread_count"] == 0  # type: ignore[index]


def test_reply_is_queued_once_and_settled_by_the_dispatcher(
    store: Store, clock: FrozenClock
) -> None:
    conversation = conversations.find(store, "acme", _inbound(store, clock, "+5511900000001", 1))
    assert conversation is not None
    message, item, status = conversations.reply(
        store, _work(clock), conversation, text="Olá!", request_id="r-1"
    )
    again = conversations.reply(store, _work(clock), conversation, text="Outro", request_id="r-1")
    assert status == "queued" and again[2] == "idempotent" and again[0] == message
    assert (
        item["context_type"] == "conversation" and item["context_id"] == message["message_row_id"]
    )
    transport = RecordingTransport()
    stats = outbound.dispatch_due(store, transport, clock, on_outcome=registry.outcomes())
    assert stats.sent == 1 and [m["text"] for m in transport.sent] == ["Olá!"]
    outbound.dispatch_due(store, transport, clock, on_outcome=registry.outcomes())
    [_, reply] = conversations.last_messages(
        store, "acme", conversation["conversation_id"], limit=10
    )
    assert reply["delivery_state"] == "sent" and reply["provider_message_id"] == "wamid-000001"
    [listed] = conversations.recent(store, "acme", limit=10)
    assert listed["last_message_preview"] == "Olá!" and listed["unread_count"] == 1


def test_reply_that_dies_is_marked_failed(store: Store, clock: FrozenClock) -> None:
    conversation = conversations.find(store, "acme", _inbound(store, clock, "+5511900000001", 1))
    assert conversation is not None
    conversations.reply(store, _work(clock), conversation, text="Olá!", request_id=None)
    transport = RecordingTransport(failures=[("EVOLUTION_HTTP_400", False)])
    assert outbound.dispatch_due(store, transport, clock, on_outcome=registry.outcomes()).dead == 1
    reply = conversations.last_messages(store, "acme", conversation["conversation_id"], limit=10)[
        -1
    ]
    assert reply["delivery_state"] == "failed" and reply["provider_message_id"] is None

"""Evolution webhooks on both backends: signature, replay, idempotent messages, lead capture."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from matrix.clock import FrozenClock
from matrix.contracts import Catalog
from matrix.errors import ContractError, WebhookRejectedError
from matrix.modules.crm import inbox
from matrix.storage import Store
from tests.conftest import ROOT

SECRET = "whsec-acme-0123456789"
CATALOG = Catalog(ROOT / "contracts")


def _event(**changes: Any) -> dict[str, Any]:
    doc = json.loads((ROOT / "contracts/examples/valid/evolution-webhook.json").read_text())[
        "instance"
    ]
    doc["event_id"] = str(uuid.uuid4())
    doc.update(changes)
    return doc


def _ingest(store: Store, clock: FrozenClock, doc: dict[str, Any], *, secret: str = SECRET,
            signature: str | None = None, tenant: str = "acme") -> dict[str, Any]:  # fmt: skip
    body = json.dumps(doc).encode()
    return inbox.ingest(store, clock, CATALOG, tenant_id=tenant, body=body,
                        signature=signature if signature is not None else inbox.sign(body, secret), secret=SECRET)  # fmt: skip


def _stored(store: Store) -> tuple[int, int, int, int]:
    m = store.modules
    return (len(m.messages.find("acme")), len(m.conversations.find("acme")), len(m.leads.find("acme")),
            len(m.webhook_receipts.find("acme")))  # fmt: skip


def test_inbound_message_files_into_a_conversation_and_captures_the_lead(
    store: Store, clock: FrozenClock
) -> None:
    result = _ingest(store, clock, _event())
    assert (
        result["inbound"]["status"] == "created" and result["inbound"]["lead_status"] == "created"
    )
    [conversation] = store.modules.conversations.find("acme")
    assert (
        conversation["unread_count"] == 1
        and conversation["last_message_preview"] == "Oi, quero saber o preço"
    )
    [lead] = store.modules.leads.find("acme")
    assert lead["external_key"] == "wa:+5511977776666" and lead["display_name"] == "Carla"
    names = {e["name"] for e in store.events.list("acme", limit=50)}
    assert {"crm.lead.created", "crm.message.received"} <= names


def test_same_event_id_twice_stores_one_message(store: Store, clock: FrozenClock) -> None:
    doc = _event()
    _ingest(store, clock, doc)
    assert _ingest(store, clock, doc)["status"] == "duplicate"
    assert _stored(store) == (1, 1, 1, 1)
    # A new event id carrying the same provider message is still one message.
    assert _ingest(store, clock, _event())["inbound"]["status"] == "idempotent"
    assert _stored(store)[0] == 1


def test_second_message_from_the_same_contact_counts_unread(
    store: Store, clock: FrozenClock
) -> None:
    _ingest(store, clock, _event())
    second = _event()
    second["payload"] = {
        **second["payload"],
        "message_id": "wamid-IN-0002",
        "text": "  e   o prazo?  ",
    }
    _ingest(store, clock, second)
    [conversation] = store.modules.conversations.find("acme")
    assert (
        conversation["unread_count"] == 2 and conversation["last_message_preview"] == "e o prazo?"
    )
    assert len(store.modules.leads.find("acme")) == 1


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"signature": "0" * 64}, "invalid_signature"),
        ({"signature": ""}, "invalid_signature"),
        ({"secret": "the-wrong-secret"}, "invalid_signature"),
        ({"tenant": "globex"}, "tenant_mismatch"),
    ],
)
def test_rejected_webhooks_store_nothing(
    store: Store, clock: FrozenClock, kwargs: dict, code: str
) -> None:  # type: ignore[type-arg]
    with pytest.raises(WebhookRejectedError) as info:
        _ingest(store, clock, _event(), **kwargs)
    assert info.value.code == code
    assert _stored(store) == (0, 0, 0, 0) and store.events.count("acme") == 0


def test_malformed_event_is_a_contract_error_and_stores_nothing(
    store: Store, clock: FrozenClock
) -> None:
    doc = _event()
    doc["payload"]["from_e164"] = "5511977776666@s.whatsapp.net"
    with pytest.raises(ContractError) as info:
        _ingest(store, clock, doc)
    assert info.value.pointer == "/payload/from_e164"
    assert _stored(store) == (0, 0, 0, 0)


def test_missing_secret_refuses(store: Store, clock: FrozenClock) -> None:
    body = json.dumps(_event()).encode()
    with pytest.raises(WebhookRejectedError) as info:
        inbox.ingest(store, clock, CATALOG, tenant_id="acme", body=body, signature="x", secret=None)
    assert info.value.code == "webhook_secret_not_configured"

"""Concurrent Evolution webhooks on both backends: bursts from new contacts, replays, late reports.

On PostgreSQL every thread has its own store (its own connection), so the writes really race; a
DuckDB file store is shared by the threads of one process, as the server shares it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from matrix import envelopes as env
from matrix.clock import FrozenClock
from matrix.config import Settings
from matrix.contracts import Catalog
from matrix.modules.context import Work
from matrix.modules.crm import inbox, outbound
from matrix.modules.crm.outbound import RecordingTransport
from matrix.storage import Store, open_store
from tests.conftest import ROOT

SECRET = "whsec-acme-0123456789"
CATALOG = Catalog(ROOT / "contracts")
BURST = 20
CONTACTS = 5
T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _event(
    event_type: str, message_id: str, *, at: datetime = T0, **payload: Any
) -> dict[str, Any]:
    return {
        "event_id": env.new_id(), "tenant_id": "acme", "provider": "evolution-api", "instance_id": "acme-main",
        "event_type": event_type, "occurred_at": env.timestamp(at), "trace_id": f"trace-{message_id}",
        "payload": {"message_id": message_id, "raw": {}, **payload},
    }  # fmt: skip


def _inbound(phone: str, n: int, *, at: datetime = T0, text: str | None = None) -> dict[str, Any]:
    return _event("message.inbound", f"wamid-{phone[-4:]}-{n:03d}", at=at + timedelta(seconds=n),
                  from_e164=phone, push_name="Carla", message_type="text", text=text or f"mensagem {n}")  # fmt: skip


def _ingest(store: Store, clock: FrozenClock, doc: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(doc).encode()
    return inbox.ingest(store, clock, CATALOG, tenant_id="acme", body=body,
                        signature=inbox.sign(body, SECRET), secret=SECRET)  # fmt: skip


@pytest.fixture
def stores(store: Store, clock: FrozenClock) -> Iterator[list[Store]]:
    """One store per concurrent writer: own connections on PostgreSQL, the shared file on DuckDB."""
    if store.backend.dialect == "duckdb":
        yield [store] * BURST
        return
    settings = Settings.load(storage_url=store.settings.storage_url)
    opened = [open_store(settings=settings, clock=clock) for _ in range(BURST)]
    try:
        yield opened
    finally:
        for each in opened:
            each.close()


def _all_at_once(stores: list[Store], work: Callable[[Store, int], dict[str, Any]]) -> list[Any]:
    """Run ``work(store, i)`` for every store at the same moment; every result or exception."""
    start = threading.Barrier(len(stores))

    def run(i: int) -> Any:
        start.wait()
        try:
            return work(stores[i], i)
        except Exception as exc:  # the test reports every failure, not the first
            return exc

    with ThreadPoolExecutor(max_workers=len(stores)) as pool:
        return list(pool.map(run, range(len(stores))))


def test_bursts_from_new_contacts_store_every_message_once(
    store: Store, stores: list[Store], clock: FrozenClock
) -> None:
    phones = [f"+55119777{k:05d}" for k in range(CONTACTS)]
    for phone in phones:
        docs = [_inbound(phone, n) for n in range(BURST)]
        results = _all_at_once(stores, lambda s, i: _ingest(s, clock, docs[i]))  # noqa: B023
        assert [r for r in results if isinstance(r, Exception)] == []
        assert [r["inbound"]["status"] for r in results] == ["created"] * BURST
        assert sum(r["inbound"]["lead_status"] == "created" for r in results) == 1
    m = store.modules
    assert len(m.messages.find("acme", limit=10_000)) == CONTACTS * BURST
    assert len(m.leads.find("acme")) == CONTACTS
    conversations = m.conversations.find("acme")
    assert sorted(c["contact_e164"] for c in conversations) == phones
    assert [c["unread_count"] for c in conversations] == [BURST] * CONTACTS
    # The newest message by the provider's time is the preview, whatever order they were filed in.
    assert {c["last_message_preview"] for c in conversations} == {f"mensagem {BURST - 1}"}
    assert store.events.count("acme", name="crm.lead.created") == CONTACTS
    assert store.events.count("acme", name="crm.message.received") == CONTACTS * BURST


def test_concurrent_replays_of_one_event_are_answered_as_duplicates(
    store: Store, stores: list[Store], clock: FrozenClock
) -> None:
    doc = _inbound("+5511977776666", 1)
    results = _all_at_once(stores, lambda s, i: _ingest(s, clock, doc))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(r["status"] for r in results) == ["accepted"] + ["duplicate"] * (BURST - 1)
    m = store.modules
    assert len(m.messages.find("acme")) == 1 and len(m.webhook_receipts.find("acme")) == 1
    [conversation] = m.conversations.find("acme")
    assert conversation["unread_count"] == 1


def test_concurrent_events_carrying_one_provider_message_store_it_once(
    store: Store, stores: list[Store], clock: FrozenClock
) -> None:
    # A gateway that retries with a fresh event id: the provider's message id is the key.
    docs = [{**_inbound("+5511977776666", 1), "event_id": env.new_id()} for _ in range(BURST)]
    results = _all_at_once(stores, lambda s, i: _ingest(s, clock, docs[i]))
    assert [r for r in results if isinstance(r, Exception)] == []
    statuses = sorted(r["inbound"]["status"] for r in results)
    assert statuses == ["created"] + ["idempotent"] * (BURST - 1)
    [conversation] = store.modules.conversations.find("acme")
    assert conversation["unread_count"] == 1 and len(store.modules.messages.find("acme")) == 1


def test_an_older_message_filed_last_does_not_become_the_preview(
    store: Store, clock: FrozenClock
) -> None:
    phone = "+5511977776666"
    _ingest(store, clock, _inbound(phone, 5, text="a mais nova"))
    _ingest(store, clock, _inbound(phone, 1, text="a mais antiga"))
    [conversation] = store.modules.conversations.find("acme")
    assert conversation["last_message_preview"] == "a mais nova"
    assert conversation["last_message_at"] == T0 + timedelta(seconds=5)
    assert conversation["unread_count"] == 2
    texts = [m["text"] for m in inbox.messages(store, "acme", conversation["conversation_id"])]
    assert texts == ["a mais antiga", "a mais nova"]


def _sent_message(store: Store, clock: FrozenClock, key: str) -> dict[str, Any]:
    """One message matrix sent through the outbound queue, as the dispatcher leaves it."""
    work = Work.new("acme", clock)
    outbound.enqueue(store, work, context_type="manual", context_id=key,
                     phone="+5511977776666", text="Olá!", idempotency_key=key)  # fmt: skip
    transport = RecordingTransport()
    assert outbound.dispatch_due(store, transport, clock, on_outcome={}).sent == 1
    [sent] = store.modules.outbound.find("acme", idempotency_key=key)
    assert sent["status"] == "sent" and sent["provider_message_id"]
    return sent


def _report(store: Store, clock: FrozenClock, provider_id: str, kind: str) -> dict[str, Any]:
    event_type, state = {
        "delivered": ("message.delivery_update", "delivered"),
        "read": ("message.read_update", "read"),
        "failed": ("message.failed", "failed"),
    }[kind]
    result = _ingest(store, clock, _event(event_type, provider_id, delivery_state=state))
    return dict(result["delivery_update"])


def test_delivery_reports_are_recorded_on_the_message_matrix_sent(
    store: Store, clock: FrozenClock
) -> None:
    sent = _sent_message(store, clock, "manual:1")
    assert store.inbox.outbound_delivery("acme", sent["message_id"])["delivery_state"] is None  # type: ignore[index]
    assert _report(store, clock, sent["provider_message_id"], "delivered")["status"] == "updated"
    stored = store.inbox.outbound_delivery("acme", sent["message_id"])
    assert stored is not None and stored["delivery_state"] == "delivered"
    assert stored["delivery_updated_at"] == clock.now()
    assert _report(store, clock, sent["provider_message_id"], "read")["status"] == "updated"
    stored = store.inbox.outbound_delivery("acme", sent["message_id"])
    assert stored is not None and stored["delivery_state"] == "read"
    # The outbound queue's own status is the dispatcher's and stays as it left it.
    assert store.modules.outbound.get("acme", sent["message_id"])["status"] == "sent"  # type: ignore[index]


@pytest.mark.parametrize(
    ("reports", "final", "last_status"),
    [
        (["read", "delivered"], "read", "unchanged"),
        (["delivered", "delivered"], "delivered", "unchanged"),
        (["read", "failed"], "read", "unchanged"),
        (["failed"], "failed", "updated"),
        (["failed", "delivered"], "delivered", "updated"),
        (["delivered", "failed"], "delivered", "unchanged"),
    ],
)
def test_delivery_state_never_goes_backwards(
    store: Store, clock: FrozenClock, reports: list[str], final: str, last_status: str
) -> None:
    sent = _sent_message(store, clock, "manual:2")
    answers = [_report(store, clock, sent["provider_message_id"], kind) for kind in reports]
    assert answers[-1]["status"] == last_status
    stored = store.inbox.outbound_delivery("acme", sent["message_id"])
    assert stored is not None and stored["delivery_state"] == final


def test_a_late_delivered_report_keeps_an_inbox_message_read(
    store: Store, clock: FrozenClock
) -> None:
    _ingest(store, clock, _inbound("+5511977776666", 1))
    [message] = store.modules.messages.find("acme")
    assert _report(store, clock, message["provider_message_id"], "read")["status"] == "updated"
    assert (
        _report(store, clock, message["provider_message_id"], "delivered")["status"] == "unchanged"
    )
    assert store.modules.messages.find("acme")[0]["delivery_state"] == "read"


def test_a_report_for_an_unknown_message_is_not_found(store: Store, clock: FrozenClock) -> None:
    assert _report(store, clock, "wamid-unknown", "delivered")["status"] == "not_found"

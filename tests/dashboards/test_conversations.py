"""The Conversations page's callbacks as functions and through Dash's HTTP endpoint, on a store of
its own: the list and who handles each conversation, approve and send once however often it is
pressed, take over and hand back, refusals as messages, a role that only reads, another tenant's
conversation out of reach; and the trace of an inbound message's correlation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dash import html

from dashboards import context
from dashboards.pages import conversations as page
from dashboards.pages import traces
from dashboards.probe import callback_request
from matrix.access import User, add_user
from matrix.agent import inbound
from matrix.app import App, build
from matrix.clock import FrozenClock
from matrix.config import Settings
from matrix.contracts import Catalog
from matrix.errors import NotFoundError, UsageError
from matrix.modules.crm import handling, inbox
from matrix.storage import open_store
from tests.conftest import ROOT
from tests.dashboards.conftest import PASSWORD, SECRET

CATALOG = Catalog(ROOT / "contracts")
WEBHOOK_SECRET = "whsec-conversations-0123456789"
WINDOW = ("2020-01-01", "2100-01-01")
MANAGER = User(username="ana", role="manager", tenants=("acme",))
READER = User(username="val", role="viewer", tenants=("acme",))  # type: ignore[arg-type]  # a role that may not act
SEND, TAKE, BACK, SUGGEST = page.BUTTONS


@pytest.fixture
def wired(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """An app of its own (delivery off: no gateway) that the pages read, two tenants."""
    settings = Settings.load(
        storage_url=f"duckdb:///{tmp_path / 'store.duckdb'}", provider_mode="local"
    )
    clock = FrozenClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    store = open_store(settings=settings, migrate=True, clock=clock)
    store.tenants.add("acme", "ACME")
    store.tenants.add("globex", "Globex")
    app = build(settings, store=store, clock=clock)
    monkeypatch.setattr(context.RUNTIME, "store", store)
    monkeypatch.setattr(context.RUNTIME, "app", app)
    yield app
    store.close()


def receive(
    app: App, text: str, *, phone: str, tenant: str = "acme", name: str = "Ana Souza"
) -> str:
    """An inbound WhatsApp text through the signed webhook, read by Persona 2's job."""
    doc = json.loads((ROOT / "contracts/examples/valid/evolution-webhook.json").read_text())[
        "instance"
    ]
    doc |= {"event_id": str(uuid.uuid4()), "tenant_id": tenant}
    doc["payload"] = {**doc["payload"], "message_id": f"wamid-{uuid.uuid4().hex[:12]}", "from_e164": phone,
                      "text": text, "push_name": name}  # fmt: skip
    body = json.dumps(doc).encode()
    done = inbox.ingest(app.store, app.clock, CATALOG, tenant_id=tenant, body=body,
                        signature=inbox.sign(body, WEBHOOK_SECRET), secret=WEBHOOK_SECRET)  # fmt: skip
    app.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    inbound.run_due(app.agent, tenants=[tenant])
    return str(done["inbound"]["conversation_id"])


def selected(user: User, tenant: str, conversation_id: str) -> tuple[Any, ...]:
    """The detail callback after a click on the conversation's row."""
    return page.detail(
        user, tenant, [{"conversation_id": conversation_id}], trigger="conversations-table"
    )


def outbound(app: App, tenant: str, conversation_id: str) -> list[dict[str, Any]]:
    return [
        m
        for m in app.store.modules.messages.find(
            tenant, conversation_id=conversation_id, direction="outbound"
        )
    ]


def test_the_list_says_who_handles_each_conversation_the_waiting_first(wired: App) -> None:
    waiting = receive(
        wired, "Oi, tenho interesse no plano", phone="+5511900000001", name="Bruno Dias"
    )
    taken = receive(wired, "Oi, bom dia", phone="+5511900000002", name="Carla Reis")
    back = receive(wired, "Hello there", phone="+5511900000003", name="Dan Smith")
    wired.agent.hand_over("acme", taken, to="human", user="ana")
    wired.agent.hand_over("acme", back, to="agent", user="ana")
    receive(wired, "Olá", phone="+5511900000009", tenant="globex", name="Outro Cliente")

    content, rows = page.render(MANAGER, "acme", *WINDOW, "day")
    by_id = {r["conversation_id"]: r for r in rows}
    assert set(by_id) == {waiting, taken, back}  # nothing of globex
    assert rows[0]["conversation_id"] == waiting  # the waiting ones first
    assert (
        by_id[waiting]["handled_by"] == "waiting for a human: review_required"
    )  # the default: people review
    assert by_id[taken]["handled_by"] == "ana" and by_id[back]["handled_by"] == "Persona 2"
    assert by_id[waiting]["unread"] == 1 and by_id[waiting]["lead_stage"] in (
        "new",
        "contacted",
        "qualified",
    )
    shown = str(content)
    assert "Waiting for a human (1)" in shown and "Bruno Dias" in shown
    assert "Outbound WhatsApp delivery is off for acme" in shown  # said, with how to turn it on


def test_approve_and_send_queues_one_message_however_often_it_is_pressed(wired: App) -> None:
    conversation = receive(
        wired, "Quero saber como funciona", phone="+5511900000004", name="Bruno Dias"
    )
    panel, draft, chosen, *disabled = selected(MANAGER, "acme", conversation)
    [row] = [
        a
        for a in handling.actions(wired.store, "acme", conversation)
        if a["action"] == "auto_handle"
    ]
    assert (
        draft == row["draft"]
        and chosen["draft_id"] == row["action_id"]
        and disabled == [False, False, False, False]
    )
    assert f"confidence {row['confidence']:.2f}" in str(panel) and "suggested stage" in str(panel)
    edited = draft + " Abraço!"
    first = page.act(MANAGER, "acme", chosen, edited, trigger=SEND)
    again = page.act(MANAGER, "acme", chosen, edited, trigger=SEND)
    assert "approved and queued" in str(first) and "stays queued" in str(
        first
    )  # delivery is off here
    assert "not sent again" in str(again)
    [sent] = outbound(wired, "acme", conversation)
    assert sent["text"] == edited and sent["delivery_state"] == "queued"
    assert len(wired.store.modules.outbound.find("acme")) == 1
    [approval] = [
        a
        for a in handling.actions(wired.store, "acme", conversation)
        if a["action"] == "send_reply"
    ]
    assert approval["actor"] == "ana" and approval["client_request_id"] == page.approval_id(
        row["action_id"]
    )
    panel, _, _, send_disabled, *_ = selected(MANAGER, "acme", conversation)
    assert send_disabled is True and "sent (approved)" in str(panel)


def test_pressing_approve_twice_over_http_sends_once(
    wired: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboards.app import create_app

    add_user(wired.store, "ana", PASSWORD, role="manager", tenants=["acme"])
    conversation = receive(
        wired, "Quero saber como funciona", phone="+5511900000005", name="Bruno Dias"
    )
    _, draft, chosen, *_ = selected(MANAGER, "acme", conversation)
    dash_app = create_app(wired.store, secret=SECRET, wired=wired)
    client = dash_app.server.test_client()
    client.post("/login", data={"username": "ana", "password": PASSWORD})
    values = {"filter-tenant": "acme", "conversations-selected": chosen, "conversations-draft": draft,
              SEND: 1, "conversations-refresh": 0}  # fmt: skip
    for clicks in (1, 2):
        body = callback_request(dash_app, "conversations-message", {**values, SEND: clicks})
        answer = client.post("/_dash-update-component", json=body)
        assert answer.status_code == 200 and "alert-ok" in answer.get_data(as_text=True)
    assert len(outbound(wired, "acme", conversation)) == 1


def test_take_over_and_hand_back(wired: App) -> None:
    conversation = receive(wired, "Oi", phone="+5511900000006")
    _, _, chosen, *_ = selected(MANAGER, "acme", conversation)
    assert "You handle the conversation" in str(page.act(MANAGER, "acme", chosen, "", trigger=TAKE))
    now = wired.store.modules.conversations.get("acme", conversation)
    assert now is not None and (now["handler"], now["handler_user"]) == ("human", "ana")
    panel, _, _, _, take_disabled, back_disabled, _ = selected(MANAGER, "acme", conversation)
    assert "· ana" in str(panel) and take_disabled is True and back_disabled is False
    receive(
        wired, "Alguém aí?", phone="+5511900000006"
    )  # Persona 2 leaves a person's conversation alone
    assert outbound(wired, "acme", conversation) == []
    assert "Persona 2 handles" in str(page.act(MANAGER, "acme", chosen, "", trigger=BACK))
    now = wired.store.modules.conversations.get("acme", conversation)
    assert now is not None and (now["handler"], now["handler_user"]) == ("agent", None)
    audit = [(a["action"], a["actor"]) for a in handling.actions(wired.store, "acme", conversation)]
    assert ("take_over", "ana") in audit and ("hand_back", "ana") in audit


def test_a_role_that_only_reads_cannot_act(wired: App) -> None:
    conversation = receive(wired, "Quero saber como funciona", phone="+5511900000007")
    _, draft, chosen, *disabled = selected(READER, "acme", conversation)
    assert disabled == [True, True, True, True] and draft  # reads the draft, every button off
    for trigger in page.BUTTONS:
        with pytest.raises(UsageError, match=r"may read conversations but not act"):
            page.act(READER, "acme", chosen, draft, trigger=trigger)
    assert outbound(wired, "acme", conversation) == []
    now = wired.store.modules.conversations.get("acme", conversation)
    assert now is not None and now["handler"] == "waiting_human"


def test_a_manager_cannot_reach_another_tenants_conversation(wired: App) -> None:
    theirs = receive(wired, "Quero saber como funciona", phone="+5511900000008", tenant="globex")
    _, draft, chosen, *_ = selected(User(username="boss", role="admin"), "globex", theirs)
    for trigger in page.BUTTONS:  # forged: globex's ids sent under the manager's own tenant
        with pytest.raises(UsageError, match="Select a conversation"):
            page.act(MANAGER, "acme", chosen, draft, trigger=trigger)
        with pytest.raises(NotFoundError, match="No conversation"):
            page.act(MANAGER, "acme", {**chosen, "tenant_id": "acme"}, draft, trigger=trigger)
        with pytest.raises(NotFoundError, match="Unknown tenant 'globex'"):
            page.act(MANAGER, "globex", chosen, draft, trigger=trigger)
    with pytest.raises(NotFoundError, match="No conversation"):
        selected(MANAGER, "acme", theirs)
    assert outbound(wired, "globex", theirs) == []
    assert not [a for a in handling.actions(wired.store, "globex", theirs) if a["actor"] == "ana"]


@pytest.mark.parametrize(
    ("execution", "trigger", "shown"),
    [({"whatsapp_ai_mode": "suggest_only"}, SEND, "only suggests for tenant 'acme'"),
     ({"whatsapp_ai_enabled": False}, SUGGEST, "Persona 2 is off for tenant 'acme'")],
    ids=["crm_ai_execute_blocked", "crm_ai_disabled"],
)  # fmt: skip
def test_refusals_are_messages(
    wired: App, execution: dict[str, Any], trigger: str, shown: str
) -> None:
    conversation = receive(wired, "Quero saber como funciona", phone="+5511900000010")
    _, draft, chosen, *_ = selected(MANAGER, "acme", conversation)
    wired.concierge.save_config("acme", {"execution": execution})
    answer = context.guarded()(page.act)(MANAGER, "acme", chosen, draft, trigger=trigger)
    assert (
        isinstance(answer, html.Div)
        and "alert-error" in answer.className
        and shown in answer.children
    )
    assert outbound(wired, "acme", conversation) == []


def test_the_trace_of_an_inbound_message_shows_what_persona_2_did(wired: App) -> None:
    wired.concierge.save_config("acme", {"execution": {"whatsapp_ai_mode": "assist_execute",
                                                       "whatsapp_ai_min_confidence": 0.0},
                                         "integrations": {"crm_evolution": {"auto_reply_enabled": True,
                                                                            "auto_reply_use_ai": True}}})  # fmt: skip
    answered = receive(wired, "Quero saber como funciona", phone="+5511900000011")
    handed = receive(wired, "Quero falar com um atendente humano", phone="+5511900000012")
    for conversation, last in (
        (answered, "crm.ai.action.executed"),
        (handed, "crm.handoff.required"),
    ):
        draft = page.latest_draft("acme", conversation)
        assert draft is not None
        content, options = traces.render(MANAGER, "acme", *WINDOW, "day", draft["correlation_id"])
        names = [r["name"] for r in content[-1].rowData]
        steps = ["crm.message.received", "crm.ai.reply.suggested", "crm.ai.lead.qualified", last]
        assert [n for n in dict.fromkeys(names) if n in steps] == steps, names  # in this order
        assert any(
            o["value"] == draft["correlation_id"] and "WhatsApp" in o["label"] for o in options
        )
    assert page.latest_draft("acme", answered)["sent"] == "automatically"  # type: ignore[index]
    with pytest.raises(UsageError, match="already sent this draft by itself"):
        page.act(MANAGER, "acme", selected(MANAGER, "acme", answered)[2], "again", trigger=SEND)

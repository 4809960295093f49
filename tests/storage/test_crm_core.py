"""CRM core and campaigns on both backends: lifecycle events, idempotent creates, the state machine."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.errors import NotFoundError, UsageError
from matrix.modules import registry
from matrix.modules.context import Work
from matrix.modules.crm import campaigns, followups, outbound
from matrix.modules.crm import core as crm_core
from matrix.modules.crm.leads import TransitionError
from matrix.modules.crm.outbound import RecordingTransport
from matrix.modules.customers import service as customers
from matrix.runtime import Worker
from matrix.runtime.handlers import default_handlers
from matrix.storage import Store


@pytest.fixture
def work(clock: FrozenClock) -> Work:
    return Work.new("acme", clock)


def test_core_records_emit_their_lifecycle_events_once(store: Store, work: Work) -> None:
    account, a1 = crm_core.create(
        store, work, crm_core.ACCOUNT, {"name": "Padaria Boa Massa", "external_key": "acc-1"}
    )
    _, a2 = crm_core.create(
        store, work, crm_core.ACCOUNT, {"name": "Other", "external_key": "acc-1"}
    )
    contact, _ = crm_core.create(store, work, crm_core.CONTACT, {
        "display_name": "Carla Dias", "phone_e164": "+5511977776666", "account_id": account["account_id"]})  # fmt: skip
    deal, _ = crm_core.create(store, work, crm_core.DEAL, {
        "title": "Pão de queijo em atacado", "stage": "new", "amount": "1200",
        "contact_id": contact["contact_id"]})  # fmt: skip
    crm_core.move_deal(store, work, deal["deal_id"], "proposal")
    crm_core.move_deal(store, work, deal["deal_id"], "proposal")
    crm_core.create(store, work, crm_core.ACTIVITY, {
        "kind": "call", "body": "Pediu proposta por escrito", "deal_id": deal["deal_id"]})  # fmt: skip
    crm_core.create(store, work, crm_core.TASK, {
        "title": "Enviar proposta", "status": "pending", "priority": "high", "deal_id": deal["deal_id"]})  # fmt: skip
    assert (a1, a2) == ("created", "idempotent")
    names = [e["name"] for e in store.events.trace("acme", work.correlation_id)]
    assert names == ["crm.account.created", "crm.contact.created", "crm.deal.created", "crm.deal.updated",
                     "crm.deal.stage.changed", "crm.deal.updated", "crm.activity.created", "crm.task.created"]  # fmt: skip
    with pytest.raises(UsageError, match="stage must be one of"):
        crm_core.move_deal(store, work, deal["deal_id"], "negotiation")


def test_core_refuses_another_tenants_record_as_unknown(store: Store, work: Work) -> None:
    theirs, _ = crm_core.create(
        store, Work.new("globex", work.clock), crm_core.ACCOUNT, {"name": "Globex"}
    )
    refusals = []
    for account_id in (theirs["account_id"], "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(NotFoundError) as info:
            crm_core.create(
                store, work, crm_core.CONTACT, {"display_name": "Ana", "account_id": account_id}
            )
        refusals.append(str(info.value).replace(account_id, "<id>"))
    assert refusals[0] == refusals[1]
    assert crm_core.page(store, "acme", crm_core.CONTACT) == ([], 0)


def test_campaign_moves_only_by_its_state_machine(store: Store, work: Work) -> None:
    campaign, _ = campaigns.create(
        store, work, name="Black Friday", message="Descontos de até 30%!"
    )
    with pytest.raises(TransitionError) as info:
        campaigns.move(
            store, work, campaign["campaign_id"], to_state="running", trigger="start_window_open"
        )
    assert info.value.code == "transition_not_allowed"
    with pytest.raises(TransitionError) as info:
        campaigns.move(
            store, work, campaign["campaign_id"], to_state="scheduled", trigger="start_now"
        )
    assert (
        info.value.code == "trigger_mismatch" and info.value.expected_trigger == "schedule_campaign"
    )
    campaigns.move(
        store, work, campaign["campaign_id"], to_state="scheduled", trigger="schedule_campaign"
    )
    campaigns.move(
        store, work, campaign["campaign_id"], to_state="canceled", trigger="cancel_campaign"
    )
    assert store.modules.campaigns.get("acme", campaign["campaign_id"])["state"] == "canceled"  # type: ignore[index]
    with pytest.raises(UsageError, match="only a running campaign sends"):
        campaigns.send(store, work, campaign["campaign_id"])
    assert store.events.count("acme", name="crm.campaign.state.changed") == 2


def test_approved_campaign_blast_messages_each_customer_once(
    concierge: Concierge, store: Store, clock: FrozenClock, work: Work
) -> None:
    for n, name in enumerate(("Ana Souza", "João Lima", "Maria Silva")):
        customers.upsert(store, work, display_name=name, phone=f"+55119999900{n:02d}")
    customers.upsert(store, work, display_name="Sem Telefone")
    campaigns.create(store, work, name="Natal", message="Feliz Natal! Pedidos até dia 20.")
    result = concierge.interact("acme", "owner", "Disparar a campanha de Natal para todos")
    assert result["policy_decision"]["execution_decision"] == "confirm_required"
    concierge.resolve_confirmation(
        "acme", result["confirmation"]["confirmation_id"], "approve", actor="owner"
    )
    stats = Worker(store, default_handlers(), clock=clock).drain()
    assert stats.completed == 1
    transport = RecordingTransport()
    outbound.dispatch_due(store, transport, clock, on_outcome={})
    assert sorted(m["phone_e164"] for m in transport.sent) == [
        "+5511999990000",
        "+5511999990001",
        "+5511999990002",
    ]
    assert {m["text"] for m in transport.sent} == {"Feliz Natal! Pedidos até dia 20."}
    [campaign] = store.modules.campaigns.find("acme")
    assert campaign["state"] == "completed"


def test_views_deals_and_followups_round_trip(store: Store, work: Work, clock: FrozenClock) -> None:
    view, _ = crm_core.create(store, work, crm_core.VIEW, {
        "name": "Ganhos", "module": "crm.deals", "filters": {"stage": ["won"]}, "columns": ["title", "amount"],
        "sort": {"field": "amount", "direction": "desc"}})  # fmt: skip
    deal, _ = crm_core.create(store, work, crm_core.DEAL, {
        "title": "Atacado", "stage": "new", "amount": "10.50", "expected_close_date": "2026-12-31"})  # fmt: skip
    followup, _ = followups.schedule(store, work, phone="+5511977776666", message="Oi!",
                                     schedule_at="2026-11-02T12:00:00Z")  # fmt: skip
    assert crm_core.page(store, "acme", crm_core.VIEW) == ([view], 1)
    assert view["filters"] == {"stage": ["won"]} and view["columns"] == ["title", "amount"]
    assert (str(deal["amount"]), str(deal["expected_close_date"])) == ("10.50", "2026-12-31")
    transport = RecordingTransport()
    outbound.dispatch_due(store, transport, clock, on_outcome=registry.outcomes())
    assert transport.sent == [] and followups.page(store, "acme", status="pending")[1] == 1
    clock.advance(timedelta(hours=3))
    outbound.dispatch_due(store, transport, clock, on_outcome=registry.outcomes())
    [sent], _ = followups.page(store, "acme", status="sent")
    assert (
        sent["followup_id"] == followup["followup_id"]
        and sent["provider_message_id"] == "wamid-000001"
    )

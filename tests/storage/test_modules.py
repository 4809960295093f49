"""Business modules on both backends: funnel, campaigns, collections, idempotent creates, bad input."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from matrix.clock import FrozenClock
from matrix.errors import ConflictError, NotFoundError, UsageError
from matrix.modules import registry
from matrix.modules.agenda import service as agenda
from matrix.modules.billing import service as billing
from matrix.modules.context import Work
from matrix.modules.crm import funnel as crm
from matrix.modules.crm import leads, outbound
from matrix.modules.crm.outbound import RecordingTransport
from matrix.modules.customers import service as customers
from matrix.storage import Store

PHONE = "+5511999990000"
OUTCOMES = registry.outcomes()


@pytest.fixture
def work(store: Store, clock: FrozenClock) -> Work:
    return Work.new("acme", clock)


def _lead_at(store: Store, work: Work, stage: str, n: int = 0) -> str:
    lead, _ = leads.capture(store, work, display_name="Carla Dias", phone=f"+55119888{n:05d}")
    store.modules.leads.update("acme", lead["lead_id"], {"stage": stage})
    return str(lead["lead_id"])


def test_every_funnel_transition_is_accepted_with_history_and_event(
    store: Store, work: Work
) -> None:
    assert len(crm.FUNNEL) == 21
    for n, ((source, target), (trigger, needs_reason)) in enumerate(sorted(crm.FUNNEL.items())):
        lead_id = _lead_at(store, work, source, n)
        moved = leads.move(store, work, lead_id, to_stage=target, trigger=trigger,
                           reason_code="owner_asked" if needs_reason else None)  # fmt: skip
        assert moved["stage"] == target
        [entry] = leads.history(store, "acme", lead_id)
        assert (entry["from_stage"], entry["to_stage"], entry["trigger"]) == (
            source,
            target,
            trigger,
        )
    changed = store.events.list("acme", name="crm.lead.stage.changed", limit=100)
    assert len(changed) == 21


def test_every_refused_funnel_move_has_its_error_code(store: Store, work: Work) -> None:
    lead_id = _lead_at(store, work, "new")
    refused = 0
    for source in crm.STAGES:
        for target in crm.STAGES:
            if source == target or (source, target) in crm.FUNNEL:
                continue
            store.modules.leads.update("acme", lead_id, {"stage": source})
            with pytest.raises(leads.TransitionError) as info:
                leads.move(store, work, lead_id, to_stage=target, trigger="anything")
            assert info.value.code == "transition_not_allowed"
            refused += 1
    assert refused == 9 * 8 - 21
    store.modules.leads.update("acme", lead_id, {"stage": "new"})
    cases = [
        ("negotiation", None, None, "unknown_next_stage"),
        ("contacted", None, None, "missing_trigger"),
        ("contacted", "ab", None, "missing_trigger"),
        ("contacted", "proposal_sent", None, "trigger_mismatch"),
    ]
    for target, trigger, reason, code in cases[1:]:
        with pytest.raises(leads.TransitionError) as info:
            leads.move(store, work, lead_id, to_stage=target, trigger=trigger, reason_code=reason)
        assert info.value.code == code
    with pytest.raises(leads.TransitionError) as info:
        leads.move(store, work, lead_id, to_stage="closed", trigger="x")
    assert info.value.code == "unknown_next_stage"
    store.modules.leads.update("acme", lead_id, {"stage": "lost"})
    with pytest.raises(leads.TransitionError) as info:
        leads.move(store, work, lead_id, to_stage="nurturing", trigger="reopen_requested")
    assert (
        info.value.code == "reason_code_required"
        and info.value.expected_trigger == "reopen_requested"
    )
    store.modules.leads.update("acme", lead_id, {"stage": "limbo"})
    with pytest.raises(leads.TransitionError) as info:
        leads.move(store, work, lead_id, to_stage="new", trigger="x")
    assert info.value.code == "unknown_current_stage"
    assert leads.history(store, "acme", lead_id) == []


def test_same_stage_is_a_no_op(store: Store, work: Work) -> None:
    lead_id = _lead_at(store, work, "qualified")
    assert (
        leads.move(store, work, lead_id, to_stage="qualified", trigger=None)["stage"] == "qualified"
    )
    assert leads.history(store, "acme", lead_id) == []


@pytest.mark.parametrize(
    ("source", "target", "trigger"),
    sorted((s, t, tr) for (s, t), (tr, _) in crm.CAMPAIGN_FLOW.items()),
)
def test_campaign_state_machine_accepts_its_transitions(
    source: str, target: str, trigger: str
) -> None:
    assert crm.check_campaign(source, target, trigger).ok
    assert (
        crm.check_campaign(source, target, "wrong_trigger").code
        == crm.TransitionCode.TRIGGER_MISMATCH
    )


def test_campaign_state_machine_refuses_the_rest() -> None:
    for source in crm.CAMPAIGN_STATES:
        for target in crm.CAMPAIGN_STATES:
            if source != target and (source, target) not in crm.CAMPAIGN_FLOW:
                assert (
                    crm.check_campaign(source, target, "x").code == crm.TransitionCode.NOT_ALLOWED
                )
    assert crm.check_campaign("draft", "draft", None).same_state


def test_collection_states_follow_the_origin_flow() -> None:
    path = ["requested", "queued", "sent", "delivered", "read", "promise_to_pay", "paid"]
    for source, target in itertools.pairwise(path):
        trigger = crm.COLLECTION_FLOW[(source, target)][0]
        assert crm.check_collection(source, target, trigger).ok
    assert (
        crm.check_collection("paid", "queued", "retry_eligible").code
        == crm.TransitionCode.NOT_ALLOWED
    )
    assert crm.check_collection("failed", "queued", "retry_eligible").ok


def test_creates_are_idempotent_by_external_key(store: Store, work: Work) -> None:
    first, s1 = customers.upsert(
        store, work, display_name="Ana Souza", phone=PHONE, external_key="crm-1"
    )
    again, s2 = customers.upsert(store, work, display_name="Another Name", external_key="crm-1")
    assert (s1, s2) == ("created", "idempotent") and again["customer_id"] == first["customer_id"]
    _lead, l1 = leads.capture(store, work, display_name="Carla", phone="+5511977776666")
    _, l2 = leads.capture(store, work, display_name="Carla D.", phone="+5511977776666")
    charge, c1 = billing.create_charge(store, work, customer_id=first["customer_id"], amount="350.00",
                                       currency="BRL", due_date=date(2026, 11, 1), external_key="inv-88")  # fmt: skip
    _, c2 = billing.create_charge(store, work, customer_id=first["customer_id"], amount=999, currency="BRL",
                                  due_date=date(2026, 11, 1), external_key="inv-88")  # fmt: skip
    assert (l1, l2, c1, c2) == ("created", "idempotent", "created", "idempotent")
    names = [e["name"] for e in store.events.trace("acme", work.correlation_id)]
    assert names == ["customer.created", "crm.lead.created", "billing.charge.created"]
    assert charge["amount"] == Decimal("350.00")


def test_lead_conversion_once_with_event(store: Store, work: Work) -> None:
    lead, _ = leads.capture(
        store, work, display_name="Carla Dias", phone="+5511977776666", stage="won"
    )
    customer, status = leads.convert(store, work, lead["lead_id"])
    assert (
        status == "created"
        and customer["origin"] == "lead_conversion"
        and customer["lead_id"] == lead["lead_id"]
    )
    assert leads.convert(store, work, lead["lead_id"])[1] == "idempotent"
    assert store.events.count("acme", name="crm.lead.converted") == 1


def test_merge_keeps_an_audit_trail(store: Store, work: Work) -> None:
    kept, _ = customers.upsert(store, work, display_name="Ana Souza")
    dup, _ = customers.upsert(store, work, display_name="Ana S.", phone=PHONE)
    merged = customers.merge(
        store, work, kept["customer_id"], dup["customer_id"], actor="owner", reason="same person"
    )
    assert merged["primary_phone"] == PHONE
    assert (
        store.modules.customers.get("acme", dup["customer_id"])["merged_into"]
        == kept["customer_id"]
    )  # type: ignore[index]
    [audit] = store.modules.customer_merges.find("acme")
    assert audit["actor"] == "owner" and audit["snapshot"]["display_name"] == "Ana S."
    with pytest.raises(UsageError, match="already merged"):
        customers.merge(store, work, kept["customer_id"], dup["customer_id"], actor="owner")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": -5}, "amount must be greater than 0"),
        ({"amount": "12.345"}, "more than two decimal places"),
        ({"currency": "REAIS"}, "not a supported ISO 4217 code"),
        ({"customer_id": "nobody"}, "No customer with that customer_id"),
    ],
)
def test_bad_charge_input_changes_nothing(
    store: Store, work: Work, kwargs: dict, message: str
) -> None:  # type: ignore[type-arg]
    customer, _ = customers.upsert(store, work, display_name="Ana Souza", phone=PHONE)
    args = {
        "customer_id": customer["customer_id"],
        "amount": 100,
        "currency": "BRL",
        "due_date": date(2026, 12, 1),
        **kwargs,
    }
    with pytest.raises((UsageError, NotFoundError), match=message):
        billing.create_charge(store, work, **args)
    assert store.modules.charges.find("acme") == []


def test_invalid_phone_is_refused(store: Store, work: Work) -> None:
    with pytest.raises(UsageError, match=r"E\.164"):
        customers.upsert(store, work, display_name="Ana Souza", phone="11 99999-0000")
    with pytest.raises(UsageError, match=r"E\.164"):
        leads.capture(store, work, display_name="Carla", phone="0800")
    assert store.modules.customers.find("acme") == [] and store.modules.leads.find("acme") == []


def test_payment_settles_its_charge_and_cannot_touch_another_tenant(
    store: Store, work: Work, clock: FrozenClock
) -> None:
    customer, _ = customers.upsert(store, work, display_name="Ana Souza", phone=PHONE)
    charge, _ = billing.create_charge(store, work, customer_id=customer["customer_id"], amount=300, currency="BRL",
                                      due_date=date(2026, 10, 1))  # fmt: skip
    other = Work.new("globex", clock)
    with pytest.raises(NotFoundError, match="charge_not_found"):
        billing.record_payment(
            store, other, charge_id=charge["charge_id"], amount=300, currency="BRL"
        )
    assert store.modules.payments.find("globex") == [] and store.modules.payments.find("acme") == []
    billing.record_payment(store, work, charge_id=charge["charge_id"], amount=100, currency="BRL")
    assert store.modules.charges.get("acme", charge["charge_id"])["status"] == "open"  # type: ignore[index]
    _, settled, _ = billing.record_payment(
        store, work, charge_id=charge["charge_id"], amount=200, currency="BRL"
    )
    assert settled["status"] == "paid"
    assert store.events.count("acme", name="billing.payment.confirmed") == 2
    with pytest.raises(ConflictError, match="already paid"):
        billing.record_payment(store, work, charge_id=charge["charge_id"], amount=1, currency="BRL")


def _overdue_charge(store: Store, work: Work) -> tuple[dict, dict]:  # type: ignore[type-arg]
    customer, _ = customers.upsert(store, work, display_name="Ana Souza", phone=PHONE)
    charge, _ = billing.create_charge(store, work, customer_id=customer["customer_id"], amount=350, currency="BRL",
                                      due_date=date(2026, 10, 20))  # fmt: skip
    return customer, charge


def test_collection_goes_out_through_persona_2(
    store: Store, work: Work, clock: FrozenClock
) -> None:
    _, charge = _overdue_charge(store, work)
    billing.request_collection(store, work, charge["charge_id"])
    transport = RecordingTransport()
    stats = outbound.dispatch_due(store, transport, clock, on_outcome=OUTCOMES)
    assert (
        stats.sent == 1
        and transport.sent[0]["phone_e164"] == PHONE
        and "350.00" in transport.sent[0]["text"]
    )
    assert store.modules.charges.get("acme", charge["charge_id"])["collection_state"] == "sent"  # type: ignore[index]
    names = [e["name"] for e in store.events.trace("acme", work.correlation_id)]
    assert names[-3:] == [
        "billing.collection.dispatch.request",
        "billing.collection.requested",
        "billing.collection.sent",
    ]


def test_transport_failing_twice_then_succeeding_delivers_once(
    store: Store, work: Work, clock: FrozenClock
) -> None:
    _, charge = _overdue_charge(store, work)
    billing.request_collection(store, work, charge["charge_id"])
    transport = RecordingTransport(
        failures=[("PROVIDER_SEND_ERROR", True), ("PROVIDER_SEND_ERROR", True)]
    )
    for _ in range(3):
        outbound.dispatch_due(store, transport, clock, on_outcome=OUTCOMES)
        clock.advance(timedelta(minutes=5))
    assert transport.attempts == 3 and len(transport.sent) == 1
    [message] = store.modules.outbound.find("acme")
    assert (message["status"], message["attempts"]) == ("sent", 3)
    assert store.events.count("acme", name="billing.collection.sent") == 1


def test_transport_that_always_fails_ends_dead_with_its_reason(
    store: Store, work: Work, clock: FrozenClock
) -> None:
    _, charge = _overdue_charge(store, work)
    billing.request_collection(store, work, charge["charge_id"])
    transport = RecordingTransport(failures=[("PROVIDER_SEND_ERROR", True)] * 10)
    for _ in range(8):
        outbound.dispatch_due(store, transport, clock, on_outcome=OUTCOMES)
        clock.advance(timedelta(minutes=10))
    [message] = store.modules.outbound.find("acme")
    assert (message["status"], message["attempts"], message["error_code"]) == (
        "dead",
        5,
        "PROVIDER_SEND_ERROR",
    )
    assert transport.attempts == 5 and transport.sent == []
    assert store.modules.charges.get("acme", charge["charge_id"])["collection_state"] == "failed"  # type: ignore[index]
    [failed] = store.events.list("acme", name="billing.collection.failed")
    assert failed["payload"]["error_code"] == "PROVIDER_SEND_ERROR"


def test_reminders_are_dispatched_when_due_not_when_created(
    store: Store, work: Work, clock: FrozenClock
) -> None:
    customer, _ = customers.upsert(store, work, display_name="Ana Souza", phone=PHONE)
    start = clock.now() + timedelta(days=3)
    _, reminder = agenda.schedule(
        store, work, title="Reunião com Ana", start_at=start, customer=customer
    )
    assert reminder["channel"] == "whatsapp" and reminder["schedule_at"] == start - timedelta(
        days=1
    )
    transport = RecordingTransport()
    assert agenda.dispatch_due(store, clock) == 0
    clock.advance(timedelta(days=2, minutes=1))
    assert agenda.dispatch_due(store, clock) == 1
    assert (
        store.modules.reminders.get("acme", reminder["reminder_id"])["status"]
        == "dispatch_requested"
    )  # type: ignore[index]
    outbound.dispatch_due(store, transport, clock, on_outcome=OUTCOMES)
    assert store.modules.reminders.get("acme", reminder["reminder_id"])["status"] == "sent"  # type: ignore[index]
    names = [e["name"] for e in store.events.trace("acme", work.correlation_id)]
    assert names[-3:] == [
        "agenda.reminder.scheduled",
        "agenda.reminder.dispatch.request",
        "agenda.reminder.sent",
    ]


def test_canceling_an_appointment_cancels_its_reminder(
    store: Store, work: Work, clock: FrozenClock
) -> None:
    appointment, reminder = agenda.schedule(
        store, work, title="Call", start_at=clock.now() + timedelta(days=2)
    )
    agenda.cancel(store, work, appointment["appointment_id"])
    clock.advance(timedelta(days=3))
    assert agenda.dispatch_due(store, clock) == 0
    assert store.modules.reminders.get("acme", reminder["reminder_id"])["status"] == "canceled"  # type: ignore[index]
    assert store.events.count("acme", name="agenda.reminder.canceled") == 1

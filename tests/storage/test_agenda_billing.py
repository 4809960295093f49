"""Agenda and billing as the owner's console drives them, on both backends: appointments booked and
changed, reminders that wait for the scheduler, charges changed, payments that settle or fail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from matrix.clock import FrozenClock
from matrix.errors import ConflictError, NotFoundError, UsageError
from matrix.modules.agenda import service as agenda
from matrix.modules.billing import service as billing
from matrix.modules.context import Work
from matrix.modules.customers import service as customers
from matrix.storage import Store

PHONE = "+5511999990000"
START = "2026-11-10T10:00:00-03:00"
END = "2026-11-10T11:00:00-03:00"


@pytest.fixture
def work(store: Store, clock: FrozenClock) -> Work:
    return Work.new("acme", clock)


def _appointment(store: Store, work: Work, **kwargs: object) -> dict:  # type: ignore[type-arg]
    args: dict = {"title": "Consulta", "start_at": START, "end_at": END, **kwargs}  # type: ignore[type-arg]
    appointment, _ = agenda.create_appointment(store, work, **args)
    return appointment


def _charge(store: Store, work: Work, amount: object = 300) -> dict:  # type: ignore[type-arg]
    customer, _ = customers.upsert(store, work, display_name="Ana Souza", phone=PHONE)
    charge, _ = billing.create_charge(store, work, customer_id=customer["customer_id"], amount=amount,
                                      currency="BRL", due_date="2026-10-20")  # fmt: skip
    return charge


def test_create_appointment_is_idempotent_by_key_and_emits_nothing(
    store: Store, work: Work
) -> None:
    first, created = agenda.create_appointment(store, work, title="Consulta", start_at=START, end_at=END,
                                               external_key="cal-1", metadata={"room": "2"})  # fmt: skip
    again, repeated = agenda.create_appointment(store, work, title="Other", start_at=START, end_at=END,
                                                external_key="cal-1")  # fmt: skip
    assert (created, repeated) == ("created", "idempotent")
    assert again["appointment_id"] == first["appointment_id"] and again["title"] == "Consulta"
    stored = store.modules.appointments.get("acme", first["appointment_id"])
    assert (
        stored is not None and stored["metadata"] == {"room": "2"} and stored["start_at"].hour == 13
    )
    assert store.events.count("acme") == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"end_at": "2026-11-10T09:59:00-03:00"}, "before start_at"),
        ({"start_at": "2026-11-10T10:00:00"}, "no UTC offset"),
        ({"start_at": "2026-02-30T10:00:00Z"}, "not a time"),
        ({"timezone": "Mars/Olympus"}, "not a time zone"),
        ({"status": "completed"}, "not how an appointment starts"),
        ({"title": " a "}, "at least 2 characters"),
    ],
)
def test_bad_appointment_is_refused_and_nothing_stored(
    store: Store,
    work: Work,
    kwargs: dict,
    message: str,  # type: ignore[type-arg]
) -> None:
    with pytest.raises(UsageError, match=message):
        _appointment(store, work, **kwargs)
    assert store.modules.appointments.find("acme") == []


def test_appointment_of_an_unknown_customer_is_not_found(store: Store, work: Work) -> None:
    with pytest.raises(NotFoundError) as refused:
        _appointment(store, work, customer_id="00000000-0000-0000-0000-000000000000")
    assert refused.value.code == "customer_not_found"


def test_update_appointment_checks_the_merged_times(store: Store, work: Work) -> None:
    appointment = _appointment(store, work)
    moved = agenda.update_appointment(store, work, appointment["appointment_id"], {
        "start_at": "2026-11-11T10:00:00-03:00", "end_at": "2026-11-11T10:30:00-03:00", "status": "confirmed"})  # fmt: skip
    assert moved["status"] == "confirmed" and moved["end_at"] - moved["start_at"] == timedelta(
        minutes=30
    )
    with pytest.raises(UsageError, match="before start_at"):
        agenda.update_appointment(
            store, work, appointment["appointment_id"], {"start_at": "2026-11-12T10:00:00Z"}
        )
    stored = store.modules.appointments.get("acme", appointment["appointment_id"])
    assert stored is not None and stored["start_at"] == moved["start_at"]


def test_canceling_by_update_cancels_pending_reminders_and_closes_it(
    store: Store, work: Work
) -> None:
    appointment = _appointment(store, work)
    reminder, _ = agenda.add_reminder(store, work, appointment_id=appointment["appointment_id"],
                                      schedule_at="2026-11-09T10:00:00-03:00", channel="ui-chat")  # fmt: skip
    agenda.update_appointment(store, work, appointment["appointment_id"], {"status": "canceled"})
    assert store.modules.reminders.get("acme", reminder["reminder_id"])["status"] == "canceled"  # type: ignore[index]
    with pytest.raises(ConflictError) as closed:
        agenda.update_appointment(store, work, appointment["appointment_id"], {"title": "Again"})
    assert closed.value.code == "appointment_closed"
    agenda.update_appointment(
        store, work, appointment["appointment_id"], {"description": "no-show"}
    )
    with pytest.raises(ConflictError) as refused:
        agenda.add_reminder(store, work, appointment_id=appointment["appointment_id"],
                            schedule_at="2026-11-09T10:00:00Z", channel="ui-chat")  # fmt: skip
    assert refused.value.code == "appointment_closed"


def test_update_appointment_of_another_tenant_is_not_found(
    store: Store, work: Work, clock: FrozenClock
) -> None:
    appointment = _appointment(store, work)
    with pytest.raises(NotFoundError) as refused:
        agenda.update_appointment(
            store, Work.new("globex", clock), appointment["appointment_id"], {"title": "Mine"}
        )
    assert refused.value.code == "not_found"
    assert (
        store.modules.appointments.get("acme", appointment["appointment_id"])["title"] == "Consulta"
    )  # type: ignore[index]


def test_reminder_waits_for_its_time_and_goes_to_the_customers_number(
    store: Store, work: Work, clock: FrozenClock
) -> None:
    customer, _ = customers.upsert(store, work, display_name="Ana Souza", phone=PHONE)
    appointment = _appointment(store, work, customer_id=customer["customer_id"])
    reminder, status = agenda.add_reminder(store, work, appointment_id=appointment["appointment_id"],
                                           schedule_at="2026-11-09T10:00:00-03:00", channel="whatsapp",
                                           external_key="rem-1")  # fmt: skip
    assert (status, reminder["status"], reminder["phone_e164"]) == ("created", "scheduled", PHONE)
    assert reminder["message"] == "Lembrete: Consulta em 10/11 10:00."
    assert agenda.dispatch_due(store, clock) == 0
    _, again = agenda.add_reminder(store, work, appointment_id=appointment["appointment_id"],
                                   schedule_at="2026-11-09T12:00:00Z", channel="whatsapp", external_key="rem-1")  # fmt: skip
    assert (
        again == "idempotent" and store.events.count("acme", name="agenda.reminder.scheduled") == 1
    )
    clock.advance(timedelta(days=7, hours=5))
    assert agenda.dispatch_due(store, clock) == 1
    assert (
        store.modules.reminders.get("acme", reminder["reminder_id"])["status"]
        == "dispatch_requested"
    )  # type: ignore[index]


def test_whatsapp_reminder_without_a_number_is_refused(store: Store, work: Work) -> None:
    appointment = _appointment(store, work)
    with pytest.raises(UsageError, match="phone_e164"):
        agenda.add_reminder(store, work, appointment_id=appointment["appointment_id"],
                            schedule_at="2026-11-09T10:00:00Z", channel="whatsapp")  # fmt: skip
    with pytest.raises(NotFoundError) as unknown:
        agenda.add_reminder(
            store,
            work,
            appointment_id="nope",
            schedule_at="2026-11-09T10:00:00Z",
            channel="ui-chat",
        )
    assert unknown.value.code == "appointment_not_found"
    assert store.modules.reminders.find("acme") == []


def test_update_charge_changes_fields_and_guards_closed_ones(store: Store, work: Work) -> None:
    charge = _charge(store, work)
    changed = billing.update_charge(store, work, charge["charge_id"], {
        "amount": 320.5, "due_date": "2026-12-01", "metadata": {"invoice": "F-1"}})  # fmt: skip
    stored = store.modules.charges.get("acme", charge["charge_id"])
    assert (
        stored is not None
        and str(stored["amount"]) == "320.50"
        and stored["due_date"] == date(2026, 12, 1)
    )
    assert changed["metadata"] == stored["metadata"] == {"invoice": "F-1"}
    with pytest.raises(UsageError, match="cannot be set"):
        billing.update_charge(store, work, charge["charge_id"], {"status": "paid"})
    billing.update_charge(store, work, charge["charge_id"], {"status": "canceled"})
    with pytest.raises(ConflictError) as closed:
        billing.update_charge(store, work, charge["charge_id"], {"amount": 10})
    assert closed.value.code == "charge_closed"
    with pytest.raises(NotFoundError) as unknown:
        billing.update_charge(store, work, "nope", {"amount": 10})
    assert unknown.value.code == "not_found"


def test_update_charge_keeps_what_was_paid(store: Store, work: Work) -> None:
    charge = _charge(store, work)
    billing.record_payment(store, work, charge_id=charge["charge_id"], amount=100, currency="BRL")
    for changes, code in (
        ({"currency": "USD"}, "currency_locked"),
        ({"amount": 50}, "amount_below_paid"),
    ):
        with pytest.raises(ConflictError) as refused:
            billing.update_charge(store, work, charge["charge_id"], changes)
        assert refused.value.code == code
    assert (
        billing.update_charge(store, work, charge["charge_id"], {"amount": 100})["status"] == "paid"
    )


def test_payment_is_idempotent_by_key_even_after_it_settled(store: Store, work: Work) -> None:
    charge = _charge(store, work)
    payment, settled, status = billing.record_payment(store, work, charge_id=charge["charge_id"], amount=300,
                                                      currency="BRL", external_key="psp-1")  # fmt: skip
    again, charge_now, repeated = billing.record_payment(store, work, charge_id=charge["charge_id"], amount=999,
                                                         currency="BRL", external_key="psp-1")  # fmt: skip
    assert (status, settled["status"]) == ("created", "paid")
    assert (repeated, again["payment_id"], str(again["amount"])) == (
        "idempotent",
        payment["payment_id"],
        "300.00",
    )
    assert charge_now["status"] == "paid"
    assert store.events.count("acme", name="billing.payment.confirmed") == 1


def test_failed_payment_is_kept_and_settles_nothing(store: Store, work: Work) -> None:
    charge = _charge(store, work)
    payment, after, _ = billing.record_payment(store, work, charge_id=charge["charge_id"], amount=300,
                                               currency="BRL", status="failed")  # fmt: skip
    assert payment["status"] == "failed" and after["status"] == "open"
    assert store.events.count("acme", name="billing.payment.confirmed") == 0
    _, paid, _ = billing.record_payment(
        store, work, charge_id=charge["charge_id"], amount=300, currency="BRL"
    )
    assert paid["status"] == "paid"


def test_collection_of_a_paid_charge_is_a_conflict(store: Store, work: Work) -> None:
    charge = _charge(store, work)
    billing.record_payment(store, work, charge_id=charge["charge_id"], amount=300, currency="BRL")
    with pytest.raises(ConflictError) as refused:
        billing.request_collection(store, work, charge["charge_id"])
    assert refused.value.code == "charge_not_collectable"
    assert store.modules.outbound.find("acme") == []


def test_collection_goes_to_the_given_number_with_the_given_text(store: Store, work: Work) -> None:
    charge = _charge(store, work)
    after, command_id = billing.request_collection(store, work, charge["charge_id"], phone="+5511988887777",
                                                   message="Pague, por favor.")  # fmt: skip
    [message] = store.modules.outbound.find("acme")
    assert (message["phone_e164"], message["text"], message["causation_id"]) == (
        "+5511988887777", "Pague, por favor.", command_id)  # fmt: skip
    assert after["collection_state"] == "queued"
    with pytest.raises(ConflictError) as again:
        billing.request_collection(store, work, charge["charge_id"])
    assert again.value.code == "collection_already_requested"

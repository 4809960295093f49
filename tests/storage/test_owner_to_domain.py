"""End to end on both backends: an owner's requests become real domain state on one correlation each."""

from __future__ import annotations

from datetime import date, timedelta

from matrix.app import build
from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.modules.billing import service as billing
from matrix.modules.context import Work
from matrix.modules.crm.outbound import RecordingTransport
from matrix.modules.customers import service as customers
from matrix.storage import Store

PHONE = "+5511999990000"


def test_meeting_and_collection_requests_end_in_domain_state(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    setup = Work.new("acme", clock)
    ana, _ = customers.upsert(store, setup, display_name="Ana Souza", phone=PHONE)
    charge, _ = billing.create_charge(store, setup, customer_id=ana["customer_id"], amount="480.00", currency="BRL",
                                      due_date=date(2026, 10, 15))  # fmt: skip
    meeting = concierge.interact("acme", "owner-1", "Agende uma reunião com a Ana na sexta às 10h")
    collect = concierge.interact("acme", "owner-1", "Cobrar a fatura vencida da Ana")
    assert meeting["downstream_tasks"][0]["task_type"] == "agenda.commitment.schedule"
    assert collect["downstream_tasks"][0]["task_type"] == "billing.collection.request"

    transport = RecordingTransport()
    scheduler = build(store=store, clock=clock, transport=transport).scheduler()
    scheduler.run(until_idle=True)
    clock.advance(timedelta(days=4))  # the reminder falls due a day before Friday's meeting
    scheduler.run(until_idle=True)

    [appointment] = store.modules.appointments.find("acme")
    assert (
        appointment["customer_id"] == ana["customer_id"]
        and appointment["title"] == "Reunião com Ana"
    )
    start = appointment["start_at"]
    assert (start.weekday(), start.hour, start.minute) == (4, 13, 0)  # Friday 10:00 in São Paulo
    [reminder] = store.modules.reminders.find("acme")
    assert reminder["status"] == "sent" and reminder["channel"] == "whatsapp"
    assert store.modules.charges.get("acme", charge["charge_id"])["collection_state"] == "sent"  # type: ignore[index]
    texts = [m["text"] for m in transport.sent]
    assert (
        len(texts) == 2
        and any("480.00" in t for t in texts)
        and any("Lembrete" in t for t in texts)
    )

    meeting_trace = [
        e["name"] for e in store.events.trace("acme", meeting["owner_command"]["correlation_id"])
    ]
    assert meeting_trace == [
        "owner.command.create", "owner.command.created", "owner.decision.made", "module.task.create",
        "module.task.created", "owner.response.sent", "module.task.accepted", "agenda.reminder.scheduled", "module.task.completed",
        "agenda.reminder.dispatch.request", "agenda.reminder.sent",
    ]  # fmt: skip
    collect_trace = [
        e["name"] for e in store.events.trace("acme", collect["owner_command"]["correlation_id"])
    ]
    # The second message of the session: memory gave the provider the first exchange.
    assert collect_trace == [
        "owner.command.create", "owner.command.created", "owner.decision.made", "module.task.create",
        "module.task.created", "owner.memory.recalled", "owner.response.sent", "module.task.accepted", "billing.collection.dispatch.request", "billing.collection.requested",
        "module.task.completed", "billing.collection.sent",
    ]  # fmt: skip

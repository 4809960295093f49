"""Agenda (module 04): appointments and reminders, delivered by the scheduler when due.

A reminder is scheduled a day before the appointment (or an hour, or now, when that is already
past). When due, a WhatsApp reminder becomes an ``agenda.reminder.dispatch.request`` to Persona 2
and a queued message; it is ``sent`` only when the transport accepted it, ``failed`` when the
message ends in the dead-letter state. A reminder to the owner's chat is delivered at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from matrix import envelopes as env
from matrix.clock import Clock
from matrix.errors import NotFoundError, UsageError
from matrix.modules.context import Work
from matrix.modules.crm import outbound
from matrix.modules.ports import ModuleStore, Record

SYSTEM_ACTOR = {"actor_id": "agenda-scheduler", "actor_type": "system", "channel": "scheduler"}


def schedule(
    store: ModuleStore, work: Work, *, title: str, start_at: datetime, minutes: int = 60,
    timezone: str = "America/Sao_Paulo", customer: Record | None = None, language: str = "pt",
) -> tuple[Record, Record]:  # fmt: skip
    """Book an appointment and its reminder; emits ``agenda.reminder.scheduled``."""
    if not isinstance(title, str) or len(title.strip()) < 2:
        raise UsageError("title must have at least 2 characters.")
    if start_at.tzinfo is None:
        raise UsageError("start_at must carry a time zone.")
    if minutes <= 0:
        raise UsageError("an appointment must end after it starts (minutes > 0).")
    now = work.clock.now()
    remind_at = next(
        (start_at - d for d in (timedelta(days=1), timedelta(hours=1)) if start_at - d > now), now
    )
    phone = customer.get("primary_phone") if customer else None
    channel = "whatsapp" if phone else "ui-chat"
    when = (
        start_at.strftime("%d/%m %H:%M") if language == "pt" else start_at.strftime("%b %d, %H:%M")
    )
    message = (
        f"Lembrete: {title} em {when}." if language == "pt" else f"Reminder: {title} on {when}."
    )
    with store.transaction():
        appointment = {
            "appointment_id": env.new_id(), "tenant_id": work.tenant_id, "external_key": None,
            "customer_id": customer["customer_id"] if customer else None, "title": title.strip(),
            "start_at": start_at, "end_at": start_at + timedelta(minutes=minutes), "timezone": timezone,
            "status": "scheduled", "correlation_id": work.correlation_id, "created_at": now, "updated_at": now,
        }  # fmt: skip
        store.modules.appointments.insert(appointment)
        reminder = {
            "reminder_id": env.new_id(), "tenant_id": work.tenant_id,
            "appointment_id": appointment["appointment_id"], "schedule_at": remind_at, "channel": channel,
            "message": message, "phone_e164": phone, "status": "scheduled", "dispatch_id": None,
            "error_code": None, "correlation_id": work.correlation_id, "trace_id": work.trace_id,
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        store.modules.reminders.insert(reminder)
        store.events.append_many([work.event("agenda.reminder.scheduled", env.AGENDA,
                                             env.CRM if channel == "whatsapp" else env.OWNER, _payload(reminder))])  # fmt: skip
    return appointment, reminder


def _payload(reminder: Record) -> dict[str, object]:
    return {
        "reminder_id": reminder["reminder_id"], "appointment_id": reminder["appointment_id"],
        "schedule_at": env.timestamp(reminder["schedule_at"]),
        "target_channel": reminder["channel"],
    }  # fmt: skip


def dispatch_due(store: ModuleStore, clock: Clock, *, limit: int = 100) -> int:
    """Hand every due reminder (any tenant) to its channel; returns how many."""
    now = clock.now()
    due = store.modules.reminders.due(
        [("scheduled", "schedule_at", now)], order="schedule_at", limit=limit
    )
    for reminder in due:
        work = Work(tenant_id=reminder["tenant_id"], clock=clock, correlation_id=reminder["correlation_id"],
                    trace_id=reminder["trace_id"])  # fmt: skip
        with store.transaction():
            if reminder["channel"] == "ui-chat":
                if store.modules.reminders.update(work.tenant_id, reminder["reminder_id"],
                                                  {"status": "sent", "updated_at": now}, expect={"status": "scheduled"}):  # fmt: skip
                    store.events.append_many([work.event("agenda.reminder.sent", env.AGENDA, env.OWNER,
                                                         {**_payload(reminder), "dispatch_command_id": None},
                                                         status="completed")])  # fmt: skip
                continue
            command = work.command("agenda.reminder.dispatch.request", env.AGENDA, env.CRM, {
                "reminder_id": reminder["reminder_id"], "appointment_id": reminder["appointment_id"],
                "schedule_at": env.timestamp(reminder["schedule_at"]), "phone_e164": reminder["phone_e164"],
                "message": reminder["message"]}, SYSTEM_ACTOR)  # fmt: skip
            if not store.modules.reminders.update(work.tenant_id, reminder["reminder_id"], {
                    "status": "dispatch_requested", "dispatch_id": command["command_id"], "updated_at": now},
                    expect={"status": "scheduled"}):  # fmt: skip
                continue
            store.events.append_many([command])
            outbound.enqueue(store, Work(tenant_id=work.tenant_id, clock=work.clock, correlation_id=work.correlation_id,
                                         trace_id=work.trace_id, causation_id=command["command_id"]),
                             context_type="reminder", context_id=reminder["reminder_id"],
                             phone=reminder["phone_e164"], text=reminder["message"],
                             idempotency_key=f"reminder:{reminder['reminder_id']}")  # fmt: skip
    return len(due)


def on_outcome(
    store: ModuleStore, work: Work, message: Record, status: str, error: str | None, retryable: bool
) -> None:
    """Report a reminder's delivery: sent, or failed once its message is dead."""
    reminder = store.modules.reminders.get(work.tenant_id, message["context_id"])
    if reminder is None or status == "failed":
        return  # a retry is coming
    now = work.clock.now()
    payload = _payload(reminder)
    if status == "sent":
        store.modules.reminders.update(
            work.tenant_id, reminder["reminder_id"], {"status": "sent", "updated_at": now}
        )
        store.events.append_many([work.event("agenda.reminder.sent", env.CRM, env.AGENDA,
                                             {**payload, "dispatch_command_id": reminder["dispatch_id"]},
                                             status="completed")])  # fmt: skip
    else:
        store.modules.reminders.update(work.tenant_id, reminder["reminder_id"],
                                       {"status": "failed", "error_code": error, "updated_at": now})  # fmt: skip
        store.events.append_many([work.event("agenda.reminder.failed", env.CRM, env.OWNER,
                                             {**payload, "error_code": error or "DELIVERY_FAILED"}, status="failed")])  # fmt: skip


def cancel(store: ModuleStore, work: Work, appointment_id: str) -> Record:
    """Cancel an appointment and its pending reminders (``agenda.reminder.canceled``)."""
    with store.transaction():
        appointment = store.modules.appointments.get(work.tenant_id, appointment_id)
        if appointment is None:
            raise NotFoundError(f"No appointment {appointment_id!r} for tenant {work.tenant_id!r}.")
        now = work.clock.now()
        store.modules.appointments.update(
            work.tenant_id, appointment_id, {"status": "canceled", "updated_at": now}
        )
        for reminder in store.modules.reminders.find(work.tenant_id, appointment_id=appointment_id):
            if store.modules.reminders.update(work.tenant_id, reminder["reminder_id"], {"status": "canceled", "updated_at": now},
                                              expect={"status": "scheduled"}):  # fmt: skip
                store.events.append_many([work.event("agenda.reminder.canceled", env.AGENDA, env.OWNER,
                                                     _payload(reminder), status="info")])  # fmt: skip
    return {**appointment, "status": "canceled"}


def appointments(store: ModuleStore, tenant_id: str, *, limit: int = 10_000) -> list[Record]:
    """The tenant's appointments by start, each with its reminder's status (``reminder``)."""
    reminders = {
        r["appointment_id"]: r for r in store.modules.reminders.find(tenant_id, limit=limit)
    }
    return [{**a, "reminder": reminders.get(a["appointment_id"], {}).get("status")}
            for a in store.modules.appointments.find(tenant_id, order="start_at", limit=limit)]  # fmt: skip

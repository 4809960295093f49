"""Agenda (module 04): appointments and reminders, delivered by the scheduler when due.

An owner's task books an appointment with its reminder, scheduled a day before the appointment
(or an hour, or now, when that is already past); the owner's console books appointments and adds
reminders at the times it chooses. Either way a reminder stays ``scheduled`` until it is due. When due, a WhatsApp reminder becomes an ``agenda.reminder.dispatch.request`` to Persona 2
and a queued message; it is ``sent`` only when the transport accepted it, ``failed`` when the
message ends in the dead-letter state. A reminder to the owner's chat is delivered at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from matrix import envelopes as env
from matrix.clock import Clock
from matrix.errors import ConflictError, NotFoundError, UsageError
from matrix.modules import values
from matrix.modules.context import Work, create_once
from matrix.modules.crm import outbound
from matrix.modules.ports import ModuleStore, Record

SYSTEM_ACTOR = {"actor_id": "agenda-scheduler", "actor_type": "system", "channel": "scheduler"}
STATUSES = ("scheduled", "confirmed", "canceled", "completed")
CLOSED = ("canceled", "completed")
OPEN = ("scheduled", "confirmed")
# An open appointment may be confirmed (or put back), canceled or completed; a closed one stays so.
MOVES = frozenset(
    {("scheduled", "confirmed"), ("confirmed", "scheduled")}
    | {(a, b) for a in OPEN for b in CLOSED}
)
EDITABLE = ("title", "description", "start_at", "end_at", "timezone", "status", "metadata")
CHANNELS = ("whatsapp", "ui-chat")
# Not-found messages never quote the id: another tenant's id and an unknown one read the same.
NO_CUSTOMER = "No customer with that customer_id for this tenant (customer_not_found); create the customer first."


def schedule(
    store: ModuleStore, work: Work, *, title: str, start_at: datetime, minutes: int = 60,
    timezone: str = "America/Sao_Paulo", customer: Record | None = None, language: str = "pt",
) -> tuple[Record, Record]:  # fmt: skip
    """Book an appointment and its reminder; emits ``agenda.reminder.scheduled``."""
    title = _title(title)
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
    message = reminder_text(title, start_at, language)
    with store.transaction():
        appointment = {
            "appointment_id": env.new_id(), "tenant_id": work.tenant_id, "external_key": None,
            "customer_id": customer["customer_id"] if customer else None, "title": title,
            "start_at": start_at, "end_at": start_at + timedelta(minutes=minutes), "timezone": timezone,
            "status": "scheduled", "correlation_id": work.correlation_id, "created_at": now, "updated_at": now,
            "description": "",
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


def reminder_text(title: str, start_at: datetime, language: str = "pt") -> str:
    """The reminder a customer gets for ``title`` at ``start_at``, in their language."""
    if language == "pt":
        return f"Lembrete: {title} em {start_at:%d/%m %H:%M}."
    return f"Reminder: {title} on {start_at:%b %d, %H:%M}."


def create_appointment(
    store: ModuleStore, work: Work, *, title: str, start_at: object, end_at: object,
    timezone: str = "America/Sao_Paulo", description: str = "", status: str = "scheduled",
    customer_id: str | None = None, external_key: str | None = None, metadata: Record | None = None,
) -> tuple[Record, str]:  # fmt: skip
    """Book an appointment on its own, as the owner's console does (idempotent by external key).

    No reminder and no event: reminders are added with :func:`add_reminder`.

    Raises:
        UsageError: a short title, a time without an offset, an end before the start, an unknown
            time zone, or a status other than scheduled or confirmed.
        NotFoundError: ``customer_not_found``, the tenant has no such customer.
    """
    start, end = values.moment(start_at, "start_at"), values.moment(end_at, "end_at")
    if end < start:
        raise UsageError(
            f"end_at {end_at} is before start_at {start_at}; an appointment ends after it starts."
        )
    if status not in OPEN:
        raise UsageError(
            f"status {status!r} is not how an appointment starts; use scheduled or confirmed."
        )
    fields = {"title": _title(title), "description": description, "start_at": start, "end_at": end,
              "timezone": values.timezone(timezone), "status": status, "customer_id": customer_id,
              "metadata": metadata or {}, "correlation_id": work.correlation_id}  # fmt: skip
    if customer_id is not None and store.modules.customers.get(work.tenant_id, customer_id) is None:
        raise NotFoundError(NO_CUSTOMER, code="customer_not_found")
    return create_once(store, work, store.modules.appointments, "appointment_id", fields,
                       external_key=external_key, events=lambda _: [])  # fmt: skip


def update_appointment(
    store: ModuleStore, work: Work, appointment_id: str, changes: Record
) -> Record:
    """Change an appointment's fields; canceling it also cancels its pending reminders.

    Raises:
        UsageError: no change, an unknown field, a bad value, or an end before the start.
        NotFoundError: ``not_found``, the tenant has no such appointment.
        ConflictError: ``appointment_closed`` (a canceled or completed appointment only takes a
            new description or metadata) or ``invalid_transition``.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if not changes or unknown:
        raise UsageError(f"changes must name at least one of {', '.join(EDITABLE)}"
                         + (f"; unknown: {', '.join(unknown)}." if unknown else "."))  # fmt: skip
    with store.transaction():
        appointment = _appointment(store, work.tenant_id, appointment_id, code="not_found")
        fields: Record = {k: changes[k] for k in ("description", "metadata") if k in changes}
        if "title" in changes:
            fields["title"] = _title(changes["title"])
        for column in ("start_at", "end_at"):
            if column in changes:
                fields[column] = values.moment(changes[column], column)
        if "timezone" in changes:
            fields["timezone"] = values.timezone(changes["timezone"])
        if "status" in changes and changes["status"] != appointment["status"]:
            fields["status"] = _moved(appointment, changes["status"])
        if appointment["status"] in CLOSED and set(fields) - {"description", "metadata"}:
            raise ConflictError(f"Appointment {appointment_id} is {appointment['status']}; only its description "
                                "and metadata can change. Book a new one instead.", code="appointment_closed")  # fmt: skip
        merged = {**appointment, **fields}
        if merged["end_at"] < merged["start_at"]:
            raise UsageError(f"end_at {merged['end_at']} would be before start_at {merged['start_at']}; "
                             "move both, or the end after the start.")  # fmt: skip
        fields["updated_at"] = work.clock.now()
        store.modules.appointments.update(work.tenant_id, appointment_id, fields)
        if fields.get("status") == "canceled":
            _cancel_reminders(store, work, appointment_id)
    return {**appointment, **fields}


def add_reminder(
    store: ModuleStore, work: Work, *, appointment_id: str, schedule_at: object, channel: str,
    message: str | None = None, phone: str | None = None, contact_id: str | None = None,
    external_key: str | None = None, metadata: Record | None = None,
) -> tuple[Record, str]:  # fmt: skip
    """Schedule a reminder of an appointment (idempotent by external key); emits
    ``agenda.reminder.scheduled``. It stays ``scheduled`` until :func:`dispatch_due` finds it due.

    A WhatsApp reminder goes to ``phone``, else to the appointment's customer's number; the
    message defaults to one naming the appointment and its time.

    Raises:
        NotFoundError: ``appointment_not_found``.
        ConflictError: ``appointment_closed``, the appointment was canceled or completed.
        UsageError: a bad time or channel, or a WhatsApp reminder with no number to send to.
    """
    at = values.moment(schedule_at, "schedule_at")
    if channel not in CHANNELS:
        raise UsageError(f"channel {channel!r} is not one of {', '.join(CHANNELS)}.")
    with store.transaction():
        appointment = _appointment(
            store, work.tenant_id, appointment_id, code="appointment_not_found"
        )
        if external_key and (
            found := store.modules.reminders.find(
                work.tenant_id, external_key=external_key, limit=1
            )
        ):
            return found[0], "idempotent"
        if appointment["status"] in CLOSED:
            raise ConflictError(f"Appointment {appointment_id} is {appointment['status']}; it takes no reminders.",
                                code="appointment_closed")  # fmt: skip
        if phone is None and channel == "whatsapp" and appointment["customer_id"]:
            customer = store.modules.customers.get(work.tenant_id, appointment["customer_id"])
            phone = customer.get("primary_phone") if customer else None
        if channel == "whatsapp" and not phone:
            raise UsageError("A WhatsApp reminder needs recipient.phone_e164: the appointment has no customer "
                             "with a number to send it to.")  # fmt: skip
        fields = {"appointment_id": appointment_id, "schedule_at": at, "channel": channel,
                  "message": message or reminder_text(appointment["title"], _local_start(appointment)),
                  "phone_e164": values.phone(phone) if phone else None, "contact_id": contact_id,
                  "status": "scheduled", "dispatch_id": None, "error_code": None, "metadata": metadata or {},
                  "correlation_id": work.correlation_id, "trace_id": work.trace_id}  # fmt: skip
        return create_once(store, work, store.modules.reminders, "reminder_id", fields, external_key=external_key,
                           events=lambda r: [work.event("agenda.reminder.scheduled", env.AGENDA,
                                                        env.CRM if channel == "whatsapp" else env.OWNER,
                                                        _payload(r))])  # fmt: skip


def _title(value: object) -> str:
    if not isinstance(value, str) or len(value.strip()) < 2:
        raise UsageError(f"title must have at least 2 characters, got {value!r}.")
    return value.strip()


def _appointment(store: ModuleStore, tenant_id: str, appointment_id: str, *, code: str) -> Record:
    appointment = store.modules.appointments.get(tenant_id, appointment_id)
    if appointment is None:
        raise NotFoundError(
            "No appointment with that id for this tenant; check appointment_id.", code=code
        )
    return appointment


def _local_start(appointment: Record) -> datetime:
    start: datetime = appointment["start_at"]
    try:
        return start.astimezone(ZoneInfo(appointment["timezone"]))
    except (ValueError, OSError, KeyError):  # a zone this machine does not know: say it in UTC
        return start


def _moved(appointment: Record, status: object) -> str:
    if status not in STATUSES:
        raise UsageError(f"status {status!r} is not one of {', '.join(STATUSES)}.")
    if (appointment["status"], status) not in MOVES:
        raise ConflictError(f"Appointment {appointment['appointment_id']} is {appointment['status']}; it cannot "
                            f"become {status}.", code="invalid_transition")  # fmt: skip
    return str(status)


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
        appointment = _appointment(store, work.tenant_id, appointment_id, code="not_found")
        store.modules.appointments.update(
            work.tenant_id, appointment_id, {"status": "canceled", "updated_at": work.clock.now()}
        )
        _cancel_reminders(store, work, appointment_id)
    return {**appointment, "status": "canceled"}


def _cancel_reminders(store: ModuleStore, work: Work, appointment_id: str) -> None:
    now = work.clock.now()
    for reminder in store.modules.reminders.find(work.tenant_id, appointment_id=appointment_id):
        if store.modules.reminders.update(work.tenant_id, reminder["reminder_id"], {"status": "canceled", "updated_at": now},
                                          expect={"status": "scheduled"}):  # fmt: skip
            store.events.append_many([work.event("agenda.reminder.canceled", env.AGENDA, env.OWNER,
                                                 _payload(reminder), status="info")])  # fmt: skip


def appointments(store: ModuleStore, tenant_id: str, *, limit: int = 10_000) -> list[Record]:
    """The tenant's appointments by start, each with its reminder's status (``reminder``)."""
    reminders = {
        r["appointment_id"]: r for r in store.modules.reminders.find(tenant_id, limit=limit)
    }
    return [{**a, "reminder": reminders.get(a["appointment_id"], {}).get("status")}
            for a in store.modules.appointments.find(tenant_id, order="start_at", limit=limit)]  # fmt: skip

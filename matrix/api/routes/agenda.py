"""Agenda (module 04): appointments, and reminders the scheduler sends when due (origin §g 19–22)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query

from matrix.api.routing import Api, Call, TenantQuery, listing, orchestration
from matrix.modules.agenda import service

ID = Annotated[str, Path(min_length=1, max_length=200)]
Limit = Annotated[int, Query(ge=1, le=200, description="At most this many items (1–200).")]
Offset = Annotated[int, Query(ge=0, le=10_000, description="Skip this many items first.")]
AppointmentStatus = Literal["scheduled", "confirmed", "canceled", "completed"]
ReminderStatus = Literal["scheduled", "dispatch_requested", "sent", "failed", "canceled"]
AppointmentQuery = Annotated[
    str | None, Query(min_length=1, max_length=200, description="One appointment's reminders.")
]
SCHEDULED = "agenda.reminder.scheduled"


def register(api: Api) -> None:
    @api.post("/v1/agenda/appointments", request="agenda.create_appointment_request",
              response="agenda.appointment_response", tags=["agenda"])  # fmt: skip
    def create_appointment(call: Call) -> dict[str, Any]:
        """Book an appointment (400 when it ends before it starts); the same ``external_key``
        again changes nothing (``idempotent``). No reminder and no event: add reminders with
        POST /v1/agenda/reminders."""
        appointment, status = service.create_appointment(
            call.store, call.work(), **call.request["appointment"]
        )
        return {"response": {"request_id": call.request["request_id"], "status": status,
                             "appointment": appointment}}  # fmt: skip

    @api.patch("/v1/agenda/appointments/{appointment_id}", request="agenda.update_appointment_request",
               response="agenda.appointment_response", errors=(409,), tags=["agenda"])  # fmt: skip
    def update_appointment(call: Call, appointment_id: ID) -> dict[str, Any]:
        """Change an appointment; canceling it cancels its pending reminders. 409 when it is
        canceled or completed (only description and metadata still change) or the status
        cannot follow its current one."""
        appointment = service.update_appointment(
            call.store, call.work(), appointment_id, call.request["changes"]
        )
        return {"response": {"request_id": call.request["request_id"], "status": "updated",
                             "appointment": appointment}}  # fmt: skip

    @api.get(
        "/v1/agenda/appointments", response="agenda.appointment_list_response", tags=["agenda"]
    )
    def list_appointments(
        call: Call, tenant_id: TenantQuery = None, status: AppointmentStatus | None = None,
        limit: Limit = 100, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's appointments, earliest start first."""
        tenant = call.for_tenant(tenant_id)
        filters: dict[str, Any] = {"status": status} if status is not None else {}
        items, total = call.store.modules.appointments.page(tenant, order="start_at", limit=limit, offset=offset,
                                                            **filters)  # fmt: skip
        return listing(tenant, items, total)

    @api.post("/v1/agenda/reminders", request="agenda.create_reminder_request",
              response="agenda.reminder_response", errors=(409,), tags=["agenda"])  # fmt: skip
    def create_reminder(call: Call) -> dict[str, Any]:
        """Schedule a reminder of an appointment (404 ``appointment_not_found``; 409 when it is
        canceled or completed). It stays ``scheduled`` until its time: then the scheduler sends
        it. The same ``external_key`` again changes nothing (``idempotent``)."""
        given, work = dict(call.request["reminder"]), call.work()
        recipient = given.pop("recipient", {})
        reminder, status = service.add_reminder(call.store, work, **given, phone=recipient.get("phone_e164"),
                                                contact_id=recipient.get("contact_id"))  # fmt: skip
        events = [SCHEDULED] if status == "created" else []
        return {"response": {
            "request_id": call.request["request_id"], "status": status, "reminder": shown(reminder),
            "orchestration": {**orchestration(work, events[0] if events else None, events=events),
                              "dispatch_command_id": reminder["dispatch_id"]},
        }}  # fmt: skip

    @api.get("/v1/agenda/reminders", response="agenda.reminder_list_response", tags=["agenda"])
    def list_reminders(
        call: Call, tenant_id: TenantQuery = None, appointment_id: AppointmentQuery = None,
        status: ReminderStatus | None = None,
        limit: Limit = 100, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's reminders (of one appointment, in one status), earliest first."""
        tenant = call.for_tenant(tenant_id)
        given = {"appointment_id": appointment_id, "status": status}
        filters: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        items, total = call.store.modules.reminders.page(tenant, order="schedule_at", limit=limit, offset=offset,
                                                         **filters)  # fmt: skip
        return listing(tenant, [shown(r) for r in items], total)


def shown(reminder: dict[str, Any]) -> dict[str, Any]:
    """A reminder as the origin shaped it: its number and contact under ``recipient``, its
    dispatch command as ``dispatch_command_id``."""
    hidden = ("phone_e164", "contact_id", "dispatch_id", "trace_id")
    return {**{k: v for k, v in reminder.items() if k not in hidden},
            "recipient": {"phone_e164": reminder["phone_e164"], "contact_id": reminder.get("contact_id")},
            "dispatch_command_id": reminder["dispatch_id"]}  # fmt: skip

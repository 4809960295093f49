"""The agenda's task handler: book the appointment an owner asked for, with its reminder."""

from __future__ import annotations

from typing import Any

from matrix.modules import extract
from matrix.modules.agenda import service as agenda
from matrix.modules.context import Work
from matrix.modules.customers import service as customers
from matrix.modules.tasks import TaskContext, TaskRefused, text_of

TIMEZONE = "America/Sao_Paulo"


def schedule_commitment(ctx: TaskContext) -> str:
    text = text_of(ctx)
    start = extract.when(text, ctx.clock.now(), TIMEZONE)
    if start is None:
        raise TaskRefused("MISSING_DATE", "the request names no day or time (e.g. 'sexta às 10h')")
    customer = customers.find_in_text(ctx.store, ctx.task.tenant_id, text)
    lang = extract.language(text)
    who = customer["display_name"].split()[0] if customer else None
    title = (
        (f"Reunião com {who}" if who else "Compromisso")
        if lang == "pt"
        else (f"Meeting with {who}" if who else "Appointment")
    )

    def book(_key: str) -> dict[str, Any]:
        appointment, reminder = agenda.schedule(ctx.store, Work.of(ctx.task, ctx.clock), title=title,
                                                start_at=start, customer=customer, language=lang)  # fmt: skip
        return {
            "appointment_id": appointment["appointment_id"],
            "reminder_id": reminder["reminder_id"],
        }

    booked = ctx.once("agenda.appointment", book)
    return f"{title} booked for {start:%Y-%m-%d %H:%M} ({booked['appointment_id']})"


HANDLERS = {"agenda.commitment.schedule": schedule_commitment}

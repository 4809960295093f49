"""The module task handlers: what each planned task type actually does.

Each handler reads what the owner asked for from the task (its text), does the domain work
through the module services, and returns a one-line summary. What cannot be read (no date, no
known customer, no amount) fails the task permanently with a reason the owner can act on.
Records a retry could duplicate are created through the side-effect ledger or an external key.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from matrix import envelopes as env
from matrix.concierge.language import language
from matrix.modules import agenda, billing, campaigns, customers, extract, leads, outbound
from matrix.modules.context import Work
from matrix.modules.ports import ModuleStore, Record
from matrix.modules.tasks import TaskFailure
from matrix.policy.rules import normalize, words
from matrix.runtime.worker import Handler, TaskContext

TIMEZONE = "America/Sao_Paulo"


def _work(ctx: TaskContext) -> Work:
    t = ctx.task
    return Work(tenant_id=t.tenant_id, clock=ctx.clock, correlation_id=t.correlation_id,
                trace_id=t.trace_id, causation_id=t.command_id)  # fmt: skip


def _text(ctx: TaskContext) -> str:
    return str(ctx.task.input.get("text") or "")


def _customer(ctx: TaskContext) -> Record:
    found = customers.find_in_text(ctx.store, ctx.task.tenant_id, _text(ctx))
    if found is None:
        raise TaskFailure("CUSTOMER_NOT_FOUND", "no customer of this tenant is named in the request; "
                          "register the customer first", retryable=False)  # fmt: skip
    return found


def schedule_commitment(ctx: TaskContext) -> str:
    text = _text(ctx)
    start = extract.when(text, ctx.clock.now(), TIMEZONE)
    if start is None:
        raise TaskFailure(
            "MISSING_DATE",
            "the request names no day or time (e.g. 'sexta às 10h')",
            retryable=False,
        )
    customer = customers.find_in_text(ctx.store, ctx.task.tenant_id, text)
    lang = language(text)
    who = customer["display_name"].split()[0] if customer else None
    title = (
        (f"Reunião com {who}" if who else "Compromisso")
        if lang == "pt"
        else (f"Meeting with {who}" if who else "Appointment")
    )

    def book(_key: str) -> dict[str, Any]:
        appointment, reminder = agenda.schedule(ctx.store, _work(ctx), title=title, start_at=start,
                                                customer=customer, language=lang)  # fmt: skip
        return {
            "appointment_id": appointment["appointment_id"],
            "reminder_id": reminder["reminder_id"],
        }

    booked = ctx.effect("agenda.appointment", book)
    return f"{title} booked for {start:%Y-%m-%d %H:%M} ({booked['appointment_id']})"


def request_collection(ctx: TaskContext) -> str:
    customer = _customer(ctx)
    overdue = billing.overdue_for(
        ctx.store, ctx.task.tenant_id, customer["customer_id"], ctx.clock.now().date()
    )
    if not overdue:
        raise TaskFailure(
            "NO_OVERDUE_CHARGE",
            f"{customer['display_name']} has no overdue charge to collect",
            retryable=False,
        )
    charge = overdue[0]
    ctx.effect("billing.collection", lambda _key: billing.request_collection(
        ctx.store, _work(ctx), charge["charge_id"], language=language(_text(ctx)))["charge_id"])  # fmt: skip
    return f"collection of {charge['currency']} {charge['amount']} requested from {customer['display_name']}"


def upsert_customer(ctx: TaskContext) -> str:
    text = _text(ctx)
    name = extract.person(text)
    if not name:
        raise TaskFailure(
            "MISSING_NAME",
            "the request names no customer (e.g. 'cadastrar cliente Maria Souza')",
            retryable=False,
        )
    customer, status = customers.upsert(ctx.store, _work(ctx), display_name=name, phone=extract.phone(text),
                                        external_key=f"name:{normalize(name)}")  # fmt: skip
    return f"customer {customer['display_name']} {status}"


def capture_lead(ctx: TaskContext) -> str:
    text = _text(ctx)
    name, phone = extract.person(text), extract.phone(text)
    if not name or not phone:
        raise TaskFailure(
            "MISSING_LEAD_DETAILS", "a lead needs a name and a WhatsApp number", retryable=False
        )
    lead, status = leads.capture(
        ctx.store, _work(ctx), display_name=name, phone=phone, source_channel="manual"
    )
    return f"lead {lead['display_name']} {status}"


def send_followup(ctx: TaskContext) -> str:
    customer = _customer(ctx)
    phone = customer.get("primary_phone")
    if not phone:
        raise TaskFailure(
            "NO_PHONE", f"{customer['display_name']} has no WhatsApp number", retryable=False
        )
    lang = language(_text(ctx))
    first = customer["display_name"].split()[0]
    text = f"Olá {first}, tudo bem? Passando para dar continuidade à nossa conversa." if lang == "pt" else \
        f"Hi {first}, just following up on our conversation."  # fmt: skip
    work = _work(ctx)
    message, new = outbound.enqueue(ctx.store, work, context_type="followup", context_id=ctx.task.task_id,
                                    phone=phone, text=text, idempotency_key=f"followup:{ctx.task.task_id}")  # fmt: skip
    if new:
        ctx.store.events.append_many(
            [work.event("crm.followup.scheduled", env.CRM, env.OWNER, _followup_payload(message))]
        )
    return f"follow-up to {customer['display_name']} queued"


def _followup_payload(message: Record) -> dict[str, Any]:
    return {"followup_id": message["message_id"], "campaign_id": None, "channel": "whatsapp",
            "schedule_at": env.timestamp(message["available_at"]), "phone_e164": message["phone_e164"]}  # fmt: skip


def followup_outcome(
    store: ModuleStore, work: Work, message: Record, status: str, error: str | None, retryable: bool
) -> None:
    if status == "sent":
        store.events.append_many([work.event("crm.followup.sent", env.CRM, env.OWNER,
                                             {**_followup_payload(message), "provider_message_id": message["provider_message_id"]},
                                             status="completed")])  # fmt: skip
    elif status == "dead":
        store.events.append_many([work.event("crm.followup.failed", env.CRM, env.OWNER,
                                             {**_followup_payload(message), "error_code": error or "DELIVERY_FAILED",
                                              "retryable": False}, status="failed")])  # fmt: skip


def create_charge(ctx: TaskContext) -> str:
    customer = _customer(ctx)
    amount = extract.money(_text(ctx))
    if amount is None:
        raise TaskFailure(
            "MISSING_AMOUNT", "the request names no amount (e.g. 'R$ 300')", retryable=False
        )
    charge, status = billing.create_charge(ctx.store, _work(ctx), customer_id=customer["customer_id"], amount=amount,
                                           currency="BRL", due_date=(ctx.clock.now() + timedelta(days=7)).date(),
                                           external_key=f"task:{ctx.task.task_id}")  # fmt: skip
    return (
        f"charge of {charge['currency']} {charge['amount']} for {customer['display_name']} {status}"
    )


def write_off(ctx: TaskContext) -> str:
    customer = _customer(ctx)
    open_charges = [c for c in ctx.store.modules.charges.find(ctx.task.tenant_id, customer_id=customer["customer_id"],
                                                              order="due_date") if c["status"] in billing.OPEN]  # fmt: skip
    if not open_charges:
        raise TaskFailure(
            "NO_OPEN_CHARGE",
            f"{customer['display_name']} has no open charge to write off",
            retryable=False,
        )
    charge = open_charges[0]
    ctx.effect(
        "billing.writeoff",
        lambda _key: billing.write_off(ctx.store, _work(ctx), charge["charge_id"])["charge_id"],
    )
    return f"charge {charge['charge_id']} of {customer['display_name']} written off"


def send_campaign(ctx: TaskContext) -> str:
    """An approved campaign blast: the draft campaign named in the request, or a new one."""
    text = _text(ctx)
    tokens = set(words(text)) - {
        "campanha",
        "campaign",
        "de",
        "da",
        "do",
        "the",
        "a",
        "o",
        "para",
        "todos",
        "everyone",
    }
    drafts = ctx.store.modules.campaigns.find(ctx.task.tenant_id, state="draft", limit=1000)
    named = [c for c in drafts if tokens & set(words(c["name"]))]
    work = _work(ctx)
    if named:
        campaign = named[0]
    else:
        campaign, _ = campaigns.create(ctx.store, work, name=f"Campanha {ctx.task.task_id[:8]}",
                                       message=text if len(text) <= 500 else text[:497] + "...",
                                       external_key=f"task:{ctx.task.task_id}")  # fmt: skip
    queued = ctx.effect(
        "campaign.send", lambda _key: campaigns.send(ctx.store, work, campaign["campaign_id"])
    )
    return f"campaign {campaign['name']} sent to {queued} recipients"


def module_handlers() -> dict[str, Handler]:
    """Every task type the planner emits that a module handles (deleting customers is denied by policy)."""
    return {
        "crm.campaign.send": send_campaign,
        "agenda.commitment.schedule": schedule_commitment,
        "billing.collection.request": request_collection,
        "billing.charge.create": create_charge,
        "billing.writeoff.request": write_off,
        "customer.upsert": upsert_customer,
        "crm.lead.capture": capture_lead,
        "crm.followup.send": send_followup,
    }


OUTCOMES = {
    "reminder": agenda.on_outcome,
    "collection": billing.on_outcome,
    "followup": followup_outcome,
}

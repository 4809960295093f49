"""The CRM's (Persona 2's) task handlers: capture a lead, follow up on WhatsApp, send a campaign."""

from __future__ import annotations

from matrix.modules import extract
from matrix.modules.context import Work
from matrix.modules.crm import campaigns, followups, leads
from matrix.modules.customers.handlers import named_customer
from matrix.modules.tasks import TaskContext, TaskRefused, text_of


def capture_lead(ctx: TaskContext) -> str:
    text = text_of(ctx)
    name, phone = extract.person(text), extract.phone(text)
    if not name or not phone:
        raise TaskRefused("MISSING_LEAD_DETAILS", "a lead needs a name and a WhatsApp number")
    lead, status = leads.capture(ctx.store, Work.of(ctx.task, ctx.clock), display_name=name, phone=phone,
                                 source_channel="manual")  # fmt: skip
    return f"lead {lead['display_name']} {status}"


def send_followup(ctx: TaskContext) -> str:
    customer = named_customer(ctx)
    phone = customer.get("primary_phone")
    if not phone:
        raise TaskRefused("NO_PHONE", f"{customer['display_name']} has no WhatsApp number")
    first = customer["display_name"].split()[0]
    text = f"Olá {first}, tudo bem? Passando para dar continuidade à nossa conversa." \
        if extract.language(text_of(ctx)) == "pt" else f"Hi {first}, just following up on our conversation."  # fmt: skip
    followups.schedule(ctx.store, Work.of(ctx.task, ctx.clock), message=text, phone=phone,
                       customer_id=customer["customer_id"], external_key=ctx.task.task_id)  # fmt: skip
    return f"follow-up to {customer['display_name']} queued"


def send_campaign(ctx: TaskContext) -> str:
    """An approved campaign blast: the draft campaign named in the request, or a new one."""
    text = text_of(ctx)
    named = campaigns.named_draft(ctx.store, ctx.task.tenant_id, text)
    work = Work.of(ctx.task, ctx.clock)
    if named is not None:
        campaign = named
    else:
        campaign, _ = campaigns.create(ctx.store, work, name=f"Campanha {ctx.task.task_id[:8]}",
                                       message=text if len(text) <= 500 else text[:497] + "...",
                                       external_key=f"task:{ctx.task.task_id}")  # fmt: skip
    queued = ctx.once(
        "campaign.send", lambda _key: campaigns.send(ctx.store, work, campaign["campaign_id"])
    )
    return f"campaign {campaign['name']} sent to {queued} recipients"


HANDLERS = {
    "crm.campaign.send": send_campaign,
    "crm.lead.capture": capture_lead,
    "crm.followup.send": send_followup,
}

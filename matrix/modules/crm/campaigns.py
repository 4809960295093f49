"""Campaigns (module 02): a message to an audience, moved by the origin's campaign state machine.

``draft → scheduled → running → completed`` (or paused, canceled, failed). Sending a campaign —
which the policy holds for the owner's approval — queues one WhatsApp message per recipient with
the key ``campaign:<id>:<phone>``, so a retried send never messages anyone twice.
Audiences: ``customers`` (every active customer with a number) or ``leads:<stage>``.
"""

from __future__ import annotations

from matrix import envelopes as env
from matrix.errors import NotFoundError, UsageError
from matrix.modules import values
from matrix.modules.context import Work, create_once
from matrix.modules.crm import funnel, outbound
from matrix.modules.crm.leads import TransitionError
from matrix.modules.ports import ModuleStore, Record


def create(store: ModuleStore, work: Work, *, name: str, message: str, audience: str = "customers",
           external_key: str | None = None) -> tuple[Record, str]:  # fmt: skip
    """A campaign in ``draft``; emits ``crm.campaign.created``."""
    if audience != "customers" and not (
        audience.startswith("leads:") and audience[6:] in funnel.STAGES
    ):
        raise UsageError(f"audience must be 'customers' or 'leads:<stage>', got {audience!r}.")
    if not isinstance(message, str) or len(message.strip()) < 3:
        raise UsageError("message must have at least 3 characters.")
    fields = {"name": values.name(name, "name"), "audience": audience, "message": message.strip(),
              "state": "draft", "scheduled_at": None}  # fmt: skip
    return create_once(store, work, store.modules.campaigns, "campaign_id", fields, external_key=external_key,
                       events=lambda c: [work.event("crm.campaign.created", env.CRM, env.OWNER, {
                           "campaign_id": c["campaign_id"], "channel": "whatsapp", "state": "draft",
                           "scheduled_at": None})])  # fmt: skip


def move(
    store: ModuleStore, work: Work, campaign_id: str, *, to_state: str, trigger: str | None
) -> Record:
    """Apply one state-machine transition; emits ``crm.campaign.state.changed``."""
    with store.transaction():
        campaign = store.modules.campaigns.get(work.tenant_id, campaign_id)
        if campaign is None:
            raise NotFoundError(f"No campaign {campaign_id!r} for tenant {work.tenant_id!r}.")
        verdict = funnel.check_campaign(campaign["state"], to_state, trigger)
        if not verdict.ok:
            raise TransitionError(verdict.message("campaign", campaign["state"], to_state), code=str(verdict.code),
                                  expected_trigger=verdict.expected_trigger)  # fmt: skip
        if verdict.same_state:
            return campaign
        now = work.clock.now()
        changes = {
            "state": to_state,
            "updated_at": now,
            **({"scheduled_at": now} if to_state == "scheduled" else {}),
        }
        store.modules.campaigns.update(
            work.tenant_id, campaign_id, changes, expect={"state": campaign["state"]}
        )
        store.events.append_many([work.event("crm.campaign.state.changed", env.CRM, env.OWNER, {
            "campaign_id": campaign_id, "from_state": campaign["state"], "to_state": to_state})])  # fmt: skip
    return {**campaign, **changes}


def recipients(store: ModuleStore, tenant_id: str, audience: str) -> list[str]:
    if audience == "customers":
        rows = store.modules.customers.find(tenant_id, status="active", limit=100_000)
        phones = [r["primary_phone"] for r in rows if r.get("primary_phone")]
    else:
        phones = [
            r["phone_e164"]
            for r in store.modules.leads.find(tenant_id, stage=audience[6:], limit=100_000)
        ]
    return sorted(set(phones))


def send(store: ModuleStore, work: Work, campaign_id: str) -> int:
    """Schedule and start a draft campaign, and queue its messages. Returns how many were queued."""
    campaign = store.modules.campaigns.get(work.tenant_id, campaign_id)
    if campaign is None:
        raise NotFoundError(f"No campaign {campaign_id!r} for tenant {work.tenant_id!r}.")
    if campaign["state"] == "draft":
        campaign = move(store, work, campaign_id, to_state="scheduled", trigger="schedule_campaign")
    if campaign["state"] == "scheduled":
        campaign = move(store, work, campaign_id, to_state="running", trigger="start_window_open")
    if campaign["state"] != "running":
        raise UsageError(
            f"Campaign {campaign_id} is {campaign['state']}; only a running campaign sends."
        )
    queued = 0
    for phone in recipients(store, work.tenant_id, campaign["audience"]):
        _, new = outbound.enqueue(store, work, context_type="manual", context_id=campaign_id, phone=phone,
                                  text=campaign["message"], idempotency_key=f"campaign:{campaign_id}:{phone}")  # fmt: skip
        queued += int(new)
    move(store, work, campaign_id, to_state="completed", trigger="batch_finished")
    return queued

"""Campaigns (module 02): a message to an audience, moved by the origin's campaign state machine.

``draft → scheduled → running → completed`` (or paused, canceled, failed). Sending a campaign —
which the policy holds for the owner's approval — queues one WhatsApp message per recipient with
the key ``campaign:<id>:<phone>``, so a retried send never messages anyone twice.
Audiences: ``customers`` (every active customer with a number) or ``leads:<stage>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matrix import envelopes as env
from matrix.errors import NotFoundError, UsageError
from matrix.modules import values
from matrix.modules.context import Work, create_once
from matrix.modules.crm import funnel, outbound
from matrix.modules.crm.leads import TransitionError
from matrix.modules.ports import ModuleStore, Record
from matrix.policy.rules import words


def create(
    store: ModuleStore, work: Work, *, name: str, message: str, audience: str = "customers",
    external_key: str | None = None, scheduled_at: datetime | str | None = None,
    metadata: dict[str, Any] | None = None,
) -> tuple[Record, str]:  # fmt: skip
    """A campaign in ``draft`` (``scheduled_at`` is when it is planned to go out); emits
    ``crm.campaign.created``. Idempotent by external key."""
    if audience != "customers" and not (
        audience.startswith("leads:") and audience[6:] in funnel.STAGES
    ):
        raise UsageError(f"audience must be 'customers' or 'leads:<stage>', got {audience!r}.")
    if not isinstance(message, str) or len(message.strip()) < 3:
        raise UsageError("message must have at least 3 characters.")
    planned = values.moment(scheduled_at, "scheduled_at") if scheduled_at is not None else None
    fields = {"name": values.name(name, "name"), "audience_segment": audience, "message": message.strip(),
              "state": "draft", "scheduled_at": planned, "metadata": metadata or {}}  # fmt: skip
    return create_once(store, work, store.modules.campaigns, "campaign_id", fields, external_key=external_key,
                       events=lambda c: [work.event("crm.campaign.created", env.CRM, env.OWNER, {
                           "campaign_id": c["campaign_id"], "channel": "whatsapp", "state": "draft",
                           "scheduled_at": env.timestamp(planned) if planned else None})])  # fmt: skip


def move(
    store: ModuleStore, work: Work, campaign_id: str, *, to_state: str, trigger: str | None
) -> Record:
    """Apply one state-machine transition (see :func:`change_state`); returns the campaign."""
    return change_state(store, work, campaign_id, to_state=to_state, trigger=trigger)[0]


def change_state(
    store: ModuleStore, work: Work, campaign_id: str, *, to_state: str, trigger: str | None
) -> tuple[Record, str]:
    """Apply one state-machine transition; emits ``crm.campaign.state.changed``. Returns the
    campaign and ``updated``, or ``idempotent`` when it already is in ``to_state``.

    Raises:
        NotFoundError: the tenant has no such campaign.
        TransitionError: with the origin's code (``transition_not_allowed``, ``trigger_mismatch``...).
    """
    with store.transaction():
        campaign = require(store, work.tenant_id, campaign_id)
        verdict = funnel.check_campaign(campaign["state"], to_state, trigger)
        if not verdict.ok:
            # The origin names a campaign's unknown states *_state where a lead's are *_stage.
            raise TransitionError(verdict.message("campaign", campaign["state"], to_state),
                                  code=str(verdict.code).replace("_stage", "_state"),
                                  expected_trigger=verdict.expected_trigger)  # fmt: skip
        if verdict.same_state:
            return campaign, "idempotent"
        now = work.clock.now()
        changes = {
            "state": to_state,
            "updated_at": now,
            **(
                {"scheduled_at": campaign["scheduled_at"] or now} if to_state == "scheduled" else {}
            ),
        }
        store.modules.campaigns.update(
            work.tenant_id, campaign_id, changes, expect={"state": campaign["state"]}
        )
        store.events.append_many([work.event("crm.campaign.state.changed", env.CRM, env.OWNER, {
            "campaign_id": campaign_id, "from_state": campaign["state"], "to_state": to_state})])  # fmt: skip
    return {**campaign, **changes}, "updated"


def require(store: ModuleStore, tenant_id: str, campaign_id: str) -> Record:
    campaign = store.modules.campaigns.get(tenant_id, campaign_id)
    if campaign is None:
        raise NotFoundError(f"No campaign {campaign_id!r} for this tenant; check the id.")
    return campaign


def page(
    store: ModuleStore,
    tenant_id: str,
    *,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Record], int]:
    """One page of the tenant's campaigns, oldest first, and how many match in all."""
    filters: dict[str, Any] = {"state": state} if state is not None else {}
    return store.modules.campaigns.page(tenant_id, limit=limit, offset=offset, **filters)


# Words of a campaign request that do not name the campaign.
_CAMPAIGN_FILLER = {"campanha", "campaign", "de", "da", "do", "the", "a", "o", "para", "todos", "everyone"}  # fmt: skip


def named_draft(store: ModuleStore, tenant_id: str, text: str) -> Record | None:
    """The tenant's draft campaign a request names (a word of its name), or None."""
    tokens = set(words(text)) - _CAMPAIGN_FILLER
    drafts = store.modules.campaigns.find(tenant_id, state="draft", limit=1000)
    return next((c for c in drafts if tokens & set(words(c["name"]))), None)


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
    campaign = require(store, work.tenant_id, campaign_id)
    if campaign["state"] == "draft":
        campaign = move(store, work, campaign_id, to_state="scheduled", trigger="schedule_campaign")
    if campaign["state"] == "scheduled":
        campaign = move(store, work, campaign_id, to_state="running", trigger="start_window_open")
    if campaign["state"] != "running":
        raise UsageError(
            f"Campaign {campaign_id} is {campaign['state']}; only a running campaign sends."
        )
    queued = 0
    for phone in recipients(store, work.tenant_id, campaign["audience_segment"]):
        _, new = outbound.enqueue(store, work, context_type="manual", context_id=campaign_id, phone=phone,
                                  text=campaign["message"], idempotency_key=f"campaign:{campaign_id}:{phone}")  # fmt: skip
        queued += int(new)
    move(store, work, campaign_id, to_state="completed", trigger="batch_finished")
    return queued

"""CRM leads, campaigns and follow-ups (module 02) over HTTP (origin §g 28–35).

A funnel or campaign move the state machine refuses answers 400 ``transition_error``; its one
detail points at the field at fault and names the machine's code, as in
``trigger_mismatch (expected_trigger: first_contact_attempt)``. A lead's stage history is on the
lead and at ``/v1/crm/leads/{lead_id}/stage-history``. A follow-up is queued for its
``schedule_at`` and the scheduler sends it once it is due.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Path, Query

from matrix.api.errors import ApiError, Detail
from matrix.api.routing import Api, Call, TenantQuery, listing, orchestration
from matrix.modules.context import Work
from matrix.modules.crm import campaigns, followups, funnel, leads

ID = Annotated[str, Path(min_length=1, max_length=200)]
Limit = Annotated[int, Query(ge=1, le=500, description="How many to answer (1..500).")]
Offset = Annotated[int, Query(ge=0, le=10_000, description="How many to skip (0..10000).")]

# Where in ``request.changes`` each refusal points; the others point at the target state.
_AT_FAULT = {"missing_trigger": "trigger", "trigger_mismatch": "trigger", "reason_code_required": "reason_code"}  # fmt: skip


def one_of(values: Sequence[str], description: str) -> Any:
    """A query parameter that takes one of ``values``."""
    return Query(pattern=f"^({'|'.join(values)})$", description=description,
                 json_schema_extra={"enum": list(values)})  # fmt: skip


def transition_error(exc: leads.TransitionError, target: str) -> ApiError:
    """The answer to a move the state machine refused."""
    field = _AT_FAULT.get(exc.code, target)
    expected = f" (expected_trigger: {exc.expected_trigger})" if exc.expected_trigger else ""
    return ApiError(status=400, code="transition_error", message=str(exc),
                    details=[Detail(path=f"/request/changes/{field}", problem=exc.code + expected)])  # fmt: skip


def paged(
    call: Call, tenant_id: str | None, page: Callable[..., tuple[list[Any], int]], *args: Any,
    **filters: Any,
) -> dict[str, Any]:  # fmt: skip
    """A list answer: the page ``page(store, tenant, *args, **filters)`` of the named tenant."""
    tenant = call.for_tenant(tenant_id)
    rows, total = page(call.store, tenant, *args, **filters)
    return listing(tenant, rows, total)


def answer(
    r: dict[str, Any], work: Work, status: str, name: str, record: Any, event: str | None
) -> dict[str, Any]:
    """``{"response": …}`` of a write: the request id, the outcome, the record, the trace."""
    return {"response": {"request_id": r["request_id"], "status": status, name: record,
                         "orchestration": orchestration(work, event)}}  # fmt: skip


def register(api: Api) -> None:
    _leads(api)
    _campaigns(api)
    _followups(api)


def _leads(api: Api) -> None:
    @api.post("/v1/crm/leads", request="crm.lead_create_request", response="crm.lead_create_response",
              tags=["crm"])  # fmt: skip
    def create_lead(call: Call) -> dict[str, Any]:
        """Capture a lead (stage ``new`` unless given); the same ``external_key`` (default
        ``wa:<phone_e164>``) again changes nothing (``idempotent``)."""
        r, work = call.request, call.work()
        given = r["lead"]
        lead, status = leads.capture(
            call.store, work, display_name=given["display_name"], phone=given["phone_e164"],
            source_channel=given.get("source_channel", "whatsapp"), external_key=given.get("external_key"),
            metadata=given.get("metadata"), stage=given.get("stage", "new"),
        )  # fmt: skip
        return answer(
            r, work, status, "lead", lead, "crm.lead.created" if status == "created" else None
        )

    @api.patch("/v1/crm/leads/{lead_id}/stage", request="crm.lead_stage_request",
               response="crm.lead_stage_response", tags=["crm"])  # fmt: skip
    def move_lead(call: Call, lead_id: ID) -> dict[str, Any]:
        """Move a lead through the funnel (§e.1); the move is kept in its stage history and
        emits ``crm.lead.stage.changed``. The same stage again changes nothing but metadata."""
        r, work = call.request, call.work()
        changes = r["changes"]
        try:
            lead, status, event = leads.change_stage(
                call.store, work, lead_id, to_stage=changes["to_stage"], trigger=changes.get("trigger"),
                reason_code=changes.get("reason_code"), metadata=changes.get("metadata"), actor="api",
            )  # fmt: skip
        except leads.TransitionError as exc:
            raise transition_error(exc, "to_stage") from None
        return answer(r, work, status, "lead", lead, event)

    @api.get("/v1/crm/leads", response="crm.lead_list_response", tags=["crm"])
    def list_leads(
        call: Call, tenant_id: TenantQuery = None,
        stage: Annotated[str | None, one_of(funnel.STAGES, "Only leads in this stage.")] = None,
        limit: Limit = 100, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's leads, oldest first."""
        return paged(call, tenant_id, leads.page, stage=stage, limit=limit, offset=offset)

    @api.get("/v1/crm/leads/{lead_id}", response="crm.lead_get_response", tags=["crm"])
    def get_lead(call: Call, lead_id: ID, tenant_id: TenantQuery = None) -> dict[str, Any]:
        """One lead, with its ``stage_history``."""
        return {"lead": leads.with_history(call.store, call.for_tenant(tenant_id), lead_id)}

    @api.get("/v1/crm/leads/{lead_id}/stage-history", response="crm.stage_history_response",
             tags=["crm"])  # fmt: skip
    def lead_stage_history(
        call: Call, lead_id: ID, tenant_id: TenantQuery = None
    ) -> dict[str, Any]:
        """A lead's stage changes, oldest first."""
        tenant = call.for_tenant(tenant_id)
        items = leads.with_history(call.store, tenant, lead_id)["stage_history"]
        return {"tenant_id": tenant, "lead_id": lead_id, "count": len(items), "items": items}


def _campaigns(api: Api) -> None:
    @api.post("/v1/crm/campaigns", request="crm.campaign_create_request",
              response="crm.campaign_create_response", tags=["crm"])  # fmt: skip
    def create_campaign(call: Call) -> dict[str, Any]:
        """Create a campaign in ``draft``; the same ``external_key`` again changes nothing. Sending
        it is the owner's decision, through the concierge and its approval."""
        r, work = call.request, call.work()
        given = r["campaign"]
        campaign, status = campaigns.create(
            call.store, work, name=given["name"], message=given["message"],
            audience=given.get("audience_segment", "customers"), external_key=given.get("external_key"),
            scheduled_at=given.get("scheduled_at"), metadata=given.get("metadata"),
        )  # fmt: skip
        event = "crm.campaign.created" if status == "created" else None
        return answer(r, work, status, "campaign", campaign, event)

    @api.patch("/v1/crm/campaigns/{campaign_id}/state", request="crm.campaign_state_request",
               response="crm.campaign_state_response", tags=["crm"])  # fmt: skip
    def move_campaign(call: Call, campaign_id: ID) -> dict[str, Any]:
        """Move a campaign through its state machine (§e.2); the state it is in already answers
        ``idempotent``. Moving it sends nothing."""
        r, work = call.request, call.work()
        changes = r["changes"]
        try:
            campaign, status = campaigns.change_state(call.store, work, campaign_id, to_state=changes["to_state"],
                                                      trigger=changes.get("trigger"))  # fmt: skip
        except leads.TransitionError as exc:
            raise transition_error(exc, "to_state") from None
        event = "crm.campaign.state.changed" if status == "updated" else None
        return answer(r, work, status, "campaign", campaign, event)

    @api.get("/v1/crm/campaigns", response="crm.campaign_list_response", tags=["crm"])
    def list_campaigns(
        call: Call, tenant_id: TenantQuery = None,
        state: Annotated[str | None, one_of(funnel.CAMPAIGN_STATES, "Only campaigns in this state.")] = None,
        limit: Limit = 100, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's campaigns, oldest first."""
        return paged(call, tenant_id, campaigns.page, state=state, limit=limit, offset=offset)


def _followups(api: Api) -> None:
    @api.post("/v1/crm/followups", request="crm.followup_create_request",
              response="crm.followup_create_response", tags=["crm"])  # fmt: skip
    def create_followup(call: Call) -> dict[str, Any]:
        """Schedule a WhatsApp follow-up for ``schedule_at`` (default: now); it is ``pending``
        until the scheduler sends it, once due. The same ``external_key`` again changes nothing."""
        r, work = call.request, call.work()
        given = r["followup"]
        followup, status = followups.schedule(
            call.store, work, message=given["message"], phone=given.get("phone_e164"),
            schedule_at=given.get("schedule_at"), campaign_id=given.get("campaign_id"),
            lead_id=given.get("lead_id"), customer_id=given.get("customer_id"),
            external_key=given.get("external_key"), metadata=given.get("metadata"),
        )  # fmt: skip
        event = "crm.followup.scheduled" if status == "created" else None
        return answer(r, work, status, "followup", followup, event)

    @api.get("/v1/crm/followups", response="crm.followup_list_response", tags=["crm"])
    def list_followups(
        call: Call, tenant_id: TenantQuery = None,
        status: Annotated[str | None, one_of(followups.STATUSES, "Only follow-ups in this status.")] = None,
        limit: Limit = 100, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's follow-ups, soonest due first."""
        return paged(call, tenant_id, followups.page, status=status, limit=limit, offset=offset)

"""Persona 2, the WhatsApp agent, over HTTP (origin §g 55–57): suggest a reply, qualify the lead,
execute; who handles a conversation; and Persona 2's audit of it.

The answers keep the origin's ``{"response": {...}}`` shape and codes: 404
``conversation_not_found`` / ``lead_not_found_for_conversation``, 403 ``crm_ai_disabled``, 409
``crm_ai_execute_blocked``, 400 ``missing_reply_text`` / ``missing_to_stage`` /
``transition_error``, 502 ``ai_provider_error`` (a tenant's own model failed). An execution with a
``client_request_id`` seen before answers the stored result with ``status: "idempotent"``. A
``send_reply`` to a tenant without a gateway is answered 503, as a reply through
``/send`` is, rather than left waiting in the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path, Query

from matrix.api.errors import ApiError
from matrix.api.routing import Api, Call, TenantQuery
from matrix.errors import ProviderError
from matrix.modules.crm import handling
from matrix.modules.crm.leads import TransitionError

ID = Annotated[str, Path(min_length=1, max_length=200)]
BASE = "/v1/crm/conversations/{conversation_id}"


def register(api: Api) -> None:
    @api.post(f"{BASE}/ai/suggest-reply", request="agent.suggest_request",
              response="agent.suggest_response", errors=(403, 502), tags=["crm-ai"])  # fmt: skip
    def suggest_reply(call: Call, conversation_id: ID) -> dict[str, Any]:
        """A drafted reply for the conversation, its confidence and reasoning; nothing is sent."""
        r = call.request
        return _read(lambda: call.app.agent.suggest_reply(
            call.tenant_id, conversation_id, tone=r.get("tone", "consultivo"), request_id=r.get("request_id"),
            correlation_id=r.get("correlation_id"), actor=_actor(call),
        ))  # fmt: skip

    @api.post(f"{BASE}/ai/qualify", request="agent.qualify_request", response="agent.qualify_response",
              errors=(403, 502), tags=["crm-ai"])  # fmt: skip
    def qualify(call: Call, conversation_id: ID) -> dict[str, Any]:
        """A suggested funnel stage for the conversation's lead; nothing is moved."""
        r = call.request
        return _read(lambda: call.app.agent.qualify(call.tenant_id, conversation_id, request_id=r.get("request_id"),
                                                    correlation_id=r.get("correlation_id"), actor=_actor(call)))  # fmt: skip

    @api.post(f"{BASE}/ai/execute", request="agent.execute_request", response="agent.execute_response",
              errors=(403, 409, 503), tags=["crm-ai"])  # fmt: skip
    def execute(call: Call, conversation_id: ID) -> dict[str, Any]:
        """Queue a reply (``send_reply``) or move the lead (``update_stage``), once per
        ``client_request_id``; only in the tenant's ``assist_execute`` mode."""
        r = call.request
        if r["action"] == "send_reply" and (off := call.app.outbound_off_for(call.tenant_id)):
            call.app.agent.conversation(
                call.tenant_id, conversation_id
            )  # 404 first for an unknown one
            raise ApiError(status=503, code="evolution_not_configured", message=off)
        try:
            answer = call.app.agent.execute(
                call.tenant_id, conversation_id, action=r["action"], client_request_id=r["client_request_id"],
                reply_text=r.get("reply_text"), to_stage=r.get("to_stage"), trigger=r.get("trigger"),
                reason_code=r.get("reason_code"), request_id=r.get("request_id"),
                correlation_id=r.get("correlation_id"), actor=_actor(call),
            )  # fmt: skip
        except TransitionError as exc:
            raise ApiError(status=400, code="transition_error", message=str(exc)) from None
        return {"response": answer}

    @api.post(f"{BASE}/handler", request="agent.handler_request", response="agent.handler_response",
              tags=["crm-ai"])  # fmt: skip
    def set_handler(call: Call, conversation_id: ID) -> dict[str, Any]:
        """A person takes the conversation over (``handler: human`` with ``user``), or hands it
        back to Persona 2 (``handler: agent``)."""
        r = call.request
        conversation = call.app.agent.hand_over(call.tenant_id, conversation_id, to=r["handler"],
                                                user=r.get("user"), actor=_actor(call))  # fmt: skip
        return {"status": "updated", "conversation": conversation}

    @api.get(f"{BASE}/ai/actions", response="agent.actions_response", tags=["crm-ai"])
    def list_actions(
        call: Call, conversation_id: ID, tenant_id: TenantQuery = None,
        limit: Annotated[int, Query(ge=1, le=500, description="The newest this many.")] = 100,
    ) -> dict[str, Any]:  # fmt: skip
        """Everything Persona 2 suggested, did or was stopped from doing in the conversation,
        and who took it over: the newest first."""
        tenant = call.for_tenant(tenant_id)
        call.app.agent.conversation(tenant, conversation_id)
        items = handling.actions(call.store, tenant, conversation_id, limit=limit)
        return {
            "tenant_id": tenant,
            "conversation_id": conversation_id,
            "count": len(items),
            "items": items,
        }


def _read(reading: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A reading of Persona 2 as the origin answered it; the tenant's own model failing is a 502
    ``ai_provider_error``."""
    try:
        return {"response": reading()}
    except ProviderError as exc:
        raise ApiError(status=502, code="ai_provider_error", message=str(exc)) from None


def _actor(call: Call) -> str:
    """Who asked, for the audit: the token's name."""
    identity = call.caller.identity
    return f"token:{identity.name}" if identity is not None else "api"

"""CRM conversations (module 02): the inbox list, a conversation's messages, mark read, reply
(origin §g 51–54).

The answers keep the origin's shapes, which are not wrapped in ``response``. A reply answers as
soon as it is queued (``status: "queued"``, ``provider_message_id`` null): the scheduler sends
it once — through the tenant's gateway, retrying a failure — and the message's
``delivery_state`` then reads ``sent``, ``delivered``, ``read`` (or ``failed``) in the
conversation's messages. A tenant without a gateway is answered 503 rather than left with a
message that would wait in the queue.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from matrix.api.errors import ApiError, not_found
from matrix.api.routing import Api, Call, TenantQuery, listing
from matrix.modules.context import Work
from matrix.modules.crm import conversations as service
from matrix.modules.ports import Record

ID = Annotated[str, Path(min_length=1, max_length=200)]


def register(api: Api) -> None:
    @api.get("/v1/crm/conversations", response="conversations.list_response", tags=["crm"])
    def list_conversations(
        call: Call, tenant_id: TenantQuery = None,
        limit: Annotated[int, Query(ge=1, le=500, description="At most this many.")] = 100,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's conversations, the latest activity first, each with its lead's stage."""
        tenant = call.for_tenant(tenant_id)
        return listing(tenant, service.recent(call.store, tenant, limit=limit))

    @api.get("/v1/crm/conversations/{conversation_id}/messages",
             response="conversations.messages_response", tags=["crm"])  # fmt: skip
    def list_messages(
        call: Call, conversation_id: ID, tenant_id: TenantQuery = None,
        limit: Annotated[int, Query(ge=1, le=500, description="The latest this many.")] = 200,
    ) -> dict[str, Any]:  # fmt: skip
        """The conversation's latest messages, oldest first."""
        tenant = call.for_tenant(tenant_id)
        conversation = _conversation(call, tenant, conversation_id)
        items = service.last_messages(call.store, tenant, conversation_id, limit=limit)
        return {
            "tenant_id": tenant,
            "conversation": conversation,
            "count": len(items),
            "items": items,
        }

    @api.post("/v1/crm/conversations/{conversation_id}/read",
              response="conversations.read_response", tags=["crm"])  # fmt: skip
    def mark_read(call: Call, conversation_id: ID, tenant_id: TenantQuery = None) -> dict[str, Any]:
        """Mark the conversation read: its unread count becomes 0."""
        work = Work.new(call.for_tenant(tenant_id), call.app.clock)
        conversation = service.mark_read(call.store, work, conversation_id)
        if conversation is None:
            raise not_found("conversation", "conversation_not_found")
        return {"status": "updated", "conversation": conversation}

    @api.post("/v1/crm/conversations/{conversation_id}/send", request="conversations.send_request",
              response="conversations.send_response", errors=(503,), tags=["crm"])  # fmt: skip
    def send_message(call: Call, conversation_id: ID) -> dict[str, Any]:
        """Queue a reply to the conversation's contact; the scheduler sends it once."""
        r = call.request
        conversation = _conversation(call, call.tenant_id, conversation_id)
        off = call.app.outbound_off_for(call.tenant_id)
        if off:
            raise ApiError(status=503, code="evolution_not_configured", message=off)
        message, item, status = service.reply(call.store, call.work(), conversation, text=r["text"],
                                              request_id=r.get("request_id"))  # fmt: skip
        return {"status": status, "conversation_id": conversation_id, "message": message,
                "outbound": {k: item[k] for k in OUTBOUND}, "provider_message_id": item["provider_message_id"]}  # fmt: skip


OUTBOUND = ("message_id", "status", "attempts", "max_attempts", "available_at", "correlation_id")


def _conversation(call: Call, tenant_id: str, conversation_id: str) -> Record:
    conversation = service.find(call.store, tenant_id, conversation_id)
    if conversation is None:
        raise not_found("conversation", "conversation_not_found")
    return conversation

"""Persona 2's conversations as the CRM console works them: the list, a conversation's messages,
marking it read, and a reply (origin §e.3, §g 51–54).

A reply is not sent while the request waits. :func:`reply` files it in the conversation
(``delivery_state`` ``queued``) and queues it in the outbound queue in the same transaction; the
scheduler's outbound job sends it once, with its idempotency key, retrying a gateway failure,
and :func:`on_outcome` records the provider's id and ``sent`` (or ``failed`` once its retries
are spent) on the message. From then on the gateway's delivery webhooks move it to
``delivered`` and ``read``. A reply that names its ``request_id`` is queued once: the same
request again returns the message queued the first time.
"""

from __future__ import annotations

from typing import Any

from matrix import envelopes as env
from matrix.errors import UsageError
from matrix.modules import values
from matrix.modules.context import Work
from matrix.modules.crm import outbound
from matrix.modules.crm.inbox import InboxStore, preview
from matrix.modules.ports import ModuleStore, Record

CONTEXT = "conversation"
"""The outbound context of a reply: its ``context_id`` is the message's ``message_row_id``."""


class RecipientError(UsageError):
    """The conversation's contact cannot be messaged (its number is not E.164)."""

    code = "invalid_recipient"


def recent(store: InboxStore, tenant_id: str, *, limit: int) -> list[Record]:
    """The tenant's conversations, the latest activity first, with ``lead_stage``."""
    return store.inbox.conversations(tenant_id, limit=limit)


def find(store: ModuleStore, tenant_id: str, conversation_id: str) -> Record | None:
    """One of the tenant's conversations (None when it has none with that id)."""
    return store.modules.conversations.get(tenant_id, conversation_id)


def last_messages(
    store: ModuleStore, tenant_id: str, conversation_id: str, *, limit: int
) -> list[Record]:
    """The conversation's ``limit`` latest messages, oldest first (by the provider's time)."""
    latest, _ = store.modules.messages.page(
        tenant_id, conversation_id=conversation_id, order="occurred_at DESC, created_at DESC",
        limit=limit, count=False,
    )  # fmt: skip
    return latest[::-1]


def mark_read(store: ModuleStore, work: Work, conversation_id: str) -> Record | None:
    """Set the conversation's unread count to 0; returns it (None when the tenant has none)."""
    table = store.modules.conversations
    if not table.update(work.tenant_id, conversation_id,
                        {"unread_count": 0, "updated_at": work.clock.now()}):  # fmt: skip
        return None
    return table.get(work.tenant_id, conversation_id)


def reply(
    store: InboxStore, work: Work, conversation: Record, *, text: str, request_id: str | None
) -> tuple[Record, Record, str]:
    """Queue ``text`` to the conversation's contact and file it as the conversation's latest
    message. Returns the message, its outbound queue item, and ``queued`` — or ``idempotent``
    with what was queued the first time, when ``request_id`` was seen before.

    Raises:
        RecipientError: the contact's number is not one a message can go to.
    """
    phone = conversation["contact_e164"]
    try:
        values.phone(phone, "contact_e164")
    except UsageError as exc:
        raise RecipientError(f"This conversation's contact cannot be messaged: {exc}") from None
    if not text.strip():
        raise UsageError("text is blank; write the message to send.")
    tenant_id, conversation_id = work.tenant_id, conversation["conversation_id"]
    key = f"{CONTEXT}:{conversation_id}:{request_id or env.new_id()}"
    with store.transaction():
        queued = store.modules.outbound.find(tenant_id, idempotency_key=key, limit=1)
        if queued and (earlier := store.modules.messages.get(tenant_id, queued[0]["context_id"])):
            return earlier, queued[0], "idempotent"
        now = work.clock.now()
        message: Record = {
            "message_row_id": env.new_id(), "tenant_id": tenant_id, "conversation_id": conversation_id,
            "provider_message_id": None, "direction": "outbound", "message_type": "text", "text": text,
            "delivery_state": "queued", "occurred_at": now, "created_at": now,
        }  # fmt: skip
        store.modules.messages.insert(message)
        item, _ = outbound.enqueue(store, work, context_type=CONTEXT, context_id=message["message_row_id"],
                                   phone=phone, text=text, idempotency_key=key)  # fmt: skip
        store.inbox.count_message(tenant_id, conversation_id, occurred_at=now, preview=preview(text),
                                  at=now, unread=0)  # fmt: skip
    return message, item, "queued"


def on_outcome(
    store: ModuleStore, work: Work, message: Record, status: str, error: str | None, retryable: bool
) -> None:
    """Record a reply's delivery on its conversation message: ``sent`` with the provider's id, or
    ``failed`` once its message is dead (a failure with retries left changes nothing)."""
    if status == "failed":
        return
    changes: dict[str, Any] = {"delivery_state": "sent" if status == "sent" else "failed"}
    provider_id = message.get("provider_message_id")
    # The id is unique per tenant among messages; one the gateway gave before is not taken twice.
    if provider_id and not store.modules.messages.find(
        work.tenant_id, provider_message_id=provider_id, limit=1
    ):
        changes["provider_message_id"] = provider_id
    store.modules.messages.update(work.tenant_id, message["context_id"], changes,
                                  expect={"delivery_state": "queued"})  # fmt: skip

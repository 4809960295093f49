"""Persona 2's inbox: Evolution webhooks filed into conversations, new contacts captured as leads.

:func:`ingest` takes the raw body as received, so that the signature is checked on the exact
bytes: HMAC-SHA256 with the tenant's webhook secret, hex-encoded. Then the body is checked
against ``contracts/integration/evolution-webhook.schema.json``, and its ``event_id`` is recorded:
a replayed event is acknowledged and ignored. A rejected webhook stores nothing.

Webhooks arrive concurrently (a burst from one contact, a gateway replaying an event), so every
write is keyed by a natural key and no read-then-write can race: the receipt, the lead, the
conversation and the message are inserted unless their key is stored (then read), the unread
count is incremented in SQL, the preview follows the provider's message time (an older message
filed last does not replace it), and a delivery state only moves forward (``sent`` →
``delivered`` → ``read``; ``failed`` unless the message was already delivered). One webhook is one
transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any, Protocol

from matrix import envelopes as env
from matrix.contracts import Catalog
from matrix.errors import WebhookRejectedError
from matrix.modules.context import Work
from matrix.modules.crm import leads
from matrix.modules.ports import ModuleStore, Record

SCHEMA = "https://schemas.matrix-workbench.dev/v1/integration/evolution-webhook.schema.json"
DELIVERY = {
    "message.delivery_update": None,
    "message.read_update": "read",
    "message.failed": "failed",
}
RANKS = {"queued": 1, "sent": 2, "failed": 3, "delivered": 4, "read": 5}
"""Delivery states in the order they may follow each other; a report never moves a message back.
``failed`` ranks below ``delivered``: proof that a message arrived outweighs a failure report."""


class InboxRepository(Protocol):
    """The inbox's writes that must read and change a row in one statement."""

    def count_message(
        self, tenant_id: str, conversation_id: str, *, occurred_at: datetime, preview: str,
        at: datetime,
    ) -> None: ...  # fmt: skip

    def apply_delivery(
        self, tenant_id: str, provider_message_id: str, state: str, *, ranks: dict[str, int],
        at: datetime,
    ) -> tuple[int, int]: ...  # fmt: skip


class InboxStore(ModuleStore, Protocol):
    @property
    def inbox(self) -> InboxRepository: ...


def sign(body: bytes, secret: str) -> str:
    """The signature a sender puts in ``X-Evolution-Signature``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def ingest(
    store: InboxStore, clock: Any, catalog: Catalog, *, tenant_id: str, body: bytes,
    signature: str | None, secret: str | None,
) -> dict[str, Any]:  # fmt: skip
    """Verify, validate, de-duplicate and file one webhook event. Returns what was done."""
    if not secret:
        raise WebhookRejectedError(
            f"Tenant {tenant_id!r} has no webhook secret; set integrations.crm_evolution.webhook_secret.",
            code="webhook_secret_not_configured",
        )
    if not signature or not hmac.compare_digest(sign(body, secret), signature.strip().lower()):
        raise WebhookRejectedError(
            "The webhook signature does not match the body.", code="invalid_signature"
        )
    try:
        doc = json.loads(body)
    except ValueError:
        raise WebhookRejectedError("The webhook body is not JSON.", code="invalid_json") from None
    catalog.validate(catalog.resolve_id(SCHEMA), doc)
    if doc["tenant_id"] != tenant_id:
        raise WebhookRejectedError(
            f"The event names tenant {doc['tenant_id']!r}, not {tenant_id!r}.",
            code="tenant_mismatch",
        )
    payload = doc["payload"]
    work = Work(tenant_id=tenant_id, clock=clock, correlation_id=doc.get("correlation_id") or env.new_id(),
                trace_id=doc["trace_id"])  # fmt: skip
    now = clock.now()
    result: dict[str, Any] = {"status": "accepted", "normalized": {
        "tenant_id": tenant_id, "event_type": doc["event_type"], "message_id": payload["message_id"],
        "delivery_state": payload.get("delivery_state", "unknown")}}  # fmt: skip
    with store.transaction():
        # A replay racing its original waits for it here, then finds the receipt taken.
        if not store.modules.webhook_receipts.insert_once({
            "receipt_id": env.new_id(), "tenant_id": tenant_id, "event_id": doc["event_id"],
            "event_type": doc["event_type"], "received_at": now,
        }, key=("event_id",)):  # fmt: skip
            return {**result, "status": "duplicate"}
        if doc["event_type"] == "message.inbound" and payload.get("from_e164"):
            result["inbound"] = _inbound(store, work, doc, payload)
        elif doc["event_type"] in DELIVERY:
            result["delivery_update"] = _delivery(store, work, doc, payload)
    return result


def messages(store: ModuleStore, tenant_id: str, conversation_id: str) -> list[Record]:
    """A conversation's messages in the order the provider says they were sent."""
    return store.modules.messages.find(
        tenant_id, conversation_id=conversation_id, order="occurred_at", limit=10_000
    )


def _delivery(
    store: InboxStore, work: Work, doc: dict[str, Any], payload: dict[str, Any]
) -> dict[str, Any]:
    state = DELIVERY[doc["event_type"]] or payload.get("delivery_state") or "delivered"
    found, changed = store.inbox.apply_delivery(
        work.tenant_id, payload["message_id"], state, ranks=RANKS, at=work.clock.now()
    )
    status = "updated" if changed else "unchanged" if found else "not_found"
    return {"status": status, "message_id": payload["message_id"], "delivery_state": state}


def _inbound(
    store: InboxStore, work: Work, doc: dict[str, Any], payload: dict[str, Any]
) -> dict[str, Any]:
    phone = payload["from_e164"]
    name = (payload.get("push_name") or "").strip() or f"Lead {phone[-4:]}"
    found = store.modules.conversations.find(work.tenant_id, contact_e164=phone, limit=1)
    if found and found[0]["lead_id"]:
        # A known contact: its lead was captured with its first message.
        conversation, lead, lead_status = found[0], {"lead_id": found[0]["lead_id"]}, "idempotent"
    else:
        lead, lead_status = leads.capture(store, work, display_name=name if len(name) >= 2 else f"Lead {phone[-4:]}",
                                          phone=phone, metadata={"origin": "evolution_webhook"})  # fmt: skip
        conversation = (
            found[0] if found else _conversation(store, work, phone, name, lead["lead_id"])
        )
    occurred = env.parse_timestamp(doc["occurred_at"])
    text = payload.get("text") or ""
    if not store.modules.messages.insert_once({
        "message_row_id": env.new_id(), "tenant_id": work.tenant_id, "conversation_id": conversation["conversation_id"],
        "provider_message_id": payload["message_id"], "direction": "inbound",
        "message_type": payload.get("message_type", "text"), "text": text, "delivery_state": "received",
        "occurred_at": occurred, "created_at": work.clock.now(),
    }, key=("provider_message_id",)):  # fmt: skip
        return {
            "status": "idempotent",
            "lead_id": lead["lead_id"],
            "conversation_id": conversation["conversation_id"],
        }
    preview = " ".join(text.split())
    store.inbox.count_message(work.tenant_id, conversation["conversation_id"], occurred_at=occurred,
                              preview=preview if len(preview) <= 120 else preview[:117] + "...",
                              at=work.clock.now())  # fmt: skip
    store.events.append_many([work.event("crm.message.received", env.CRM, env.OWNER, {
        "conversation_id": conversation["conversation_id"], "provider_message_id": payload["message_id"],
        "phone_e164": phone, "message_type": payload.get("message_type", "text")}, status="info")])  # fmt: skip
    return {"status": "created", "lead_id": lead["lead_id"], "lead_status": lead_status,
            "conversation_id": conversation["conversation_id"]}  # fmt: skip


def _conversation(store: ModuleStore, work: Work, phone: str, name: str, lead_id: str) -> Record:
    table = store.modules.conversations
    now = work.clock.now()
    conversation = {"conversation_id": env.new_id(), "tenant_id": work.tenant_id, "contact_e164": phone,
                    "display_name": name, "lead_id": lead_id, "last_message_preview": None,
                    "last_message_at": None, "unread_count": 0, "created_at": now, "updated_at": now}  # fmt: skip
    if table.insert_once(conversation, key=("contact_e164",)):
        return conversation
    # A concurrent webhook of the same contact opened it first; its row is committed by now.
    return table.find(work.tenant_id, contact_e164=phone, limit=1)[0]

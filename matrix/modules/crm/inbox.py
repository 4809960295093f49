"""Persona 2's inbox: Evolution webhooks filed into conversations, new contacts captured as leads.

:func:`ingest` takes the raw body as received, so that the signature is checked on the exact
bytes: HMAC-SHA256 with the tenant's webhook secret, hex-encoded, compared in constant time.
Then the body is checked against ``contracts/integration/evolution-webhook.schema.json``, and its
``event_id`` is recorded: a replayed event is acknowledged and ignored. A rejected webhook stores
nothing. :func:`receive` is the HTTP door in front of it: it reads the signature from the
request's headers (``sha256=<hex>``) and the tenant from the body, and answers every webhook it
cannot authenticate alike — a missing or malformed signature aside, a wrong one, an unknown
tenant and a tenant without a secret are the same refusal, so a caller learns no tenant.

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
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from matrix import envelopes as env
from matrix.contracts import Catalog
from matrix.errors import WebhookRejectedError
from matrix.modules.context import Work
from matrix.modules.crm import handling, leads
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
SIGNATURE_HEADERS = ("X-Hub-Signature-256", "X-Signature", "X-Webhook-Signature")
"""Where a sender puts ``sha256=<hex>``, in the order they are read (the first one sent counts)."""
_HEX = re.compile(r"[0-9a-f]{64}")
_UNSIGNED = "The webhook signature does not match the body; sign the exact body with the tenant's webhook secret."


class InboxRepository(Protocol):
    """The inbox's SQL: writes that must read and change a row in one statement, and the
    conversation list joined with the leads."""

    def count_message(
        self, tenant_id: str, conversation_id: str, *, occurred_at: datetime, preview: str,
        at: datetime, unread: int = 1,
    ) -> None: ...  # fmt: skip

    def apply_delivery(
        self, tenant_id: str, provider_message_id: str, state: str, *, ranks: dict[str, int],
        at: datetime,
    ) -> tuple[int, int]: ...  # fmt: skip

    def conversations(self, tenant_id: str, *, limit: int) -> list[Record]:
        """The tenant's conversations, the latest activity first, with their lead's stage."""
        ...

    def agent_activity(
        self, tenant_id: str, since: datetime
    ) -> tuple[dict[str, int], dict[str, int]]:
        """See :class:`matrix.modules.crm.handling.ActivityRepository`."""
        ...


class InboxStore(ModuleStore, Protocol):
    @property
    def inbox(self) -> InboxRepository: ...


def sign(body: bytes, secret: str) -> str:
    """The signature of ``body`` (hex); a sender puts ``sha256=`` and it in ``X-Hub-Signature-256``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_from(sent: Sequence[str | None]) -> str:
    """The hex signature in the first of the :data:`SIGNATURE_HEADERS` values that was sent.

    Raises:
        WebhookRejectedError: ``missing_signature`` when none was sent, ``malformed_signature``
            when it is not ``sha256=`` and 64 hex digits (the API answers both 401).
    """
    value = next((v for v in sent if v is not None), None)
    if value is None:
        raise WebhookRejectedError(
            "The webhook is not signed; send X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body, hex>.",
            code="missing_signature",
        )
    prefix, _, digest = value.strip().partition("=")
    if prefix.lower() != "sha256" or not _HEX.fullmatch(digest.lower()):
        raise WebhookRejectedError(
            "The webhook signature is malformed; send sha256= followed by the 64 hex digits of the"
            " HMAC-SHA256 of the body.",
            code="malformed_signature",
        )
    return digest.lower()


def receive(
    store: InboxStore, clock: Any, catalog: Catalog, *, body: bytes, signatures: Sequence[str | None],
    secret_of: Callable[[str], str | None],
) -> dict[str, Any]:  # fmt: skip
    """File one webhook as it arrived over HTTP: ``signatures`` are the values of the
    :data:`SIGNATURE_HEADERS` (None where absent), ``secret_of`` gives a tenant's webhook secret
    (None for a tenant without one, or unknown).

    The body is read for its ``tenant_id`` before it is trusted, only to find the secret; until
    the signature matches, nothing else of it is looked at.

    Raises:
        WebhookRejectedError: the signature is missing, malformed or does not match (an unknown
            tenant, a tenant without a secret and a body that names no tenant answer as one that
            does not match).
        ContractError: a signed body that breaks the contract.
    """
    digest = signature_from(signatures)
    tenant_id = _claimed_tenant(body)
    secret = secret_of(tenant_id) if tenant_id else None
    # An unknown tenant costs the same HMAC as a known one, so timing does not tell them apart.
    matches = _matches(body, digest, secret or "no secret: never matches")
    if not (matches and secret and tenant_id):
        raise WebhookRejectedError(_UNSIGNED, code="invalid_signature")
    return ingest(store, clock, catalog, tenant_id=tenant_id, body=body, signature=digest,
                  secret=secret)  # fmt: skip


def _claimed_tenant(body: bytes) -> str | None:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return None
    tenant_id = doc.get("tenant_id") if isinstance(doc, dict) else None
    return tenant_id if isinstance(tenant_id, str) and 0 < len(tenant_id) <= 120 else None


def _matches(body: bytes, signature: str, secret: str) -> bool:
    """Constant-time comparison of bytes: a non-ASCII or odd signature is a mismatch, not an error."""
    provided = signature.strip().lower().removeprefix("sha256=").encode("utf-8", "replace")
    return hmac.compare_digest(sign(body, secret).encode("ascii"), provided)


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
    if not signature or not _matches(body, signature, secret):
        raise WebhookRejectedError(_UNSIGNED, code="invalid_signature")
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookRejectedError("The webhook body is not JSON.", code="invalid_json") from None
    if (at := env.nul_pointer(doc)) is not None:
        raise WebhookRejectedError(
            f"{at} contains a NUL character (\\u0000); remove it.", code="invalid_text"
        )
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


def preview(text: str) -> str:
    """A message as its conversation shows it: whitespace collapsed, at most 120 characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= 120 else flat[:117] + "..."


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
    message_row_id = env.new_id()
    if not store.modules.messages.insert_once({
        "message_row_id": message_row_id, "tenant_id": work.tenant_id, "conversation_id": conversation["conversation_id"],
        "provider_message_id": payload["message_id"], "direction": "inbound",
        "message_type": payload.get("message_type", "text"), "text": text, "delivery_state": "received",
        "occurred_at": occurred, "created_at": work.clock.now(),
    }, key=("provider_message_id",)):  # fmt: skip
        return {
            "status": "idempotent",
            "lead_id": lead["lead_id"],
            "conversation_id": conversation["conversation_id"],
        }
    store.inbox.count_message(work.tenant_id, conversation["conversation_id"], occurred_at=occurred,
                              preview=preview(text), at=work.clock.now())  # fmt: skip
    handling.file_for_agent(store, work, conversation["conversation_id"], message_row_id)
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
                    "last_message_at": None, "unread_count": 0, "handler": handling.AGENT,
                    "handler_user": None, "handoff_reason": None, "created_at": now, "updated_at": now}  # fmt: skip
    if table.insert_once(conversation, key=("contact_e164",)):
        return conversation
    # A concurrent webhook of the same contact opened it first; its row is committed by now.
    return table.find(work.tenant_id, contact_e164=phone, limit=1)[0]

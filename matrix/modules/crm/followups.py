"""Follow-ups (module 02): one WhatsApp message to a lead or a customer, sent when it is due.

Scheduling records the follow-up ``pending`` and queues its message on the outbound queue, due at
``schedule_at``, in one transaction. The scheduler's outbound round sends it once it is due,
never at once, and the send's outcome settles the follow-up: ``sent`` with the provider's
message id, or ``failed`` with the last error once the queue gives up; a failure that will be
retried leaves it ``pending`` with the error noted. The follow-ups the concierge delegates
(``crm.followup.send`` tasks) are recorded the same way, keyed by their task.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matrix import envelopes as env
from matrix.errors import UsageError
from matrix.modules import values
from matrix.modules.context import Work, create_once
from matrix.modules.crm import campaigns, leads, outbound
from matrix.modules.customers import service as customers
from matrix.modules.ports import ModuleStore, Record

STATUSES = ("pending", "sent", "failed")


def schedule(
    store: ModuleStore, work: Work, *, message: str, phone: str | None = None,
    schedule_at: datetime | str | None = None, campaign_id: str | None = None,
    lead_id: str | None = None, customer_id: str | None = None, external_key: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> tuple[Record, str]:  # fmt: skip
    """Record a follow-up and queue its message for ``schedule_at`` (default: now); emits
    ``crm.followup.scheduled``. Without ``phone``, the lead's or the customer's number is used.
    Idempotent by external key: the same key again returns the stored follow-up, ``idempotent``.

    Raises:
        UsageError: no message, no number, or a malformed time.
        NotFoundError: the campaign, lead or customer is not one of the tenant's.
    """
    text = message.strip() if isinstance(message, str) else ""
    if not text:
        raise UsageError("message must not be empty; give the text to send.")
    at = values.moment(schedule_at, "schedule_at") if schedule_at is not None else work.clock.now()
    tenant_id = work.tenant_id
    if campaign_id is not None:
        campaigns.require(store, tenant_id, campaign_id)
    lead = leads.require(store, tenant_id, lead_id) if lead_id is not None else {}
    customer = customers.require(store, tenant_id, customer_id) if customer_id is not None else {}
    number = phone or lead.get("phone_e164") or customer.get("primary_phone")
    if not number:
        raise UsageError("A follow-up needs phone_e164, or a lead or customer that has a number.")
    values.phone(number)
    fields = {"campaign_id": campaign_id, "lead_id": lead_id, "customer_id": customer_id, "phone_e164": number,
              "message": text, "channel": "whatsapp", "schedule_at": at, "status": "pending",
              "provider_message_id": None, "last_error_code": None, "last_error_message": None,
              "metadata": metadata or {}, "correlation_id": work.correlation_id, "trace_id": work.trace_id}  # fmt: skip
    with store.transaction():
        followup, status = create_once(
            store, work, store.modules.followups, "followup_id", fields, external_key=external_key,
            events=lambda f: [work.event("crm.followup.scheduled", env.CRM, env.OWNER, _payload(f))],
        )  # fmt: skip
        if status == "created":
            # The key is the follow-up's own, so a retried task or request never sends twice.
            key = f"followup:{external_key or followup['followup_id']}"
            outbound.enqueue(store, work, context_type="followup", context_id=followup["followup_id"],
                             phone=number, text=text, idempotency_key=key, available_at=at)  # fmt: skip
    return followup, status


def page(
    store: ModuleStore,
    tenant_id: str,
    *,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Record], int]:
    """One page of the tenant's follow-ups, soonest due first, and how many match in all."""
    filters: dict[str, Any] = {"status": status} if status is not None else {}
    return store.modules.followups.page(tenant_id, order="schedule_at", limit=limit, offset=offset,
                                        **filters)  # fmt: skip


def outcome(
    store: ModuleStore, work: Work, message: Record, status: str, error: str | None, retryable: bool
) -> None:
    """Settle a follow-up after a send of its message, and report it: ``crm.followup.sent``, or
    ``crm.followup.failed`` once the message is dead."""
    followup = store.modules.followups.get(message["tenant_id"], message["context_id"])
    now = work.clock.now()
    if followup is not None:
        error_fields = {
            "last_error_code": error,
            "last_error_message": message.get("error_message"),
        }
        changes: Record = {"sent": {"status": "sent", "provider_message_id": message["provider_message_id"]},
                           "dead": {"status": "failed", **error_fields}}.get(status, error_fields)  # fmt: skip
        store.modules.followups.update(
            message["tenant_id"], followup["followup_id"], {**changes, "updated_at": now}
        )
    # A follow-up queued before follow-ups were recorded is reported from its message alone.
    shown = _payload(followup) if followup is not None else {
        "followup_id": message["message_id"], "campaign_id": None, "channel": "whatsapp",
        "schedule_at": env.timestamp(message["available_at"]), "phone_e164": message["phone_e164"]}  # fmt: skip
    if status == "sent":
        store.events.append_many([work.event("crm.followup.sent", env.CRM, env.OWNER,
                                             {**shown, "provider_message_id": message["provider_message_id"]},
                                             status="completed")])  # fmt: skip
    elif status == "dead":
        store.events.append_many([work.event("crm.followup.failed", env.CRM, env.OWNER,
                                             {**shown, "error_code": error or "DELIVERY_FAILED", "retryable": False},
                                             status="failed")])  # fmt: skip


def _payload(followup: Record) -> dict[str, Any]:
    return {"followup_id": followup["followup_id"], "campaign_id": followup["campaign_id"], "channel": "whatsapp",
            "schedule_at": env.timestamp(followup["schedule_at"]), "phone_e164": followup["phone_e164"]}  # fmt: skip

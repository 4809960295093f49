"""What an owner needs to decide on a confirmation: the request's words, who asked, the task's
fields as its handler will read them (the amount with its currency, the customer, the campaign and
how many people it reaches, the due date), the policy rule and its reason in plain words, and the
time left before it expires.

    for shown in context.describe(store, "acme", approvals, now):
        shown.fields        # {"customer": "Pedro Alves", "amount": "R$350.00", "due": "2026-11-20"}

Read-only: the fields are read the way the task's handler reads them (the customer named in the
text, the customer's first open charge, the draft campaign the text names), so that what the owner
approves is what will run. Reads are tenant-scoped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from matrix import formats
from matrix.approvals.values import Approval, Status
from matrix.modules import extract
from matrix.modules.billing.service import OPEN
from matrix.modules.crm import campaigns
from matrix.modules.customers.service import find_in_text
from matrix.modules.ports import ModuleStore, Record

# Why a rule asks for the owner's word, in plain words, by its reason code.
REASONS = {
    "financial_writeoff": "Writing off a debt gives up money a customer owes, so the owner decides.",
    "mass_message_review": "A campaign messages many people at once, so the owner reviews it first.",
    "sensitive_customer_delete": "Deleting a customer cannot be undone.",
}
CHANNELS = {
    "ui-chat": "the chat",
    "ui-avatar": "the avatar",
    "whatsapp": "WhatsApp",
    "api": "the API",
}


@dataclass(frozen=True, kw_only=True)
class ApprovalContext:
    """One confirmation with everything shown beside it."""

    approval: Approval
    request_text: str
    asked_by: str
    fields: dict[str, str] = field(default_factory=dict)
    rule: str
    reason: str
    time_left: str
    """``in 12 min`` while pending; ``expired 3 min ago`` past its expiry; the resolution otherwise."""

    def as_row(self) -> dict[str, Any]:
        """A table row: the id, the request, its fields in one line, and the deadline."""
        a = self.approval
        return {
            "confirmation_id": a.confirmation_id, "status": a.status.value, "request": self.request_text,
            "task": a.task_type, "details": " · ".join(f"{k}: {v}" for k, v in self.fields.items()),
            "asked_by": self.asked_by, "rule": self.rule, "time_left": self.time_left,
        }  # fmt: skip


def describe(
    store: ModuleStore, tenant_id: str, approvals: Sequence[Approval], now: datetime,
    tz: str | None = None,
) -> list[ApprovalContext]:  # fmt: skip
    """Each of ``approvals`` (of ``tenant_id``) with its context, in the same order."""
    audiences: dict[str, int] = {}
    with store.transaction():
        return [_one(store, tenant_id, a, now, tz, audiences) for a in approvals]


def _one(
    store: ModuleStore, tenant_id: str, a: Approval, now: datetime, tz: str | None,
    audiences: dict[str, int],
) -> ApprovalContext:  # fmt: skip
    snapshot = a.request_snapshot or {}
    text = str(snapshot.get("text") or "")
    channel = str(snapshot.get("channel") or "ui-chat")
    asked = f"owner session {str(snapshot.get('session_id') or '?')[:12]} via {CHANNELS.get(channel, channel)}"
    return ApprovalContext(
        approval=a, request_text=text, asked_by=asked,
        fields=task_fields(store, tenant_id, a.task_type, text, now, tz, audiences),
        rule=f"{a.policy_rule_id} ({a.reason_code or 'no reason code'})",
        reason=REASONS.get(a.reason_code or "", (a.reason_code or "the policy asks").replace("_", " ") + "."),
        time_left=_time_left(a, now, tz),
    )  # fmt: skip


def _time_left(a: Approval, now: datetime, tz: str | None) -> str:
    if a.status is Status.PENDING:
        if now >= a.expires_at:
            return f"expired {formats.ago(a.expires_at, now)}"
        return "expires " + formats.ago(a.expires_at, now)
    by = f" by {a.resolved_by}" if a.resolved_by else ""
    return (
        f"{a.status.value}{by} {formats.when(a.resolved_at, tz)}"
        if a.resolved_at
        else a.status.value
    )


def task_fields(
    store: ModuleStore, tenant_id: str, task_type: str, text: str, now: datetime,
    tz: str | None = None, audiences: dict[str, int] | None = None,
) -> dict[str, str]:  # fmt: skip
    """The task's fields as its handler will read them from ``text``, formatted; a field that
    cannot be read says so (``no customer named``), as the handler would refuse."""
    fields: dict[str, str] = {}
    if task_type == "crm.campaign.send":
        return _campaign(store, tenant_id, text, audiences if audiences is not None else {})
    customer = find_in_text(store, tenant_id, text)
    fields["customer"] = str(customer["display_name"]) if customer else "no customer named"
    if task_type in ("billing.writeoff.request", "billing.collection.request") and customer:
        charge = _open_charge(store, tenant_id, customer, overdue=task_type.endswith("collection.request"),
                              today=now.date().isoformat())  # fmt: skip
        if charge is None:
            fields["amount"] = "no open charge"
        else:
            fields["amount"] = formats.money(
                float(charge["amount"]), str(charge.get("currency") or "BRL")
            )
            fields["due"] = str(charge.get("due_date") or "—")[:10]
        return fields
    amount = extract.money(text)
    if amount is not None:
        fields["amount"] = formats.money(float(amount), "BRL")
    when = extract.when(text, now)
    if when is not None:
        fields["when"] = formats.when(when, tz)
    return fields


def _open_charge(store: ModuleStore, tenant_id: str, customer: Record, *, overdue: bool,
                 today: str) -> Record | None:  # fmt: skip
    charges = store.modules.charges.find(
        tenant_id, customer_id=customer["customer_id"], order="due_date"
    )
    return next((c for c in charges if c["status"] in OPEN
                 and (not overdue or str(c.get("due_date"))[:10] < today)), None)  # fmt: skip


def _campaign(
    store: ModuleStore, tenant_id: str, text: str, audiences: dict[str, int]
) -> dict[str, str]:
    named = campaigns.named_draft(store, tenant_id, text)
    audience = str(named["audience_segment"]) if named else "customers"
    if audience not in audiences:
        audiences[audience] = len(campaigns.recipients(store, tenant_id, audience))
    reach = formats.count(audiences[audience], "people" if audiences[audience] != 1 else "person")
    return {
        "campaign": str(named["name"]) if named else "a new campaign with this message",
        "audience": f"{audience.replace('leads:', 'leads at stage ')} ({reach})",
        "message": str(named["message"])[:120] if named else text[:120],
    }

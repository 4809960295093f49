"""CRM core: accounts, contacts, deals, activities and to-dos, each with its lifecycle event.

Creates are idempotent by external key (a second create returns the stored record and emits
nothing). Deal stages are the contract's seven; a stage change also emits
``crm.deal.stage.changed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matrix import envelopes as env
from matrix.errors import NotFoundError, UsageError
from matrix.modules import values
from matrix.modules.context import Work, create_once
from matrix.modules.ports import ModuleStore, Record, TableGateway

DEAL_STAGES = ("new", "contacted", "qualified", "proposal", "won", "lost", "nurturing")
ACTIVITY_KINDS = ("note", "task", "message", "call", "meeting", "system")
TODO_STATUSES = ("pending", "in_progress", "done", "canceled")
PRIORITIES = ("low", "medium", "high", "urgent")


def _create(
    store: ModuleStore, work: Work, table: TableGateway, key_column: str, record: Record, event: str,
    payload: dict[str, Any], external_key: str | None, *, event_id_field: str | None = None,
) -> tuple[Record, str]:  # fmt: skip
    fields = {k: v for k, v in record.items() if k != "external_key"}
    return create_once(store, work, table, key_column, fields, external_key=external_key, events=lambda r: [
        work.event(event, env.CRM, env.OWNER, {event_id_field or key_column: r[key_column], **payload}, status="info")])  # fmt: skip


def create_account(store: ModuleStore, work: Work, *, name: str, document_number: str | None = None,
                   external_key: str | None = None) -> tuple[Record, str]:  # fmt: skip
    return _create(store, work, store.modules.accounts, "account_id", {
        "name": values.name(name, "name"), "document_number": document_number, "status": "active",
        "external_key": external_key}, "crm.account.created", {"status": "active"}, external_key)  # fmt: skip


def create_contact(store: ModuleStore, work: Work, *, display_name: str, phone: str | None = None,
                   email: str | None = None, account_id: str | None = None,
                   external_key: str | None = None) -> tuple[Record, str]:  # fmt: skip
    if phone is not None:
        values.phone(phone)
    if account_id and store.modules.accounts.get(work.tenant_id, account_id) is None:
        raise NotFoundError(f"No account {account_id!r} for tenant {work.tenant_id!r}.")
    return _create(store, work, store.modules.contacts, "contact_id", {
        "display_name": values.name(display_name), "phone_e164": phone, "email": email, "account_id": account_id,
        "status": "active", "external_key": external_key}, "crm.contact.created", {"status": "active"}, external_key)  # fmt: skip


def create_deal(store: ModuleStore, work: Work, *, title: str, stage: str = "new", amount: object | None = None,
                currency: str = "BRL", contact_id: str | None = None, lead_id: str | None = None,
                external_key: str | None = None) -> tuple[Record, str]:  # fmt: skip
    if stage not in DEAL_STAGES:
        raise UsageError(f"stage must be one of {list(DEAL_STAGES)}, got {stage!r}.")
    money = values.amount(amount, positive=False) if amount is not None else None
    return _create(store, work, store.modules.deals, "deal_id", {
        "title": values.name(title, "title"), "stage": stage, "amount": money,
        "currency": values.currency(currency) if money is not None else None, "contact_id": contact_id,
        "lead_id": lead_id, "account_id": None, "external_key": external_key}, "crm.deal.created", {"stage": stage},
        external_key)  # fmt: skip


def move_deal(store: ModuleStore, work: Work, deal_id: str, stage: str) -> Record:
    """Set a deal's stage; emits ``crm.deal.updated`` and, on a change, ``crm.deal.stage.changed``."""
    if stage not in DEAL_STAGES:
        raise UsageError(f"stage must be one of {list(DEAL_STAGES)}, got {stage!r}.")
    with store.transaction():
        deal = store.modules.deals.get(work.tenant_id, deal_id)
        if deal is None:
            raise NotFoundError(f"No deal {deal_id!r} for tenant {work.tenant_id!r}.")
        store.modules.deals.update(
            work.tenant_id, deal_id, {"stage": stage, "updated_at": work.clock.now()}
        )
        updated = work.event(
            "crm.deal.updated",
            env.CRM,
            env.OWNER,
            {"deal_id": deal_id, "stage": stage},
            status="info",
        )
        events = [updated]
        if deal["stage"] != stage:
            events.append(work.event("crm.deal.stage.changed", env.CRM, env.OWNER,
                                     {"deal_id": deal_id, "from_stage": deal["stage"], "to_stage": stage},
                                     status="info", causation_id=updated["event_id"]))  # fmt: skip
        store.events.append_many(events)
    return {**deal, "stage": stage}


def add_activity(store: ModuleStore, work: Work, *, kind: str, body: str, deal_id: str | None = None,
                 title: str | None = None, occurred_at: datetime | None = None) -> Record:  # fmt: skip
    if kind not in ACTIVITY_KINDS:
        raise UsageError(f"kind must be one of {list(ACTIVITY_KINDS)}, got {kind!r}.")
    if not isinstance(body, str) or not body.strip():
        raise UsageError("body must not be empty.")
    record, _ = _create(store, work, store.modules.activities, "activity_id", {
        "kind": kind, "body": body.strip(), "title": title, "deal_id": deal_id, "contact_id": None,
        "occurred_at": occurred_at or work.clock.now()}, "crm.activity.created",
        {"deal_id": deal_id if _is_uuid(deal_id) else None, "kind": kind}, None)  # fmt: skip
    return record


def add_todo(store: ModuleStore, work: Work, *, title: str, priority: str = "medium", deal_id: str | None = None,
             due_at: datetime | None = None) -> Record:  # fmt: skip
    if priority not in PRIORITIES:
        raise UsageError(f"priority must be one of {list(PRIORITIES)}, got {priority!r}.")
    record, _ = _create(store, work, store.modules.todos, "todo_id", {
        "title": values.name(title, "title"), "priority": priority, "status": "pending", "deal_id": deal_id,
        "due_at": due_at}, "crm.task.created",
        {"deal_id": deal_id if _is_uuid(deal_id) else None, "status": "pending", "priority": priority},
        None, event_id_field="task_id")  # fmt: skip
    return record


def _is_uuid(value: str | None) -> bool:
    import uuid

    try:
        return value is not None and str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False
